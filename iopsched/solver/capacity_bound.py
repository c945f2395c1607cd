"""How many participants the program's rooms and leaders can serve at all: a second upper
bound on participants fully met, beside each participant's own (`upper_bound`).

A participant fully met needs, in the hours they are free, at least
- their weekly minimum of each service (individual, family, medication): a room that hosts
  it and a leader holding its role, for the service's minutes, to themselves;
- the rest of their weekly hours in groups: a group session of `L` minutes seats at most
  `c` participants (the largest group they may join, in the largest room that fits), so
  the participant's share of group-room and leader minutes is at least rest / c.
For any set of time slots W, the participants whose free slots all lie in W must find
those minutes in W: the sum of their needs is at most what W holds (rooms x minutes; the
leaders' available minutes of each role; a leader holding two roles counts for both, and
their hour maxima are ignored, so this only ever overestimates what W holds). The most
participants a 0/1 choice can meet under these inequalities, for W over every participant's
free slots and their union, bounds every schedule. It ignores the days, compact days and
every other rule, so it is loose where those bind and exact where a scarce resource does:
an evening that holds fewer group-room hours than its evening-only participants need, a
prescriber who cannot see everyone who needs a visit.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from iopsched.cpsat.model import WeekModel, effective_capacity, slots_needed
from iopsched.domain import Participant, Program, day_name, eligible, hhmm, weekly_min_for

SOLVE_SECONDS = 5.0  # deterministic time for the small 0/1 model (it solves in well under)


@dataclass(frozen=True)
class CapacityBound:
    fully_met_max: int  # no schedule fully meets more participants
    proven: bool  # the 0/1 model was solved to optimality (else its bound is used)
    binding: str  # the resource and hours that bind, for the Summary ("" when nothing does)


def capacity_bound(program: Program, wm: WeekModel, meetable: set[str]) -> CapacityBound:
    """The bound over `meetable` participants (the others are unmet anyway)."""
    S = program.rules.slot_minutes
    free, group_cap = _free_times(wm, meetable)
    people = program.participant_by_id()
    needs: dict[str, dict[tuple[str, str], int]] = {}
    for pid in sorted(free):
        need = _needs(program, people[pid], group_cap[pid])
        if need is not None:
            needs[pid] = need
    windows = {frozenset(f) for f in free.values()}
    windows.add(frozenset().union(*free.values()) if free else frozenset())
    m = cp_model.CpModel()
    x = {pid: m.new_bool_var(f"x_{pid}") for pid in needs}
    rows = []
    for window in sorted(windows, key=lambda w: (len(w), sorted(w))):
        inside = [pid for pid in needs if free[pid] <= window]
        resources = sorted({r for pid in inside for r in needs[pid]})
        for resource in resources:
            have = _supply(program, window, resource)
            terms = [(x[pid], needs[pid][resource]) for pid in inside if needs[pid].get(resource)]
            if terms and sum(c for _v, c in terms) > have:
                m.add(cp_model.LinearExpr.weighted_sum([v for v, _c in terms], [c for _v, c in terms]) <= have)
                rows.append((window, resource, inside, have))
    unconstrained = len(meetable) - len(needs)  # meetable participants without a need row
    if not rows:
        return CapacityBound(len(meetable), True, "")
    m.maximize(sum(x.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = SOLVE_SECONDS
    solver.parameters.catch_sigint_signal = False
    status = solver.solve(m)
    if status == cp_model.OPTIMAL:
        best, proven = round(solver.objective_value), True
    else:
        best, proven = math.floor(solver.best_objective_bound + 1e-9), False
    binding = ""
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and best + unconstrained < len(meetable):
        binding = _binding(program, rows, solver, x, needs, S, frozenset().union(*free.values()))
    return CapacityBound(min(len(meetable), best + unconstrained), proven, binding)


def _free_times(wm: WeekModel, meetable: set[str]) -> tuple[dict[str, set[tuple[int, int]]], dict[str, int]]:
    """Each meetable participant's (day, slot)s they could attend something in, and the most
    seats a group they may join can have."""
    free: dict[str, set[tuple[int, int]]] = defaultdict(set)
    group_cap: dict[str, int] = defaultdict(int)
    for (pid, oi) in wm.a:
        if pid not in meetable:
            continue
        o = wm.options[oi]
        free[pid].update((o.day, o.slot + k) for k in range(o.length))
        if o.stype.is_group:
            cap = max(effective_capacity(wm.classes[c], o.stype) for c in o.classes)
            group_cap[pid] = max(group_cap[pid], cap)
    return free, group_cap


def _needs(program: Program, p: Participant, group_cap: int) -> dict[tuple[str, str], int] | None:
    """What the participant needs, in minutes, by resource: ("room", kind | "any") and ("role",
    name); a group's minutes shared by its seats. None: hours no group can give (the
    participant's own bound says so)."""
    S = program.rules.slot_minutes
    need: dict[tuple[str, str], int] = defaultdict(int)
    countable = 0
    days = min(p.days_max, len(program.rules.days))
    for t in program.session_types:
        if t.is_group or not eligible(p, t):
            continue
        wmin = weekly_min_for(p, t)
        if wmin:
            need["room", t.kind] += wmin * t.minutes
            need["room", "any"] += wmin * t.minutes
            need["role", t.staff_role] += wmin * t.minutes
        if t.counts_toward_hours:
            most = t.weekly_max if t.weekly_max is not None else t.daily_max * days
            countable += most * t.minutes
    rest = max(0, slots_needed(p.week_hours_min, S) * S - countable)
    if rest:
        if not group_cap:
            return None
        share = rest // group_cap  # rounded down: never more than the true need
        need["room", "group"] += share
        need["room", "any"] += share
        roles = {t.staff_role for t in program.session_types if t.is_group and eligible(p, t)}
        if len(roles) == 1:
            need["role", next(iter(roles))] += share
    return dict(need)


