"""The heuristic's week as CP-SAT's hint: construct, mend, polish, and hint the model."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from iopsched.cpsat.model import WeekModel
from iopsched.heuristic.construction import Greedy, construct
from iopsched.heuristic.local_search import (
    POLISH_SECONDS,
    RuinRecreate,
    iteration_seconds,
    ruin_recreate_budget,
)


def decisions(g: Greedy) -> tuple[set, Counter, set, set]:
    """The greedy week as the model's decisions: (leaders on, room classes used, attendances,
    co-leaders on)."""
    y_on: set[tuple[int, str]] = set()
    z_on: set[tuple[int, str]] = set()
    rc_count: Counter[tuple[int, int]] = Counter()
    a_on: set[tuple[str, int]] = set()
    for s in g.sessions:
        y_on.add((s.option.index, s.staff))
        if s.co_staff is not None:
            z_on.add((s.option.index, s.co_staff))
        rc_count[s.option.index, s.ci] += 1
        for pid in s.members:
            a_on.add((pid, s.option.index))
    return y_on, rc_count, a_on, z_on


def hint_week(g: Greedy) -> tuple[bool, int]:
    """Hint the model with the greedy's week, completed to every variable.
    Returns (the hint is complete and feasible, attendances)."""
    from iopsched.cpsat.hints import apply_hint, complete_hint

    y_on, rc_count, a_on, z_on = decisions(g)
    apply_hint(g.wm, y_on, rc_count, a_on, z_on)
    return complete_hint(g.wm), len(a_on)


@dataclass(frozen=True)
class HintedWeek:
    """What `greedy_hint` did: the week it hinted and what the heuristic spent on it."""

    sessions: int
    attendances: int
    complete: bool  # the hint is complete and feasible
    unmet_units_greedy: int  # shortfall units of the constructed week
    unmet_units: int  # ... after the local search
    fill: float
    scarce_days: int
    iterations: int
    polish_iterations: int
    changes: int  # changes to last week (with `previous`)
    objective: int  # the model's objective of the hinted week
    all_met_at: float | None  # time.monotonic() when everyone was first fully met
    built_at: float  # time.monotonic() of the first complete week
    reckoned_seconds: float  # the local search's reckoned cost (deterministic: from its iterations)
    seconds: float


def greedy_hint(wm: WeekModel, previous=None, seed: int = 0, iterations: int | None = None,
                time_limit: float = 10.0, report: Callable[[int, int], None] | None = None,
                stop: Callable[[], bool] | None = None) -> HintedWeek:
    """Run the greedy and the local search, and hint the model with the week.

    `report(objective, participants fully met)` is called for every better week the local
    search keeps; `stop()` true ends the local search after its current move (Ctrl-C)."""
    t0 = time.monotonic()
    g = construct(wm, previous)
    before = g.shortfall_units()
    built_at = time.monotonic()  # the first complete week (every hard rule kept)
    n = len(wm.program.participants)
    all_met_at = [time.monotonic() if before == 0 else None]

    def better() -> None:
        met = n - len(g.unmet_ids())
        if met == n and all_met_at[0] is None:
            all_met_at[0] = time.monotonic()
        if report is not None:
            report(g.objective(), met)

    better()
    rr = RuinRecreate(g, seed, stop, better)
    # first mend shortfalls, then polish the preferences with what is left of the budget
    rr.run(ruin_recreate_budget(n, time_limit) if iterations is None else iterations)
    repaired = rr.iterations
    spent = repaired * iteration_seconds(n)
    polish = (ruin_recreate_budget(n, time_limit, POLISH_SECONDS, spent) if iterations is None
              else iterations - repaired)
    if polish > 0:
        rr.polish(polish)
    complete, attendances = hint_week(g)
    return HintedWeek(
        sessions=len(g.sessions), attendances=attendances, complete=complete, unmet_units_greedy=before,
        unmet_units=g.shortfall_units(), fill=g.fill, scarce_days=g.scarce_days, iterations=rr.iterations,
        polish_iterations=rr.iterations - repaired, changes=g.changes(), objective=g.objective(),
        all_met_at=all_met_at[0], built_at=built_at,
        reckoned_seconds=spent + (rr.iterations - repaired) * iteration_seconds(n, POLISH_SECONDS),
        seconds=time.monotonic() - t0)
