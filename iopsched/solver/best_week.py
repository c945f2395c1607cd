"""Stage 1's best week so far, and CP-SAT's local search from it.

`BestWeek` keeps the week with the most participants fully met, then the fewest shortfall
units, offered by every search of stage 1 (the greedy, ruin and recreate, CP-SAT). Its
`local_search` runs CP-SAT's local search (or its complete search) from that week with
some participants required fully met, some variables fixed or closed; the neighbourhoods
(`solver.neighbourhoods`) and the week-to-week attempt (`solver.anchored`) are built on it.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Sequence

from ortools.sat.python import cp_model

from iopsched.cpsat.budget import Budget, SearchSettings, StoppingCallback, Workers, run_cp_sat
from iopsched.cpsat.hints import complete_hint
from iopsched.cpsat.model import WeekModel, unit_terms
from iopsched.cpsat.values import (
    Decisions,
    GreedyValues,
    SolverValues,
    hint_decisions,
    hint_solution,
)
from iopsched.heuristic import Greedy, decisions


class BestWeek:
    """The best stage-1 week so far: most participants fully met, then fewest units."""

    values: Decisions  # set by the first offer (the greedy week, in __init__)

    def __init__(self, wm: WeekModel, g: Greedy, everyone: frozenset[str], now: float):
        self.wm, self.everyone = wm, everyone
        self.lock = threading.Lock()
        self.method = ""
        self.met: frozenset[str] = frozenset()
        self.units = 0
        self.found = 0.0
        self.offer_greedy(g, now)

    def offer_greedy(self, g: Greedy, now: float, method: str = "greedy") -> bool:
        met = self.everyone - set(g.unmet_ids())
        return self.offer(GreedyValues(self.wm, *decisions(g)), met, g.shortfall_units(), now, method)

    def offer(self, values, met: frozenset[str], units: int, now: float, method: str,
              ties: bool = False) -> bool:
        """Keep this week if it is better (`ties`: or as good) for the requirements."""
        with self.lock:
            new, old = (len(met), -units), (len(self.met), -self.units) if self.method else None
            if old is not None and (new < old or (new == old and not ties)):
                return False
            self.values, self.met, self.units, self.found, self.method = values, met, units, now, method
            return True

    def take(self, values, met: frozenset[str], units: int, now: float, method: str) -> None:
        """Keep this week whatever it reaches (week to week, the weeks kept from last week come
        before the requirements of the others: `solver.anchored.keep_met_weeks`)."""
        with self.lock:
            self.values, self.met, self.units, self.found, self.method = values, met, units, now, method


def local_search(wm: WeekModel, state: BestWeek, required: list[str], closed: list[int], seconds: float,
                  budget: Budget, settings: SearchSettings, progress, target: int,
                  fixed: Sequence[tuple[int, int]] = (), workers: Workers = None,
                  complete: bool = False, portfolio: bool = False, presolve: bool = True,
                  stall: float | None = None) -> str:
    """CP-SAT's local search with every `required` participant fully met (hard), the `closed`
    leader variables at 0 and the `fixed` (variable index, value) pairs fixed; it stops at
    the first week meeting `target` participants. `complete`: the best week's hint is first
    made complete (when it holds under these constraints), so that the search starts from a
    solution and only improves it (without: prescriber, large, 124 fully met stayed 124 for
    17 s; with: 131). `portfolio`: CP-SAT's complete search instead (a small model that it
    may solve to the optimum). `presolve`: CP-SAT's presolve (off for a neighbourhood,
    where some participants' attendance is fixed: `run_cp_sat`). `stall`: it also stops once
    that many seconds pass without a better week after the first (wall clock only)."""
    forced = [wm.met[pid].index for pid in required]
    # the best week so far (most of it holds); in a neighbourhood (some attendance `fixed`), a
    # CP-SAT week of this model as it is, complete (evening, large: the first week of a
    # neighbourhood at 0.4 s instead of 1.0 s). On the whole model completing the hint is
    # cheap, and the week it makes served better (mix, small, seed 7, deterministic 12 s:
    # 20/20 with it, 19/20 from the last week as it was)
    whole_week = complete and bool(fixed) and hint_solution(wm, state.values)
    if not whole_week:
        hint_decisions(wm, state.values)
    with wm.narrowed(at_least_one=forced, at_most_zero=closed, fixed=fixed):
        if complete and not whole_week:  # the hint made a complete week: the search starts from a solution
            seconds = complete_the_hint(wm, budget, seconds, at_most=2.0)
        callback = MetCallback(wm, progress, stop_at=target)
        with _stalls(callback, None if budget.deterministic else stall):
            solver, status = run_cp_sat(wm, budget, settings, seconds, callback,
                                        local_search=not portfolio, workers=workers, presolve=presolve)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        met, units = met_of(solver, wm)
        state.offer(SolverValues(solver, wm, complete=True), met, units, budget.elapsed(), "cp-sat")
    return solver.status_name(status)


def complete_the_hint(wm: WeekModel, budget: Budget, seconds: float, at_most: float) -> float:
    """Extend the hint to every variable (`hints.complete_hint`, at most a quarter of
    `seconds` and `at_most`); returns the seconds left for the search (wall-clock mode: less
    what that took; deterministic mode: unchanged, so that runs repeat)."""
    start = budget.elapsed()
    complete_hint(wm, seconds=min(at_most, max(0.1, seconds / 4)))
    if budget.deterministic:
        return seconds
    return max(0.0, seconds - (budget.elapsed() - start))


class MetCallback(StoppingCallback):
    """Reports participants fully met; with `stop_at`, stops the search once that many are."""

    def __init__(self, wm: WeekModel, progress, stop_at: int | None = None):
        super().__init__()
        self.wm, self.progress, self.stop_at = wm, progress, stop_at
        self.last: float | None = None  # time.monotonic() of the last week found

    def on_solution_callback(self) -> None:
        self.last = time.monotonic()
        met = sum(1 for v in self.wm.met.values() if self.value(v))
        self.progress(met)
        if self.stop_at is not None and met >= self.stop_at:
            self.stop()


@contextlib.contextmanager
def _stalls(callback: MetCallback, stall: float | None):
    """While the block runs: stop the callback's search once `stall` seconds pass without a
    better week after its first (None: never)."""
    if stall is None:
        yield
        return
    over = threading.Event()

    def watch() -> None:
        while not over.wait(0.05):
            if callback.last is not None and time.monotonic() - callback.last > stall:
                callback.stop()
                return

    watcher = threading.Thread(target=watch, name="stall-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        over.set()
        watcher.join()


def proven_by(solver, wm: WeekModel, status, units: int) -> tuple[int, int]:
    """What a complete search on the weighted form proved: (no week fully meets more
    participants than this, no week meeting that many has fewer units than this)."""
    scale = wm.requirements_scale
    # objective = scale * (participants not fully met) + units, with 0 <= units < scale
    best = solver.best_objective_bound
    not_met_at_least = max(0, math.ceil((best - (scale - 1)) / scale - 1e-9))
    units_bound = units if status == cp_model.OPTIMAL else max(0, math.ceil(best - 1e-9) - scale * not_met_at_least)
    return len(wm.met) - not_met_at_least, units_bound


def met_of(solver, wm: WeekModel) -> tuple[frozenset[str], int]:

    met = frozenset(pid for pid, v in wm.met.items() if solver.value(v))
    units = sum(unit_terms(wm, solver.value))
    return met, units
