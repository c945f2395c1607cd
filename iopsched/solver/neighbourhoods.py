"""CP-SAT's local search in neighbourhoods (stage 1): a few participants still short and
those sharing their times re-planned, everyone else keeping their week.

`neighbourhoods` meets more participants a few at a time (a large program first, where the
whole model is too big to search; any program after the grid); `fewer_units` re-plans the
participants no schedule can fully meet, one at a time, for the fewest shortfall units.
"""

from __future__ import annotations

from iopsched.cpsat.budget import Budget, SearchSettings, Workers
from iopsched.cpsat.model import WeekModel
from iopsched.domain import weekly_min_for
from iopsched.solver.best_week import BestWeek, local_search

# programs with more attendance variables than this are searched in neighbourhoods first:
# NEIGHBOURHOOD_SHARE of the participants (between NEIGHBOURHOOD_MIN and _MAX) re-planned at
# once, each neighbourhood given at least NEIGHBOURHOOD_SECONDS
NEIGHBOURHOOD_MIN_ATTENDANCES = 60_000
NEIGHBOURHOOD_SHARE = 0.35
NEIGHBOURHOOD_MIN = 40
NEIGHBOURHOOD_MAX = 60  # xl: 140 at once met 25 in 20 s and then nothing; 60 met 12 every 10-20 s
NEIGHBOURHOOD_SECONDS = 4.0
NEIGHBOURHOOD_SLICE = 0.15  # ... and at most this share of the time left (when that is more)
NEIGHBOURHOOD_LACKING = 4  # weight of a session of a type a chosen participant still lacks
# ... of whom 1 / NEIGHBOURHOOD_TAKE are chosen among those still short, 1 / _LARGE on a large
# program: a neighbourhood of 52 meets 13-26 chosen in about the same 3-4 s, and the count
# climbs twice as fast (evening large, seed 13, 30 s: all 150 at 19.8 s against 25 s with a
# quarter; docs/model.md 10)
NEIGHBOURHOOD_TAKE = 4
NEIGHBOURHOOD_TAKE_LARGE = 2
# ... and ends once this many seconds pass without a better week (the week it would keep is
# found; the rest of its time went to nothing: evening large, seed 13, best at 2.7 s of 4.3)
NEIGHBOURHOOD_STALL = 1.0
# an open try that met fewer than this share of its chosen makes the next neighbourhood 30 %
# larger (more others to move: the short teens of adolescent large compete for one
# after-school band; seed 13 at 30 s, 7 CP-SAT seeds: all 150 at 17.9-25.6 s, where 1 of 4
# runs without it ended at 138). Not on a program whose first neighbourhood is capped at
# NEIGHBOURHOOD_MAX (xl): xl mix with 15 rooms at 300 s met 330/400 with it, 375 without
NEIGHBOURHOOD_GROW_BELOW = 0.5
ATTEMPT_SECONDS = 0.25  # the least one neighbourhood search counts against its phase's share
# re-planning the participants still short one at a time: this many sharing their times at first
UNITS_NEIGHBOURS = 12


def large(wm: WeekModel) -> bool:
    """A program searched in neighbourhoods first (the whole model is too big to search)."""
    return len(wm.a) > NEIGHBOURHOOD_MIN_ATTENDANCES


def first_size(n: int) -> int:
    """Participants re-planned at once at first, of `n`."""
    return min(NEIGHBOURHOOD_MAX, max(NEIGHBOURHOOD_MIN, int(NEIGHBOURHOOD_SHARE * n)))


def whole(wm: WeekModel) -> bool:
    """A small program: its first neighbourhood is every participant."""
    return first_size(len(wm.met)) >= len(wm.met)


