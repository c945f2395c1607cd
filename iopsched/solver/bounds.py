"""A lower bound on the objective by counting, beside CP-SAT's (docs/model.md, 7).

CP-SAT's LP relaxation bounds the number of group sessions by counting seats over every
option at once, so a week needs "11 sessions" for 18 adults even when evening workers and
school pupils can never share a group. This bound counts per *component*: participants
are linked when some group option could hold both, so no group session ever mixes two
components, and each component needs its own sessions.

Why it is a lower bound of every schedule:
- a schedule with any shortfall pays at least `weights.unmet` (the smallest unit of the
  `unmet` term is 1, every other term is >= 0);
- a schedule meeting every requirement gives each participant their weekly hours; the
  non-group services they may attend cover at most their weekly (or daily x days) maxima,
  so the rest is group hours: at least `need` group sessions of their longest group type.
  A component's sessions hold at most its largest effective room capacity each, and one
  participant's sessions are distinct sessions, so it runs at least
  max(ceil(sum of need / capacity), largest need) group sessions;
- every weekly minimum of a service is led by staff holding its role: the busiest of them
  carries at least their share, and all leaders together carry the services and the group
  sessions counted above (each at least the shortest group type long).
So the optimum is at least min(weights.unmet, weights.group_sessions * G +
weights.staff_balance * peak).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from iopsched.cpsat.model import Option, RoomClass, WeekModel, effective_capacity, slots_needed
from iopsched.domain import Participant, Program, eligible, weekly_min_for


@dataclass(frozen=True)
class CountingBound:
    """The bound on the objective and the two counts behind it (all 0: no bound)."""

    bound: int
    group_sessions: int
    staff_balance: int


NO_BOUND = CountingBound(0, 0, 0)


def counting_bound(wm: WeekModel) -> CountingBound:
    """The bound and the counts behind it (NO_BOUND when a participant cannot be fully met
    even by counting, or `unmet` weighs 0)."""
    w = wm.program.rules.weights
    if w.get("unmet", 0) <= 0:
        return NO_BOUND
    need = _group_sessions_needed(wm.program, wm.program.participants)
    if need is None:
        return NO_BOUND  # never fully met: the search reports the shortfall instead
    groups = _groups(wm.options, wm.classes, wm.a, need)
    if groups is None:
        return NO_BOUND
    peak = _busiest_leader(wm.program, groups, wm.slot_minutes)
    total = w.get("group_sessions", 0) * groups + w.get("staff_balance", 0) * peak
    return CountingBound(min(w["unmet"], total), groups, peak)


def group_sessions_counted(program: Program, options: list[Option], classes: list[RoomClass],
                           pairs: Iterable[tuple[str, int]], participants: Iterable[Participant]) -> int | None:
    """The fewest group sessions, by counting, of a week fully meeting `participants` (some
    of the program's), who may attend the options of `pairs` (participant id, option index);
    the other participants are left out (`term_bounds`). None: no count."""
    people = list(participants)
    need = _group_sessions_needed(program, people)
    ids = {p.participant_id for p in people}
    return None if need is None else _groups(options, classes, [(pid, oi) for pid, oi in pairs if pid in ids], need)


def _group_sessions_needed(prog: Program, participants: Iterable[Participant]) -> dict[str, int] | None:
    """Group sessions each participant attends in any week that meets their requirements
    (None: someone's hours no group can give)."""
    S = prog.rules.slot_minutes
    need: dict[str, int] = {}
    for p in participants:
        week = slots_needed(p.week_hours_min, S)
        days = min(p.days_max, len(prog.rules.days))
        services = sum(
            (t.weekly_max if t.weekly_max is not None else t.daily_max * days) * (t.minutes // S)
            for t in prog.session_types
            if not t.is_group and t.counts_toward_hours and eligible(p, t))
        longest = max((t.minutes // S for t in prog.session_types
                       if t.is_group and t.counts_toward_hours and eligible(p, t)), default=0)
        rest = max(0, week - services)
        if rest and not longest:
            return None
        need[p.participant_id] = math.ceil(rest / longest) if rest else 0
    return need


def group_components(options: list[Option], people: Iterable[str],
                     pairs: Iterable[tuple[str, int]]) -> tuple[Callable[[str], str], dict[int, str]]:
    """Participants linked by a group option they could both attend (union-find over the
    (participant, option index) pairs, in the order given): the root of each participant's
    component, and each group option's first possible attendee (so its component)."""
    parent = {pid: pid for pid in people}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[int, str] = {}
    for (pid, oi) in pairs:
        if not options[oi].stype.is_group:
            continue
        if oi in first:
            parent[root(pid)] = root(first[oi])
        else:
            first[oi] = pid
    return root, first


def _groups(options: list[Option], classes: list[RoomClass], pairs: Iterable[tuple[str, int]],
            need: dict[str, int]) -> int | None:
    """The fewest group sessions: per component of participants some group option could hold
    together, their sessions over the largest group's seats (and at least the most any one of
    them attends). None: a component needs groups and has none."""
    root, first = group_components(options, need, sorted(pairs))
    capacity: dict[str, int] = defaultdict(int)
    for oi, pid in first.items():
        o = options[oi]
        cap = max(effective_capacity(classes[c], o.stype) for c in o.classes)
        capacity[root(pid)] = max(capacity[root(pid)], cap)
    seats: dict[str, int] = defaultdict(int)
    most: dict[str, int] = defaultdict(int)  # a participant's sessions are distinct sessions
    for pid, k in need.items():
        seats[root(pid)] += k
        most[root(pid)] = max(most[root(pid)], k)
    groups = 0
    for r, k in seats.items():
        if k:
            if not capacity[r]:
                return None
            groups += max(math.ceil(k / capacity[r]), most[r])
    return groups


def _busiest_leader(prog, groups: int, S: int) -> int:
    """The busiest leader's slots at least: services by role, and everything over everyone who leads."""
    by_role: dict[str, int] = defaultdict(int)
    for p in prog.participants:
        for t in prog.session_types:
            if not t.is_group:
                by_role[t.staff_role] += weekly_min_for(p, t) * t.minutes
    roles = {t.staff_role for t in prog.session_types}
    leaders = [s for s in prog.staff if s.roles & roles]
    shortest = min((t.minutes for t in prog.session_types if t.is_group), default=0)
    loads = [math.ceil(minutes / (S * n)) for role, minutes in by_role.items()
             if minutes and (n := sum(1 for s in prog.staff if role in s.roles))]
    if leaders:
        loads.append(math.ceil((sum(by_role.values()) + groups * shortest) / (S * len(leaders))))
    return max(loads, default=0)