def _supply(program: Program, window: frozenset[tuple[int, int]], resource: tuple[str, str]) -> int:
    """Minutes of a resource within a window of (day, slot)s: rooms of a kind, or the
    available minutes of the staff holding a role."""
    S = program.rules.slot_minutes
    kind, name = resource
    if kind == "room":
        rooms = [r for r in program.rooms if name == "any" or name in r.kinds]
        return len(rooms) * len(window) * S
    total = 0
    for s in program.staff:
        if name not in s.roles:
            continue
        for day, slot in window:
            start = program.rules.open + slot * S
            if s.available(day, start, start + S):
                total += S
    return total


def _binding(program: Program, rows, solver, x, needs, S: int, everywhere: frozenset) -> str:
    """The inequality with the least room left at the optimum, in words."""
    def slack(row) -> float:
        _window, resource, inside, have = row
        used = sum(solver.value(x[pid]) * needs[pid].get(resource, 0) for pid in inside)
        return (have - used) / max(1, have)

    window, resource, inside, have = min(rows, key=lambda r: (slack(r), -len(r[2])))
    days = sorted({d for d, _u in window})
    slots = sorted({u for _d, u in window})
    span = (f"{', '.join(day_name(d) for d in days)} {hhmm(program.rules.open + slots[0] * S)}-"
            f"{hhmm(program.rules.open + (slots[-1] + 1) * S)}")
    what = (f"rooms for {resource[1]} sessions" if resource[0] == "room" and resource[1] != "any"
            else "rooms" if resource[0] == "room" else f"{resource[1]} hours")
    met = sum(1 for pid in inside if solver.value(x[pid]))
    n = sum(1 for pid in inside if needs[pid].get(resource))
    where = "in the week" if window == everywhere else f"within {span}, the only times these participants are free"
    return f"the {what} {where} ({have / 60:g} h) can serve at most {met} of the {n} participants who need them"
