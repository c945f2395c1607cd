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
solve (`solve.extract`). A split always exists because n*min_size <= attendees <=
sum of the rooms' effective capacities (see docs/model.md).

The options are built in `cpsat.options`; the hard rules are one function each in
`cpsat.rules`, applied in the order of its HARD_RULES (with the scopes they act in). Requirements are soft with a dominant penalty; preferences are penalty
terms. Every term is kept by name in `WeekModel.terms` so the Summary can report each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
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
from iopsched.cpsat.rules import (
    HARD_RULES,
    ParticipantDay,
    ParticipantWeek,
    PinnedConflict,
    effective_capacity,
    minutes_sum,
    option_days,
    rules_of,
    seats_of,
)
from iopsched.domain import (
    PREFERRED_WINDOWS,
    Participant,
    Program,
    weekly_min_for,
)
from iopsched.schedule import Schedule

lsum = cp_model.LinearExpr.sum  # faster than sum() over many variables
wsum = cp_model.LinearExpr.weighted_sum

# the names importers use from here (the options and rules live in their own modules)
__all__ = ["HARD_RULES", "UNMET_UNITS", "Option", "PinnedConflict", "RoomClass", "WeekModel", "attendable",
           "build", "build_options", "effective_capacity", "high_tier", "room_classes", "set_requirements_objective",
           "slots_needed", "unit_kind", "unit_terms", "unmet_scale"]


# relative size of one unit of each kind of unmet requirement inside the `unmet` term
UNMET_UNITS = {"days": 4, "day_hours": 1, "week_hours": 1, "session": 4}  # hour terms count slots


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


def unit_kind(requirement: str) -> str:
    return requirement if requirement in ("days", "day_hours", "week_hours") else "session"


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


def _soft_minimum(wm: WeekModel, name: str, need: int, have, shortfalls: list,
                  requirement: str, day: int | None) -> None:
    """A requirement `have >= need` kept soft: short = max(0, need - have) is penalised."""
    m = wm.model
    short = m.new_int_var(0, need, name)
    m.add_max_equality(short, [0, need - have])
    m.add(short >= need - have)  # the same, linear, for the LP relaxation
    shortfalls.append((requirement, day, short))
    wm.terms.setdefault("unmet", []).append(UNMET_UNITS[unit_kind(requirement)] * short)


@dataclass
class _Week:
    """What one participant's days add up to, for the week's rules, requirements and routine."""

    shortfalls: list
    minutes: list = field(default_factory=list)  # (attendance, minutes) of counted sessions
    per_type: dict[int, list] = field(default_factory=lambda: defaultdict(list))  # type -> attendances
    slots: list = field(default_factory=list)  # (attendance, slots) of counted sessions
    used_start: dict[int, list] = field(default_factory=lambda: defaultdict(list))  # slot -> first-start vars
    attends: list = field(default_factory=list)  # each day's attended variable


def add_participant(wm: WeekModel, p: Participant, by_p_day, preferences: bool = True) -> None:
    """Rules 1, 6 and 7 for one participant (HARD_RULES of scope "day" and "participant"),
    their requirements (soft), and, with `preferences`, their preference terms (time of day,
    days, continuity, services per day, routine)."""
    pid = p.participant_id
    week = _Week(shortfalls=[])
    wm.shortfalls[pid] = week.shortfalls
    day_rules, week_rules = rules_of("day"), rules_of("participant")
    for day in option_days(wm):
        opts = by_p_day.get((pid, day), [])
        if opts:
            _participant_day(wm, p, day, opts, week, day_rules, preferences)
    # the hard rules on the week: 6 (days, week hours, weekly maxima)
    for rule in week_rules:
        rule(wm, ParticipantWeek(p, week.attends, week.minutes, week.per_type))
    _week_requirements(wm, p, week)
    if preferences and week.used_start and len(week.attends) > 1:
        _routine(wm, p, week)


