"""Suggest a change that lets unmet participants meet their requirements, checked by re-solving.

For every participant with a shortfall (`requirements.shortfalls`) the data says what is
missing and who could provide it:

(a) extra availability for a staff member holding the needed role (the session type's
    `staff_role` for a missing service; the role leading the participant's eligible groups
    for days and hours), on a day and at a time the participant is free
    (`explain.free_windows`). The staff member already working nearest to that time that
    day is preferred, then the one with the fewest hours; the window extends their shift
    where it can and avoids the sessions they already lead;
(b) an extra room of the needed kind (capacity: the largest `max_size` of the types
    concerned) when rooms look like the bottleneck: at the times the participant could
    attend, a leader is free but every fitting room is taken at least as often as not;
(c) when the participant's own free time is the cause (too few days on which their free
    time holds the daily minimum, or too few hours in the week), no program change helps:
    the suggestion is to ask the participant about another day, naming the days that come
    closest. These are marked `verified=False`: there is nothing to re-solve.

Candidates of (a) and (b) are ranked by how many unmet participants they might help;
at most `max_candidates` are tried. Each is applied to a copy of the program
(`dataclasses.replace`: a new window in `Staff.windows`, or a new `Room`) and re-solved
with `solve(changed, time_limit=..., workers=2, seed=0)`. A suggestion is kept only when
some of the participants it names become fully met and nobody who was fully met becomes
unmet. When the given schedule's requirements were not proven (stage 1 of the solve did not
reach its bound), the unchanged program is first re-solved with a longer limit
(`LONGER` times the re-solve limit): a participant that re-solve meets is not credited to
any change, and when it meets everyone the bound allows, that is the suggestion (a longer
--time-limit, not more staff or rooms, is what the week needs).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from iopsched.analysis.explain import free_windows
from iopsched.analysis.requirements import Shortfall, minutes_by_day, shortfalls
from iopsched.domain import (
    Program,
)
from iopsched.schedule import Schedule
from iopsched.solver.suggest_candidates import room_candidates, staff_candidates, widened
from iopsched.solver.suggest_needs import (
    LONGER,
    SAME_GROUP_TRIES,
    Busy,
    Candidate,
    Person,
    Suggestion,
    met,
    names,
    needs_of,
    own_day_hours,
    own_time_suggestions,
)

SolveFn = Callable[[Program], Schedule]

# --- the suggestion ----------------------------------------------------------------------------


def _people(program: Program, schedule: Schedule, short: list[Shortfall]) -> dict[str, Person]:
    by_pid: dict[str, list[Shortfall]] = defaultdict(list)
    for s in short:
        by_pid[s.participant_id].append(s)
    people = {}
    for p in program.participants:
        if p.participant_id not in by_pid:
            continue
        people[p.participant_id] = Person(
            p, by_pid[p.participant_id], own_day_hours(program, p),
            {d: free_windows(program, p, d) for d in program.rules.days},
            dict(minutes_by_day(schedule, p.participant_id)))
    return people


def candidates(program: Program, schedule: Schedule) -> tuple[list[Candidate], list[Suggestion]]:
    """The ranked changes worth a re-solve, and the unverified (c) suggestions."""
    people = _people(program, schedule, shortfalls(program, schedule))
    busy = Busy(schedule)
    needs = widened([n for x in people.values() for n in needs_of(program, x)])
    found = (room_candidates(program, people, needs, busy)
             + staff_candidates(program, people, needs, busy))
    found = [c for c in found if c.helped]
    found.sort(key=lambda c: (-len(c.helped), c.rank))
    unverified = [s for x in people.values() for s in own_time_suggestions(program, x)]
    return found, unverified


def accepted(before_met: set[str], after_met: set[str], listed: Iterable[str],
             already_met: frozenset[str] | set[str] = frozenset()) -> tuple[str, ...]:
    """The listed participants a change lets meet everything; () if anyone loses their minimum."""
    if before_met - after_met:
        return ()
    return tuple(pid for pid in listed if pid in after_met and pid not in before_met | already_met)


def suggest(program: Program, schedule: Schedule, *, time_limit: float = 5.0,
            max_candidates: int = 6, solve_fn: SolveFn | None = None,
            longer_fn: SolveFn | None = None) -> list[Suggestion]:
    """Changes that let unmet participants meet their requirements, each checked by a re-solve.

    Verified suggestions come first, in the order tried; the (c) suggestions about a
    participant's own time follow (verified=False). `solve_fn` replaces the re-solve
    (tests); by default `solve(changed, time_limit=time_limit, workers=2, seed=0)`;
    `longer_fn` the longer re-solve of the unchanged program (LONGER x time_limit).
    """
    found, unverified = candidates(program, schedule)
    if not found or max_candidates <= 0:
        return unverified
    if solve_fn is None:
        from iopsched.solver.solve import solve

        def default_fn(limit: float) -> SolveFn:
            return lambda changed: solve(changed, time_limit=limit, workers=2, seed=0)

        solve_fn = default_fn(time_limit)
        longer_fn = longer_fn or default_fn(LONGER * time_limit)
    longer_fn = longer_fn or solve_fn

    before_met = met(program, schedule)
    baseline: set[str] = set()
    if schedule.summary.get("requirements_status", schedule.summary.get("status")) != "OPTIMAL":
        # first a longer solve of the program as it is: staff or rooms only where that falls short
        again = longer_fn(program)
        if again.sessions:
            baseline = met(program, again) - before_met
            s = again.summary
            if baseline and s.get("participants_fully_met") == s.get("upper_bound_fully_met"):
                longer = Suggestion(f"a longer solve (--time-limit {LONGER * time_limit:g} or more) lets "
                                    f"{names(tuple(sorted(baseline)))} meet their minimum; no change to staff "
                                    "or rooms is needed", tuple(sorted(baseline)), "--time-limit", True,
                                    program, again)
                return [longer, *unverified]

    out: list[Suggestion] = []
    gained_all: set[str] = set()
    tried_keys: set[tuple] = set()
    tries_per_group: Counter[tuple[str, ...]] = Counter()
    tried = 0
    for c in found:
        if tried >= max_candidates:
            break
        hopeful = [pid for pid in c.helped if pid not in gained_all and pid not in baseline]
        if not hopeful or c.key in tried_keys or tries_per_group[c.helped] >= SAME_GROUP_TRIES:
            continue
        tried += 1
        tried_keys.add(c.key)
        tries_per_group[c.helped] += 1
        result = solve_fn(c.program)
        if not result.sessions:
            continue
        gained = accepted(before_met, met(c.program, result), hopeful, baseline)
        if not gained:
            continue
        gained_all.update(gained)
        out.append(Suggestion(f"{c.what} lets {names(gained)} meet their minimum", gained,
                              c.change, True, c.program, result))
    return out + unverified