def neighbourhoods(wm: WeekModel, state: BestWeek, hopeless: frozenset[str], budget: Budget,
                    settings: SearchSettings, seconds: float, progress, target: int, closed: list[int],
                    workers: Workers = None, size: int | None = None) -> str:
    """CP-SAT's local search on neighbourhoods: some participants still short (the `chosen`)
    and those whose sessions fall in the times they are free are re-planned; everyone else
    keeps their week (their attendance fixed). Each neighbourhood is tried first open: group
    sessions at any start time, only those already fully met required, from the best week
    made complete, the objective meeting what it can of the chosen. After an open try that
    finds nothing, the same neighbourhood strict: every chosen participant required too, on
    the greedy week's grid (`closed`); after both fail, fewer participants are chosen (others
    next time) and the neighbourhood grows. Whenever a neighbourhood fixes anyone's
    attendance (one smaller than the program), CP-SAT runs without its presolve (`run_cp_sat`).
    `size`: participants re-planned at once at first (default `first_size`)."""
    n = len(state.everyone)
    size = first_size(n) if size is None else min(n, size)
    status = ""
    take = max(1, size // (NEIGHBOURHOOD_TAKE_LARGE if large(wm) else NEIGHBOURHOOD_TAKE))
    # ... not where the first size is already NEIGHBOURHOOD_MAX's cap (xl: larger ones stalled)
    grows = first_size(n) < NEIGHBOURHOOD_MAX
    # open first (it was strict first until 12-03): the strict try met no one in most
    # neighbourhoods after the first (adolescent, large: 3 of 4 neighbourhoods, 4.5 s each),
    # and repeated the grid's search where a neighbourhood is the whole program (mix, small,
    # seed 7: 4.7 s for nothing; the open try met the last 3 in 1.5 s). Open first, presolve
    # off: every kind at large, seeds 1-3, met everyone the bounds allow at 30 s (docs/model.md 10)
    failures = 0
    spent = 0.0  # seconds charged to the neighbourhoods (at least ATTEMPT_SECONDS each)
    while spent < seconds - 0.5 and not settings.interrupted.is_set() and len(state.met) < target:
        attempt = budget.clock()
        short = sorted(pid for pid in wm.met if pid not in hopeless and pid not in state.met)
        if not short:
            break
        k = min(len(short), take)
        offset = (failures // 2 * k) % len(short)
        chosen = (short[offset:] + short[:offset])[:k]
        free = neighbourhood(wm, state, chosen, size)
        fixed = [(var.index, state.values.value(var)) for (pid, _oi), var in wm.a.items() if pid not in free]
        # open: only those already met required, so that some of the chosen can be met where
        # all of them cannot (adolescent, large: 106 -> 120 fully met in 30 s); strict: every
        # chosen participant required, on the grid
        strict = failures % 2 == 1
        required = [pid for pid in free if pid in state.met or (strict and pid in chosen)]
        before = len(state.met)
        left = seconds - spent
        part = min(left, max(NEIGHBOURHOOD_SECONDS, NEIGHBOURHOOD_SLICE * left))
        status = local_search(wm, state, required, closed if strict else [], part, budget,
                               settings, progress, min(target, before + len(chosen)), fixed=fixed,
                               workers=workers, complete=not strict, presolve=not fixed,
                               stall=NEIGHBOURHOOD_STALL)
        # an attempt counts at least ATTEMPT_SECONDS: one that CP-SAT settles at once (no
        # week, in about no deterministic time) would otherwise repeat without end when
        # --deterministic (a small program whose short participants no neighbourhood can meet)
        spent += max(ATTEMPT_SECONDS, budget.clock() - attempt)
        if len(state.met) <= before:
            failures += 1
            if failures % 2 == 0:  # open and strict both failed: fewer chosen, a larger neighbourhood
                take = max(1, take // 2)
                size = min(n, int(size * 1.3))
        elif strict:
            failures += 1  # the next neighbourhood is tried open first again
        elif grows and len(state.met) - before < NEIGHBOURHOOD_GROW_BELOW * len(chosen):
            size = min(n, int(size * 1.3))  # too tight for its chosen: more others to move
    return status


def fewer_units(wm: WeekModel, state: BestWeek, budget: Budget, settings: SearchSettings, seconds: float,
                 progress, floor: int) -> None:
    """Once everyone the bound allows is fully met: the participants still short (those no
    schedule can fully meet), one at a time, with the participants sharing their times
    (`neighbourhood`), re-planned by CP-SAT's complete search on that small model with the
    fewest shortfall units as the objective; whoever is fully met stays fully met and
    everyone else keeps their week. The whole model's units search did not move from a week
    that met everyone meetable (planted, medium: 98 units against a bound of 60 after 15 s)."""
    spent = 0.0
    short = sorted(pid for pid in wm.met if pid not in state.met)
    size = UNITS_NEIGHBOURS
    tried = 0
    while short and state.units > floor and not settings.interrupted.is_set():
        left = seconds - spent
        attempt = budget.clock()
        if left < 0.5:
            break
        chosen = short[tried % len(short)]
        tried += 1
        free = neighbourhood(wm, state, [chosen], size)
        fixed = [(var.index, state.values.value(var)) for (pid, _oi), var in wm.a.items() if pid not in free]
        required = [pid for pid in free if pid in state.met]
        part = min(left, max(1.0, left / max(1, len(short) - tried + 1)))
        local_search(wm, state, required, [], part, budget, settings, progress, len(wm.met) + 1,
                      fixed=fixed, complete=True, portfolio=True)
        spent += max(ATTEMPT_SECONDS, budget.clock() - attempt)  # as in neighbourhoods
        if tried % len(short) == 0:
            size = min(len(wm.met), size * 2)  # every one tried: larger neighbourhoods


def neighbourhood(wm: WeekModel, state: BestWeek, short: list[str], size: int,
                   weeks: dict[str, set[int]] | None = None) -> set[str]:
    """The participants still short, and up to `size` in all with the most sessions in the
    (day, slot)s where those participants could attend something; a session of a type one
    of them still lacks (a prescriber's visits, say) counts more. The others' sessions are
    the best week's, or `weeks` (participant -> option indices) where given."""
    free = set(short)
    people = wm.program.participant_by_id()
    reach: set[tuple[int, int]] = set()
    have: dict[str, dict[int, int]] = {pid: {} for pid in free}
    by_p: dict[str, list[int]] = {}
    for (pid, oi), var in wm.a.items():
        o = wm.options[oi]
        if pid in free:
            reach.update((o.day, o.slot + k) for k in range(o.length))
            if state.values.value(var):
                have[pid][o.type_index] = have[pid].get(o.type_index, 0) + 1
        elif (oi in weeks.get(pid, ())) if weeks is not None else state.values.value(var):
            by_p.setdefault(pid, []).append(oi)
    lacking = {ti for pid in free for ti, t in enumerate(wm.program.session_types)
               if have[pid].get(ti, 0) < weekly_min_for(people[pid], t)}

    def score(ois: list[int]) -> int:
        return sum((1 + NEIGHBOURHOOD_LACKING * (wm.options[oi].type_index in lacking))
                   for oi in ois if (wm.options[oi].day, wm.options[oi].slot) in reach)

    scores = {pid: score(ois) for pid, ois in by_p.items()}
    for pid in sorted(scores, key=lambda x: (-scores[x], x)):
        if len(free) >= size or scores[pid] == 0:
            break
        free.add(pid)
    return free


def grid_closed(wm: WeekModel, values) -> list[int]:
    """Leader variables of group options starting at a time of day no group of the week starts."""
    starts = {o.start for o in wm.options if o.stype.is_group
              and any(values.value(wm.y[o.index, s]) for s in o.staff)}
    if not starts:
        return []
    return [wm.y[o.index, s].index for o in wm.options
            if o.stype.is_group and o.start not in starts for s in o.staff]
