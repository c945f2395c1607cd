"""The CP-SAT model of a program week (time-indexed booleans on the slot grid).

Decisions, per *option* (session type, day, start slot):
- y[o, s]   staff member s leads a session of the option (one boolean per qualified,
            available staff member);
- z[o, s]   staff member s co-leads a session of a co-led type's option (issue 19; none
            for a type without co_leader_role);
- rc[o, c]  how many sessions of the option use a room of room class c (identical rooms
            are aggregated into classes, see `room_classes`);
- a[p, o]   participant p attends a session of the option.
Interchangeable parallel sessions of one option are aggregated: the option runs
n = sum_s y = sum_c rc sessions and the participants are split among them after the
solve (`cpsat.extract`). A split always exists because n*min_size <= attendees <=
sum of the rooms' effective capacities (see docs/model.md).

The options are built in `cpsat.options`; the hard rules are one function each in
`cpsat.rules`, applied in the order of its HARD_RULES (with the scopes they act in); each
participant's part (their days' and week's rules, requirements and preferences) is added by
`cpsat.participant`. Requirements are soft with a dominant penalty; preferences are penalty
terms. Every term is kept by name in `WeekModel.terms` so the Summary can report each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

from ortools.sat.python import cp_model

from iopsched.cpsat.options import (
    Option,
    RoomClass,
    attendable,
    build_options,
    room_classes,
    slots_needed,
)
from iopsched.cpsat.participant import UNMET_UNITS, add_participant, high_tier, unit_kind
from iopsched.cpsat.rules import (
    HARD_RULES,
    PinnedConflict,
    effective_capacity,
    minutes_sum,
    option_days,
    rules_of,
    seats_of,
)
from iopsched.domain import Program
from iopsched.schedule import Schedule

lsum = cp_model.LinearExpr.sum  # faster than sum() over many variables

# the names importers use from here (the options and rules live in their own modules)
__all__ = ["HARD_RULES", "UNMET_UNITS", "Option", "PinnedConflict", "RoomClass", "WeekModel", "attendable",
           "build", "build_options", "effective_capacity", "high_tier", "room_classes", "set_requirements_objective",
           "slots_needed", "unit_kind", "unit_terms", "unmet_scale"]


@dataclass
class WeekModel:
    program: Program
    model: cp_model.CpModel
    options: list[Option]
    classes: list[RoomClass]
    y: dict[tuple[int, str], cp_model.IntVar] = field(default_factory=dict)
    z: dict[tuple[int, str], cp_model.IntVar] = field(default_factory=dict)  # co-leaders (issue 19)
    rc: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    a: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    a_primary: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    attend: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    # shortfalls, by participant: list of (requirement, day|None, required, var, unit scale)
    shortfalls: dict[str, list[tuple[str, int | None, cp_model.IntVar]]] = field(default_factory=dict)
    terms: dict[str, list] = field(default_factory=dict)  # term -> list of linear expressions
    slot_minutes: int = 30
    grid_open: int = 0
    n_slots: int = 0
    frozen: list = field(default_factory=list)  # literals --freeze keeps at 1 (when still feasible)
    met: dict[str, cp_model.IntVar] = field(default_factory=dict)  # stage 1: participant fully met
    requirements_scale: int = 0  # stage 1: the weight of one participant not fully met
    days: tuple[int, ...] = ()  # the days the options lie on (`option_days`)

    def option_sessions(self, o: Option):
        return lsum([self.y[o.index, s] for s in o.staff])

    @cached_property
    def option_by_key(self) -> dict[tuple[str, int, int], Option]:
        """(session type name, day, start minute) -> its option."""
        return {(o.stype.name, o.day, o.start): o for o in self.options}

    @contextmanager
    def narrowed(self, at_least_one: Iterable[int] = (), at_most_zero: Iterable[int] = (),
                 fixed: Iterable[tuple[int, int]] = ()) -> Iterator[None]:
        """For one search: boolean variables (by index) at 1, at 0, or fixed at a value; every
        domain as it was afterwards (the stage-1 searches' required, closed and kept parts)."""
        domains = self.model.proto.variables
        saved: dict[int, tuple[int, int]] = {}

        def narrow(i: int, lo: int | None, hi: int | None) -> None:
            d = domains[i].domain
            saved.setdefault(i, (d[0], d[1]))
            if lo is not None:
                d[0] = lo
            if hi is not None:
                d[1] = hi

        for i in at_least_one:
            narrow(i, 1, None)
        for i in at_most_zero:
            narrow(i, None, 0)
        for i, v in fixed:
            narrow(i, v, v)
        try:
            yield
        finally:
            for i, (lo, hi) in saved.items():
                domains[i].domain[0] = lo
                domains[i].domain[1] = hi

    @cached_property
    def staff_day_minutes(self) -> dict[tuple[str, int], list]:
        """(staff, day) -> (lead or co-lead variable, minutes) of every session they might lead
        or co-lead that day (co-leading counts in the staff hours: rule 3). Read by rule 3's
        staff hours and the staff balance; first read once the leaders and co-leaders exist
        (after `build`'s `_sessions`)."""
        out: dict[tuple[str, int], list] = defaultdict(list)
        for o in self.options:
            for s in o.staff:
                out[s, o.day].append((self.y[o.index, s], o.stype.minutes))
            for s in o.co_staff:
                out[s, o.day].append((self.z[o.index, s], o.stype.minutes))
        return out

    @cached_property
    def room_class(self) -> dict[str, int]:
        """room id -> the index of its room class."""
        return {room.room_id: ci for ci, c in enumerate(self.classes) for room in c.rooms}


def build(program: Program, previous: Schedule | None = None, freeze: str | None = None,
          preferences: bool = True) -> WeekModel:
    """The week's model. `preferences=False` gives the requirements-first model of stage 1
    (every hard rule and the requirements, no preference term and none of their variables).

    The hard rules are added from HARD_RULES, in its order (see there)."""
    r = program.rules
    S = r.slot_minutes
    classes = room_classes(program)
    wm = WeekModel(program, cp_model.CpModel(), build_options(program, classes), classes, slot_minutes=S,
                   grid_open=r.open, n_slots=(r.close - r.open) // S)
    for name in r.weights:
        wm.terms[name] = []
    _sessions(wm)
    by_p_day = _attendance(wm)
    attendees: dict[int, list] = defaultdict(list)
    for (_pid, oi), var in wm.a.items():
        attendees[oi].append(var)
    # --- the hard rules on sessions: sizes, leaders, rooms, pins (HARD_RULES) ----------------
    per_option = rules_of("option")
    for o in wm.options:
        for rule in per_option:
            rule(wm, o, attendees[o.index])
        if o.stype.is_group:
            seats_of(wm, o, attendees[o.index])  # rules 4 and 5: capacity and max_size
    for rule in rules_of("week"):
        rule(wm, attendees)
    # --- participants: rules 1, 6, 7 and the requirements (and their preferences) -----------
    for p in program.participants:
        add_participant(wm, p, by_p_day, preferences)
    if not preferences:
        set_requirements_objective(wm)
        return wm
    _continuity_links(wm)
    if previous is not None:  # stability against last week (and --freeze)
        _stability(wm, previous, freeze)
    _program_preferences(wm)
    return wm


def _sessions(wm: WeekModel) -> None:
    """The leaders and rooms of each option: y[o, s], rc[o, c] (and co-leaders z[o, s])."""
    m, classes = wm.model, wm.classes
    for o in wm.options:
        for s in o.staff:
            wm.y[o.index, s] = m.new_bool_var(f"y_{o.index}_{s}")
        for ci in o.classes:
            cap = len(classes[ci].rooms)
            wm.rc[o.index, ci] = m.new_int_var(0, min(cap, len(o.staff)), f"rc_{o.index}_{ci}")
        # Rules 3 and 4: every session has exactly one leader and exactly one room. This is what
        # makes n = sum(y) = sum(rc) a count of sessions, so it is not one of HARD_RULES.
        m.add(lsum([wm.y[o.index, s] for s in o.staff]) == lsum([wm.rc[o.index, ci] for ci in o.classes]))
        if o.stype.co_led:
            _co_leaders(wm, o)


def _attendance(wm: WeekModel) -> dict[tuple[str, int], list[Option]]:
    """Attendance variables a[p, o], pruned (eligibility, commitments + travel buffer, maxima,
    and group options fewer than min_size participants could ever attend); by (participant, day)."""
    by_p_day: dict[tuple[str, int], list[Option]] = defaultdict(list)
    for p, o in attendable(wm.program, wm.options):
        wm.a[p.participant_id, o.index] = wm.model.new_bool_var(f"a_{p.participant_id}_{o.index}")
        by_p_day[p.participant_id, o.day].append(o)
    return by_p_day


def _program_preferences(wm: WeekModel) -> None:
    """The program's preference terms (fewer, fuller groups; the peak staff load) and the
    weighted objective of every term."""
    m, r, W = wm.model, wm.program.rules, wm.terms
    S = r.slot_minutes
    for o in wm.options:
        if o.stype.is_group:
            W["group_sessions"].append(wm.option_sessions(o))  # fuller groups, fewer sessions
    loads = _staff_loads(wm)
    if loads:
        peak = m.new_int_var(0, 7 * 24 * 60 // S, "peak_staff_load")
        for load in loads:
            m.add(peak * S >= load)
        W["staff_balance"].append(peak)
    objective = []
    for name, exprs in W.items():
        weight = r.weights.get(name, 0)
        if weight and exprs:
            objective.append(weight * sum(exprs))
    if objective:
        m.minimize(sum(objective))


def _co_leaders(wm: WeekModel, o: Option) -> None:
    """Rule 3 (co-led types): every session of the option has exactly one co-leader, like its
    one leader (not one of HARD_RULES: it counts the sessions, sum(z) = sum(y) = n). That the
    co-leader is not the session's own leader follows from rule3_leader_overlap (co-leading is
    being busy)."""
    for s in o.co_staff:
        wm.z[o.index, s] = wm.model.new_bool_var(f"z_{o.index}_{s}")
    wm.model.add(lsum([wm.z[o.index, s] for s in o.co_staff]) == wm.option_sessions(o))


def _staff_loads(wm: WeekModel) -> list:
    """Each staff member's weekly minutes of leading and co-leading, as expressions (staff balance)."""
    day_minutes = wm.staff_day_minutes
    loads = []
    for s in wm.program.staff:
        week = [term for day in option_days(wm) for term in day_minutes.get((s.staff_id, day), [])]
        if week:
            loads.append(minutes_sum(week))
    return loads


def _continuity_links(wm: WeekModel) -> None:
    """Continuity bookkeeping: a leader sees at most one of their own clients per session."""
    m = wm.model
    program = wm.program
    primary_at: dict[tuple[int, str], list] = defaultdict(list)
    pinned_client = {(pin.session_type, pin.day, pin.start, pin.staff_id): set(pin.participants)
                     for pin in program.pinned if pin.participants}
    people = program.participant_by_id()
    for (pid, oi), ap in wm.a_primary.items():
        o = wm.options[oi]
        staff = people[pid].primary_therapist
        if staff is None:  # a_primary exists only for participants with a primary therapist
            continue
        fixed = pinned_client.get((o.stype.name, o.day, o.start, staff))
        if fixed is not None and pid not in fixed:
            m.add(ap == 0)  # that leader's pinned session belongs to someone else
        primary_at[oi, staff].append(ap)
    for (oi, staff), aps in primary_at.items():
        if len(aps) > 1:
            m.add(sum(aps) <= wm.y[oi, staff])


def set_requirements_objective(wm: WeekModel) -> None:
    """Stage 1's objective: most participants fully met, then fewest shortfall units.

    `wm.met[pid]` is true only when every requirement of the participant is met; the
    objective minimises UNMET_SCALE * (participants not fully met) + shortfall units, where
    UNMET_SCALE exceeds any possible total of units (lexicographic)."""
    m = wm.model
    for pid, shorts in wm.shortfalls.items():
        met = m.new_bool_var(f"met_{pid}")
        for _req, _day, var in shorts:
            m.add(var == 0).only_enforce_if(met)
        if not shorts:
            m.add(met == 1)
        wm.met[pid] = met
    scale = unmet_scale(wm)
    wm.requirements_scale = scale
    m.minimize(scale * sum(1 - f for f in wm.met.values()) + sum(unit_terms(wm)))


def unit_terms(wm: WeekModel, var_of=lambda var: var) -> list:
    """Each shortfall variable weighted by its unit (UNMET_UNITS), in the model's order;
    `var_of` maps a variable to its twin in a copy of the model, or to a solver's value."""
    return [UNMET_UNITS[unit_kind(req)] * var_of(var) for shorts in wm.shortfalls.values() for req, _day, var in shorts]


def unmet_scale(wm: WeekModel) -> int:
    """More than the largest possible total of shortfall units."""
    variables = wm.model.proto.variables

    def upper(var) -> int:
        domain = variables[var.index].domain  # (its [-1] is not the last item)
        return domain[len(domain) - 1]

    return 1 + sum(UNMET_UNITS[unit_kind(req)] * upper(var)
                   for shorts in wm.shortfalls.values() for req, _day, var in shorts)


def _stability(wm: WeekModel, previous: Schedule, freeze: str | None) -> None:
    """Preference: fewest changes to last week's attendance, leaders and co-leaders (freeze: keep them)."""
    by_key = wm.option_by_key
    people = wm.program.participant_by_id()
    terms = wm.terms["stability"]
    kept: set[tuple[str, int]] = set()  # (participant, option) of last week that can still run
    for s in previous.sessions:
        o = by_key.get((s.session_type, s.day, s.start))
        if o is None:
            continue  # that session can no longer run at that time: the input changed
        lead = wm.y.get((o.index, s.staff_id))
        if lead is not None:
            terms.append(1 - lead)  # same leader at the same time
            if freeze in ("sessions", "participants"):
                wm.frozen.append(lead)
        co_lead = wm.z.get((o.index, s.co_leader_id or ""))
        if co_lead is not None:
            terms.append(1 - co_lead)  # same co-leader at the same time (co-led types)
            if freeze in ("sessions", "participants"):
                wm.frozen.append(co_lead)
        for pid in s.participants:
            v = wm.a.get((pid, o.index))
            if pid in people and v is not None:
                terms.append(1 - v)  # same session for a continuing participant
                kept.add((pid, o.index))
                if freeze == "participants":
                    wm.frozen.append(v)
    # a session added to a continuing participant's week is a change too
    continuing = {pid for s in previous.sessions for pid in s.participants if pid in people}
    for (pid, oi), v in wm.a.items():
        if pid in continuing and (pid, oi) not in kept:
            terms.append(v)