def _participant_day(wm: WeekModel, p: Participant, day: int, opts: list[Option], week: _Week,
                     day_rules: list[Callable], preferences: bool) -> None:
    """One participant's day: the hard rules on it, its hours requirement, its preferences."""
    pid = p.participant_id
    S = wm.program.rules.slot_minutes
    cover: dict[int, list] = defaultdict(list)
    day_minutes = []
    per_type_day: dict[int, list] = defaultdict(list)
    all_sessions = []
    for o in opts:
        v = wm.a[pid, o.index]
        all_sessions.append(v)
        for k in range(o.length):
            cover[o.slot + k].append(v)
        if o.stype.counts_toward_hours:
            day_minutes.append((v, o.stype.minutes))
            week.slots.append((v, o.stype.minutes // S))
        per_type_day[o.type_index].append(v)
        week.per_type[o.type_index].append(v)
        if preferences:
            _session_preferences(wm, p, o, v)
    # the hard rules on the day: 1 (one session at a time), 6 (day maxima), 7 (compact day)
    pd = ParticipantDay(wm.model, p, day, opts, all_sessions, cover, per_type_day, day_minutes)
    for rule in day_rules:
        rule(wm, pd)
    week.minutes += day_minutes
    att = pd.attended  # the day is attended iff some session that day
    wm.attend[pid, day] = att
    week.attends.append(att)
    # requirement: hours on an attended day
    need = slots_needed(p.day_hours_min, S)
    if need > 0:
        counted = [o for o in opts if o.stype.counts_toward_hours]
        slots_day = wsum([wm.a[pid, o.index] for o in counted], [o.stype.minutes // S for o in counted])
        _soft_minimum(wm, f"short_dh_{pid}_{day}", need, slots_day + need * (1 - att), week.shortfalls,
                      "day_hours", day)
    if preferences:
        _day_preferences(wm, p, day, opts, pd, all_sessions, week)


def _day_preferences(wm: WeekModel, p: Participant, day: int, opts: list[Option], pd: ParticipantDay,
                     all_sessions: list, week: _Week) -> None:
    """The first start of the day (for routine), services per day, the higher tier, days."""
    m, r, W = wm.model, wm.program.rules, wm.terms
    pid = p.participant_id
    att, before = pd.attended, pd.before
    # routine: the first start of the day: ds[u] -> busy at u and nothing before u
    ds_vars = []
    for u in pd.slots:
        starts_here = [wm.a[pid, o.index] for o in opts if o.slot == u]
        if not starts_here:
            continue
        ds = m.new_bool_var(f"ds_{pid}_{day}_{u}")
        m.add(lsum(starts_here) >= ds)
        m.add_implication(ds, before[u].Not())
        ds_vars.append(ds)
        week.used_start[u].append(ds)
    m.add(lsum(ds_vars) == att)
    # preference: services per attended day
    if r.day_services_min:
        sv = m.new_int_var(0, r.day_services_min, f"svc_{pid}_{day}")
        m.add(sv >= r.day_services_min * att - lsum(all_sessions))
        W["day_services"].append(sv)
    # preference: the higher payment tier, an attended day of at least the participant's
    # rule set's day_services_high_tier services (counted sessions); low = 1 below it
    tier = high_tier(r, p)
    if tier:
        counted_day = [wm.a[pid, o.index] for o in opts if o.stype.counts_toward_hours]
        low = m.new_bool_var(f"low_{pid}_{day}")
        m.add(lsum(counted_day) >= tier * (att - low))
        W["day_tier"].append(low)
    # preference: days
    if p.preferred_days and day not in p.preferred_days:
        W["day_preference"].append(att)


def _week_requirements(wm: WeekModel, p: Participant, week: _Week) -> None:
    """Requirements (soft, dominant penalty): days, week hours, each type's weekly minimum."""
    pid = p.participant_id
    n_days = lsum(week.attends) if week.attends else 0
    if p.days_min > 0:
        _soft_minimum(wm, f"short_days_{pid}", p.days_min, n_days, week.shortfalls, "days", None)
    need = slots_needed(p.week_hours_min, wm.program.rules.slot_minutes)
    if need > 0:
        _soft_minimum(wm, f"short_wh_{pid}", need, minutes_sum(week.slots), week.shortfalls, "week_hours", None)
    for ti, t in enumerate(wm.program.session_types):
        wmin = weekly_min_for(p, t)
        if wmin > 0:
            _soft_minimum(wm, f"short_t{ti}_{pid}", wmin, lsum(week.per_type.get(ti, [])), week.shortfalls,
                          t.name, None)


def _routine(wm: WeekModel, p: Participant, week: _Week) -> None:
    """Preference: routine, one start time across the attended days (start times beyond the first)."""
    m, pid = wm.model, p.participant_id
    used = []
    for u, dss in sorted(week.used_start.items()):
        uv = m.new_bool_var(f"used_{pid}_{u}")
        for ds in dss:
            m.add_implication(ds, uv)
        used.append(uv)
    anyday = m.new_bool_var(f"any_{pid}")
    m.add(anyday <= lsum(week.attends))
    extra = m.new_int_var(0, len(used), f"routine_{pid}")
    m.add(extra >= lsum(used) - anyday)
    wm.terms["routine"].append(extra)


def high_tier(rules, p: Participant) -> int | None:
    """The services an attended day of p needs for the higher payment tier, when the
    `day_tier` weight is on and p's level follows a rule set with such a tier."""
    if not rules.weights.get("day_tier"):
        return None  # off: no variables, so default schedules do not change
    rule_set = rules.compliance.rule_set_for(p.level)
    return rule_set.day_services_high_tier if rule_set is not None else None


def _session_preferences(wm: WeekModel, p: Participant, o: Option, v) -> None:
    """Preferences of one possible session: time of day, primary-therapist continuity."""
    m = wm.model
    W = wm.terms
    pid = p.participant_id
    if p.preferred_time:
        lo, hi = PREFERRED_WINDOWS[p.preferred_time]
        if not lo <= o.start < hi:
            W["time_preference"].append(v)
    if o.stype.kind == "individual" and p.primary_therapist:
        if p.primary_therapist in o.staff:
            ap = m.new_bool_var(f"ap_{pid}_{o.index}")
            m.add_implication(ap, v)
            m.add_implication(ap, wm.y[o.index, p.primary_therapist])
            wm.a_primary[pid, o.index] = ap
            miss = m.new_bool_var(f"miss_{pid}_{o.index}")  # with another therapist
            m.add(miss >= v - ap)
            W["continuity"].append(miss)
        else:
            W["continuity"].append(v)
