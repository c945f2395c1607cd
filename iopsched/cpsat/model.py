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

The hard rules are one function each, applied in the order of HARD_RULES (below, with the
scopes they act in). Requirements are soft with a dominant penalty; preferences are penalty
terms. Every term is kept by name in `WeekModel.terms` so the Summary can report each.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

from ortools.sat.python import cp_model

from iopsched.domain import (
    PREFERRED_WINDOWS,
    Participant,
    Program,
    Room,
    SessionType,
    Staff,
    blocked,
    eligible,
    weekly_min_for,
)
from iopsched.schedule import Schedule

lsum = cp_model.LinearExpr.sum  # faster than sum() over many variables
wsum = cp_model.LinearExpr.weighted_sum


def _minutes(pairs) -> cp_model.LinearExpr:
    """sum(coefficient * variable) of (variable, coefficient) pairs."""
    return wsum([v for v, _c in pairs], [c for _v, c in pairs])


# relative size of one unit of each kind of unmet requirement inside the `unmet` term
UNMET_UNITS = {"days": 4, "day_hours": 1, "week_hours": 1, "session": 4}  # hour terms count slots


@dataclass(frozen=True)
class Option:
    """A (session type, day, start slot) at which sessions of the type may run."""

    index: int
    type_index: int
    stype: SessionType
    day: int
    slot: int  # index on the day's grid
    start: int  # minutes since midnight
    end: int
    length: int  # in slots
    staff: tuple[str, ...]  # qualified and available leaders
    classes: tuple[int, ...]  # room classes that fit
    co_staff: tuple[str, ...] = ()  # qualified and available co-leaders (co-led types only)


@dataclass(frozen=True)
class RoomClass:
    """Identical rooms (same capacity and kinds), or a single pinned room."""

    rooms: tuple[Room, ...]
    capacity: int | None
    kinds: frozenset[str]


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
    days: tuple[int, ...] = ()  # the days the options lie on (`_days`)

    def option_sessions(self, o: Option):
        return lsum([self.y[o.index, s] for s in o.staff])

    @cached_property
    def option_by_key(self) -> dict[tuple[str, int, int], Option]:
        """(session type name, day, start minute) -> its option."""
        return {(o.stype.name, o.day, o.start): o for o in self.options}

    @cached_property
    def room_class(self) -> dict[str, int]:
        """room id -> the index of its room class."""
        return {room.room_id: ci for ci, c in enumerate(self.classes) for room in c.rooms}


def room_classes(program: Program) -> list[RoomClass]:
    """Aggregate identical rooms; rooms named on the Pinned sheet stay on their own."""
    pinned_rooms = {p.room_id for p in program.pinned}
    groups: dict[tuple, list[Room]] = defaultdict(list)
    for r in program.rooms:
        key = ("pinned", r.room_id) if r.room_id in pinned_rooms else (r.capacity, tuple(sorted(r.kinds)))
        groups[key].append(r)
    return [RoomClass(tuple(rs), rs[0].capacity, rs[0].kinds) for _, rs in sorted(groups.items(), key=lambda kv: str(kv[0]))]


def effective_capacity(cls: RoomClass, t: SessionType) -> int:
    """Seats a session of type t can use in a room of this class."""
    return t.max_size if cls.capacity is None else min(cls.capacity, t.max_size)


def build_options(program: Program, classes: list[RoomClass]) -> list[Option]:
    """Every (session type, day, start) a session may run at, with who may lead it and which
    room classes fit it: the candidates on the slot grid inside opening hours, narrowed by the
    HARD_RULES filters of scope "candidate", "leader", "co_leader" (co-led types only: an option
    without a possible co-leader cannot run) and "room"."""
    r = program.rules
    S = r.slot_minutes
    n_slots = (r.close - r.open) // S
    keep_option, keep_leader, keep_co, keep_room = (rules_of(scope) for scope in
                                                    ("candidate", "leader", "co_leader", "room"))
    days = tuple(r.days) + tuple(day for day in range(7) if day not in r.days)  # closed days last
    options: list[Option] = []
    for ti, t in enumerate(program.session_types):
        length = t.minutes // S
        fitting = tuple(ci for ci, c in enumerate(classes) if all(f(program, c, t) for f in keep_room))
        if not fitting:
            continue
        for day in days:
            for u in range(n_slots - length + 1):  # rule 2: on the grid, inside opening hours
                start = r.open + u * S
                o = Option(len(options), ti, t, day, u, start, start + t.minutes, length, (), fitting)
                if not all(f(program, o) for f in keep_option):
                    continue
                staff = tuple(s.staff_id for s in program.staff if all(f(program, s, o) for f in keep_leader))
                co_staff = tuple(s.staff_id for s in program.staff if t.co_led
                                 and all(f(program, s, o) for f in keep_co))
                if staff and (co_staff or not t.co_led):
                    options.append(replace(o, staff=staff, co_staff=co_staff))
    return options


def build(program: Program, previous: Schedule | None = None, freeze: str | None = None,
          preferences: bool = True) -> WeekModel:
    """The week's model. `preferences=False` gives the requirements-first model of stage 1
    (every hard rule and the requirements, no preference term and none of their variables).

    The hard rules are added from HARD_RULES, in its order (see there)."""
    r = program.rules
    S = r.slot_minutes
    m = cp_model.CpModel()
    classes = room_classes(program)
    options = build_options(program, classes)
    wm = WeekModel(program, m, options, classes, slot_minutes=S, grid_open=r.open,
                   n_slots=(r.close - r.open) // S)
    W = wm.terms
    for name in r.weights:
        W[name] = []

    # --- leaders and rooms of each option -------------------------------------------------
    for o in options:
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

    # --- attendance variables (pruned: eligibility, commitments + travel buffer, maxima,
    #     and group options fewer than min_size participants could ever attend) -------------
    by_p_day: dict[tuple[str, int], list[Option]] = defaultdict(list)
    for p, o in attendable(program, options):
        wm.a[p.participant_id, o.index] = m.new_bool_var(f"a_{p.participant_id}_{o.index}")
        by_p_day[p.participant_id, o.day].append(o)

    attendees: dict[int, list] = defaultdict(list)
    for (_pid, oi), var in wm.a.items():
        attendees[oi].append(var)

    # --- the hard rules on sessions: sizes, leaders, rooms, pins (HARD_RULES) ----------------
    per_option = rules_of("option")
    for o in options:
        for rule in per_option:
            rule(wm, o, attendees[o.index])
        if o.stype.is_group:
            _seats(wm, o, attendees[o.index])  # rules 4 and 5: capacity and max_size
    for rule in rules_of("week"):
        rule(wm, attendees)

    # --- participants: rules 1, 6, 7 and the requirements (and their preferences) -----------
    for p in program.participants:
        add_participant(wm, p, by_p_day, preferences)

    if not preferences:
        set_requirements_objective(wm)
        return wm

    _continuity_links(wm)

    # --- stability against last week (and --freeze) -------------------------------------------
    if previous is not None:
        _stability(wm, previous, freeze)

    # --- preferences -------------------------------------------------------------------------
    for o in options:
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
    return wm


def _co_leaders(wm: WeekModel, o: Option) -> None:
    """Rule 3 (co-led types): every session of the option has exactly one co-leader, like its
    one leader (not one of HARD_RULES: it counts the sessions, sum(z) = sum(y) = n). That the
    co-leader is not the session's own leader follows from rule3_leader_overlap (co-leading is
    being busy)."""
    for s in o.co_staff:
        wm.z[o.index, s] = wm.model.new_bool_var(f"z_{o.index}_{s}")
    wm.model.add(lsum([wm.z[o.index, s] for s in o.co_staff]) == wm.option_sessions(o))


def attendable(program: Program, options: list[Option]) -> list[tuple[Participant, Option]]:
    """(participant, option) pairs that can ever hold: the participant may attend the option
    (the "attendance" filters: dates, commitments widened by the travel buffer, eligibility,
    maxima), and a group option has at least min_size such participants (repeated until nothing
    changes; implied by rule 5, and kept when a test drops rule 5: such a group could run
    empty, never fuller)."""
    pairs = []
    filters = rules_of("attendance")
    for p in program.participants:
        may = [f(program, p) for f in filters]
        for o in options:
            for can in may:
                if not can(o):
                    break
            else:
                pairs.append((p, o))
    while True:
        count: dict[int, int] = defaultdict(int)
        for _p, o in pairs:
            count[o.index] += 1
        dead = {o.index for _p, o in pairs if o.stype.is_group and count[o.index] < o.stype.min_size}
        if not dead:
            return pairs
        pairs = [(p, o) for p, o in pairs if o.index not in dead]


def _staff_loads(wm: WeekModel) -> list:
    """Each staff member's weekly minutes of leading and co-leading, as expressions (staff balance)."""
    day_minutes = _staff_day_minutes(wm)
    loads = []
    for s in wm.program.staff:
        week = [term for day in _days(wm) for term in day_minutes.get((s.staff_id, day), [])]
        if week:
            loads.append(_minutes(week))
    return loads


def _days(wm: WeekModel) -> tuple[int, ...]:
    """The days the options lie on: the open days, then any other (a test dropping rule 2)."""
    if not wm.days:
        open_days = tuple(wm.program.rules.days)
        wm.days = open_days + tuple(sorted({o.day for o in wm.options} - set(open_days)))
    return wm.days


# --- the hard rules -------------------------------------------------------------------------
#
# One function per rule of SCHEDULING.md (a rule with several parts has one per part), and
# HARD_RULES lists them in the order the model applies them. That order is the order of the
# model's constraints, which CP-SAT's search depends on: keep it when adding a rule. The scope
# says where each one acts (and so its signature):
#
#   candidate   filter: may an option (type, day, start) exist?       (program, option) -> bool
#   leader      filter: may staff s lead option o?                     (program, s, o) -> bool
#   co_leader   filter: may staff s co-lead option o (co-led types)?   (program, s, o) -> bool
#   room        filter: may a session of type t use room class c?      (program, c, t) -> bool
#   attendance  filter: may participant p attend option o?   (program, p) -> (option -> bool)
#   option      constraints on one option, by build()                 (wm, o, its attendance vars)
#   seats       a limit on a group session's size in a room class     (c, t) -> int | None
#   week        constraints over all options, by build()              (wm, attendees by option)
#   day         constraints on one participant's day, by add_participant    (wm, ParticipantDay)
#   participant constraints on one participant's week, by add_participant  (wm, ParticipantWeek)
#
# A filter prunes variables before the model has them: with it dropped, the model offers what
# the rule forbids. Dropping an entry (tests/test_rules_bind.py monkeypatches HARD_RULES)
# leaves a model without that rule; `solve` always builds with every entry.


@dataclass
class ParticipantDay:
    """One participant's possible sessions on one day: what the day rules constrain."""

    model: cp_model.CpModel
    p: Participant
    day: int
    options: list[Option]
    sessions: list  # the attendance variables, in option order
    cover: dict[int, list]  # slot -> attendance variables of the sessions covering it
    per_type: dict[int, list]  # session type index -> attendance variables
    minutes: list  # (attendance variable, minutes) of the sessions counting toward hours
    one_at_a_time: bool = False  # rule 1 keeps the sessions covering a slot to at most one
    _busy: dict | None = None
    _before: dict[int, cp_model.IntVar] | None = None

    @property
    def slots(self) -> list[int]:
        return sorted(self.cover)

    @property
    def busy(self) -> dict:
        """slot -> 1 when the participant is in a session then, else 0: the number of sessions
        covering it under rule 1, and a literal of its own only in a model without rule 1."""
        if self._busy is None:
            self._busy = {}
            for u in self.slots:
                vs = self.cover[u]
                if self.one_at_a_time or len(vs) == 1:
                    self._busy[u] = lsum(vs)
                else:
                    self._busy[u] = self.model.new_bool_var(f"busy_{self.p.participant_id}_{self.day}_{u}")
                    self.model.add_max_equality(self._busy[u], vs)
        return self._busy

    @property
    def before(self) -> dict[int, cp_model.IntVar]:
        """before[u]: busy at some slot < u, for u from the first slot to one past the last;
        made on first use together with the day's attended literal (rule 7 uses the
        booleans, the requirements and preferences the literal)."""
        if self._before is None:
            m = self.model
            pid = self.p.participant_id
            busy = self.busy
            slots = self.slots
            self._before = {}
            prev = None
            for u in range(slots[0], slots[-1] + 2):
                b = m.new_bool_var(f"bf_{pid}_{self.day}_{u}")
                if prev is not None:
                    m.add_implication(prev, b)
                if u - 1 in busy:
                    m.add(b >= busy[u - 1])
                self._before[u] = b
                prev = b
            m.add(lsum(self.sessions) >= self.attended)  # attended iff some session that day
        return self._before

    @property
    def attended(self) -> cp_model.IntVar:
        """True iff the participant attends some session this day."""
        return self.before[self.slots[-1] + 1]


@dataclass
class ParticipantWeek:
    """One participant's week: what the week rules constrain."""

    p: Participant
    attends: list  # the attended literal of each day with options
    minutes: list  # (attendance variable, minutes) of the sessions counting toward hours
    per_type: dict[int, list]  # session type index -> attendance variables


# --- filters (pruning) ---


def rule1_dates_and_commitments(program: Program, p: Participant):
    """Rule 1: no session outside the participant's admission-discharge dates or overlapping
    a commitment widened by the travel buffer."""
    buffer = program.rules.travel_buffer_minutes
    week = program.week_start
    return lambda o: p.in_program(o.day, week) and blocked(p, o.day, o.start, o.end, buffer) is None


def rule2_open_days(program: Program, o: Option) -> bool:
    """Rule 2: sessions only on open days (the grid, the opening hours and the type's minutes
    hold by construction: options are slots of the grid, which the model cannot leave)."""
    return o.day in program.rules.days


def rule3_leader_qualified(program: Program, s: Staff, o: Option) -> bool:
    """Rule 3: a session's leader holds the type's staff role."""
    return o.stype.staff_role in s.roles


def rule3_leader_available(program: Program, s: Staff, o: Option) -> bool:
    """Rule 3: a session lies inside one of its leader's availability windows."""
    return s.available(o.day, o.start, o.end)


def rule3_leader_day_max(program: Program, s: Staff, o: Option) -> bool:
    """Rule 3: nobody leads a session longer than their daily maximum."""
    return s.max_hours_day is None or s.max_hours_day * 60 >= o.stype.minutes


def rule3_co_leader_qualified(program: Program, s: Staff, o: Option) -> bool:
    """Rule 3 (co-led types): a session's co-leader holds the type's co_leader_role."""
    return o.stype.co_leader_role in s.roles


def rule3_co_leader_available(program: Program, s: Staff, o: Option) -> bool:
    """Rule 3 (co-led types): a session lies inside one of its co-leader's availability windows."""
    return s.available(o.day, o.start, o.end)


def rule3_co_leader_day_max(program: Program, s: Staff, o: Option) -> bool:
    """Rule 3 (co-led types): nobody co-leads a session longer than their daily maximum."""
    return rule3_leader_day_max(program, s, o)


def rule4_room_fits(program: Program, c: RoomClass, t: SessionType) -> bool:
    """Rule 4: a session's room hosts its kind and seats at least its minimum size."""
    return t.kind in c.kinds and effective_capacity(c, t) >= t.min_size


def rule5_eligible(program: Program, p: Participant):
    """Rule 5: only participants whose track is eligible for the type and who hold its
    required tags (and, for services, the flag: needs_medication, family_sessions)."""
    may = [eligible(p, t) for t in program.session_types]
    return lambda o: may[o.type_index]


def rule6_attendable_maxima(program: Program, p: Participant):
    """Rule 6: no session the participant's maxima exclude on their own (a type with daily or
    weekly maximum 0, a session longer than the day's or the week's hours, days_max 0)."""

    def can(o: Option) -> bool:
        t = o.stype
        if t.daily_max == 0 or t.weekly_max == 0 or p.days_max == 0:
            return False
        return not (t.counts_toward_hours and (t.minutes > p.day_hours_max * 60
                                               or t.minutes > p.week_hours_max * 60))
    return can


# --- constraints on the options ---


def rule5_sizes(wm: WeekModel, o: Option, attendees: list) -> None:
    """Rule 5: each of the option's n group sessions holds at least min_size; an individual,
    family or medication session holds exactly one participant (without this rule nothing ties
    a service's attendance to its sessions: tests drop it only on programs of groups)."""
    n = wm.option_sessions(o)
    count = lsum(attendees)
    if o.stype.is_group:
        wm.model.add(count >= o.stype.min_size * n)
    else:
        wm.model.add(count == n)


def rule4_capacity(c: RoomClass, t: SessionType) -> int | None:
    """Rule 4: a session seats at most its room's capacity (None: unlimited, telehealth)."""
    return c.capacity


def rule5_max_size(c: RoomClass, t: SessionType) -> int | None:
    """Rule 5: a group session holds at most its type's max_size."""
    return t.max_size


def _seats(wm: WeekModel, o: Option, attendees: list) -> None:
    """A group option's attendees fit its sessions' seats: per room class, the smallest limit of
    the "seats" rules (rules 4 and 5: min(capacity, max_size), `effective_capacity`). Aggregated
    over parallel sessions, capacity and max_size are one constraint, and it also keeps anyone
    from attending an option that runs no session, so it stays when a test drops both limits."""
    limits = rules_of("seats")
    seats = []
    for ci in o.classes:
        given = [n for n in (f(wm.classes[ci], o.stype) for f in limits) if n is not None]
        seats.append(min(given) if given else len(attendees))
    wm.model.add(lsum(attendees) <= wsum([wm.rc[o.index, ci] for ci in o.classes], seats))


def _staff_day_minutes(wm: WeekModel) -> dict[tuple[str, int], list]:
    """(staff, day) -> (lead or co-lead variable, minutes) of every session they might lead or
    co-lead that day (co-leading counts in the staff hours: rule 3)."""
    out: dict[tuple[str, int], list] = defaultdict(list)
    for o in wm.options:
        for s in o.staff:
            out[s, o.day].append((wm.y[o.index, s], o.stype.minutes))
        for s in o.co_staff:
            out[s, o.day].append((wm.z[o.index, s], o.stype.minutes))
    return out


def rule3_leader_overlap(wm: WeekModel, attendees) -> None:
    """Rule 3: nobody leads two sessions at once; co-leading counts as leading (a co-leader is
    busy, and is never the leader of the same session)."""
    staff_cover: dict[tuple[str, int, int], list] = defaultdict(list)
    for o in wm.options:
        for s in o.staff:
            for k in range(o.length):
                staff_cover[s, o.day, o.slot + k].append(wm.y[o.index, s])
        for s in o.co_staff:
            for k in range(o.length):
                staff_cover[s, o.day, o.slot + k].append(wm.z[o.index, s])
    for vs in staff_cover.values():
        if len(vs) > 1:
            wm.model.add_at_most_one(vs)


def rule3_staff_hours(wm: WeekModel, attendees) -> None:
    """Rule 3: a staff member's daily and weekly hours stay within their maxima."""
    day_minutes = _staff_day_minutes(wm)
    for s in wm.program.staff:
        week = []
        for day in _days(wm):
            terms = day_minutes.get((s.staff_id, day), [])
            if s.max_hours_day is not None and terms:
                wm.model.add(_minutes(terms) <= int(s.max_hours_day * 60))
            week += terms
        if s.max_hours_week is not None and week:
            wm.model.add(_minutes(week) <= int(s.max_hours_week * 60))


def rule4_room_overlap(wm: WeekModel, attendees) -> None:
    """Rule 4: a room holds one session at a time (per class: at most its number of rooms)."""
    room_cover: dict[tuple[int, int, int], list] = defaultdict(list)
    for o in wm.options:
        for ci in o.classes:
            for k in range(o.length):
                room_cover[ci, o.day, o.slot + k].append(wm.rc[o.index, ci])
    for (ci, _d, _u), vs in room_cover.items():
        if len(vs) > 1:
            wm.model.add(lsum(vs) <= len(wm.classes[ci].rooms))


def rule8_pins(wm: WeekModel, attendees) -> None:
    """Rule 8: pinned sessions run with their leader, room and participants."""
    prog = wm.program
    by_key, room_class = wm.option_by_key, wm.room_class
    per_option: dict[int, list] = defaultdict(list)
    for pin in prog.pinned:
        o = by_key.get((pin.session_type, pin.day, pin.start))
        if o is None or pin.staff_id not in o.staff or room_class.get(pin.room_id) not in o.classes:
            raise PinnedConflict(pin, "no feasible option")  # explained by iopsched.analysis.conflicts
        wm.model.add(wm.y[o.index, pin.staff_id] == 1)
        per_option[o.index].append(pin)
        for pid in pin.participants:
            var = wm.a.get((pid, o.index))
            if var is None:
                raise PinnedConflict(pin, f"participant {pid} cannot attend")
            wm.model.add(var == 1)
    for oi, pins in per_option.items():
        o = wm.options[oi]
        per_room: dict[int, int] = defaultdict(int)
        for pin in pins:
            per_room[room_class[pin.room_id]] += 1
        for ci, k in per_room.items():
            wm.model.add(wm.rc[oi, ci] >= k)
        if o.stype.is_group:
            extra = sum(max(0, len(pin.participants) - o.stype.min_size) for pin in pins)
            if extra:
                n = wm.option_sessions(o)
                wm.model.add(sum(attendees[oi]) >= o.stype.min_size * n + extra)


# --- constraints on each participant ---


def rule1_participant_overlap(wm: WeekModel, pd: ParticipantDay) -> None:
    """Rule 1: a participant is never in two sessions at once."""
    for u in pd.slots:
        if len(pd.cover[u]) > 1:
            wm.model.add_at_most_one(pd.cover[u])
    pd.one_at_a_time = True


def rule6_day_maxima(wm: WeekModel, pd: ParticipantDay) -> None:
    """Rule 6: sessions of a type per day, and hours per day, within the maxima."""
    for ti, vs in pd.per_type.items():
        t = wm.program.session_types[ti]
        if len(vs) > t.daily_max:
            wm.model.add(lsum(vs) <= t.daily_max)
    if pd.minutes:
        wm.model.add(_minutes(pd.minutes) <= int(pd.p.day_hours_max * 60))


def rule7_compact_day(wm: WeekModel, pd: ParticipantDay) -> None:
    """Rule 7: a compact day, no idle stretch longer than max_gap_minutes between sessions."""
    m = wm.model
    pid = pd.p.participant_id
    busy = pd.busy
    before = pd.before
    lo_u, hi_u = pd.slots[0], pd.slots[-1]
    after = {}
    nxt = None
    for u in range(hi_u, lo_u - 1, -1):  # after[u]: busy at some slot >= u
        b = m.new_bool_var(f"af_{pid}_{pd.day}_{u}")
        if nxt is not None:
            m.add_implication(nxt, b)
        if u in busy:
            m.add(b >= busy[u])
        after[u] = b
        nxt = b
    k = wm.program.rules.max_gap_minutes // wm.program.rules.slot_minutes + 1  # idle slots too many
    for i in range(lo_u + 1, hi_u - k + 1):
        j = i + k
        if j > hi_u:
            break
        window = [busy[u] for u in range(i, j) if u in busy]
        m.add(before[i] + after[j] - lsum(window) <= 1)


def rule6_week_maxima(wm: WeekModel, pw: ParticipantWeek) -> None:
    """Rule 6: days per week, hours per week and sessions of a type per week within the maxima."""
    m = wm.model
    p = pw.p
    if pw.attends and len(pw.attends) > p.days_max:
        m.add(lsum(pw.attends) <= p.days_max)
    if pw.minutes:
        m.add(_minutes(pw.minutes) <= int(p.week_hours_max * 60))
    for ti, vs in pw.per_type.items():
        t = wm.program.session_types[ti]
        if t.weekly_max is not None and len(vs) > t.weekly_max:
            m.add(lsum(vs) <= t.weekly_max)


# (name, scope, function), in the order the model applies them: see the comment above. The
# filters rule3_leader_day_max, rule3_co_leader_day_max and rule6_attendable_maxima only prune
# what rule3_staff_hours, rule6_day_maxima and rule6_week_maxima forbid anyway (they keep the
# model small).
HARD_RULES: tuple[tuple[str, str, Callable], ...] = (
    ("rule2_open_days", "candidate", rule2_open_days),
    ("rule3_leader_qualified", "leader", rule3_leader_qualified),
    ("rule3_leader_available", "leader", rule3_leader_available),
    ("rule3_leader_day_max", "leader", rule3_leader_day_max),
    ("rule3_co_leader_qualified", "co_leader", rule3_co_leader_qualified),
    ("rule3_co_leader_available", "co_leader", rule3_co_leader_available),
    ("rule3_co_leader_day_max", "co_leader", rule3_co_leader_day_max),
    ("rule4_room_fits", "room", rule4_room_fits),
    ("rule1_dates_and_commitments", "attendance", rule1_dates_and_commitments),
    ("rule5_eligible", "attendance", rule5_eligible),
    ("rule6_attendable_maxima", "attendance", rule6_attendable_maxima),
    ("rule5_sizes", "option", rule5_sizes),
    ("rule4_capacity", "seats", rule4_capacity),
    ("rule5_max_size", "seats", rule5_max_size),
    ("rule3_leader_overlap", "week", rule3_leader_overlap),
    ("rule3_staff_hours", "week", rule3_staff_hours),
    ("rule4_room_overlap", "week", rule4_room_overlap),
    ("rule8_pins", "week", rule8_pins),
    ("rule1_participant_overlap", "day", rule1_participant_overlap),
    ("rule6_day_maxima", "day", rule6_day_maxima),
    ("rule7_compact_day", "day", rule7_compact_day),
    ("rule6_week_maxima", "participant", rule6_week_maxima),
)
SCOPES = ("candidate", "leader", "co_leader", "room", "attendance", "option", "seats", "week", "day", "participant")


def rules_of(scope: str) -> list[Callable]:
    """The functions of HARD_RULES acting in `scope`, in order."""
    assert scope in SCOPES, scope
    return [fn for _name, where, fn in HARD_RULES if where == scope]



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


class PinnedConflict(Exception):
    def __init__(self, pin, why: str):
        super().__init__(why)
        self.pin = pin
        self.why = why


def _soft_minimum(wm: WeekModel, name: str, need: int, have, shortfalls: list,
                  requirement: str, day: int | None) -> None:
    """A requirement `have >= need` kept soft: short = max(0, need - have) is penalised."""
    m = wm.model
    short = m.new_int_var(0, need, name)
    m.add_max_equality(short, [0, need - have])
    m.add(short >= need - have)  # the same, linear, for the LP relaxation
    shortfalls.append((requirement, day, short))
    wm.terms.setdefault("unmet", []).append(UNMET_UNITS[unit_kind(requirement)] * short)


def add_participant(wm: WeekModel, p: Participant, by_p_day, preferences: bool = True) -> None:
    """Rules 1, 6 and 7 for one participant (HARD_RULES of scope "day" and "participant"),
    their requirements (soft), and, with `preferences`, their preference terms (time of day,
    days, continuity, services per day, routine)."""
    m = wm.model
    prog = wm.program
    r = prog.rules
    S = r.slot_minutes
    pid = p.participant_id
    W = wm.terms
    shortfalls: list = []
    wm.shortfalls[pid] = shortfalls
    week_minutes = []
    per_type_week: dict[int, list] = defaultdict(list)
    week_slots: list = []
    used_start: dict[int, list] = defaultdict(list)
    attends = []
    day_rules, week_rules = rules_of("day"), rules_of("participant")

    for day in _days(wm):
        opts = by_p_day.get((pid, day), [])
        if not opts:
            continue
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
                week_slots.append((v, o.stype.minutes // S))
            per_type_day[o.type_index].append(v)
            per_type_week[o.type_index].append(v)
            if preferences:
                _session_preferences(wm, p, o, v)
        # the hard rules on the day: 1 (one session at a time), 6 (day maxima), 7 (compact day)
        pd = ParticipantDay(m, p, day, opts, all_sessions, cover, per_type_day, day_minutes)
        for rule in day_rules:
            rule(wm, pd)
        week_minutes += day_minutes
        slots = pd.slots
        before = pd.before
        att = pd.attended  # the day is attended iff some session that day
        wm.attend[pid, day] = att
        attends.append(att)
        # requirement: hours on an attended day
        need = slots_needed(p.day_hours_min, S)
        if need > 0:
            counted = [o for o in opts if o.stype.counts_toward_hours]
            slots_day = wsum([wm.a[pid, o.index] for o in counted], [o.stype.minutes // S for o in counted])
            _soft_minimum(wm, f"short_dh_{pid}_{day}", need, slots_day + need * (1 - att), shortfalls,
                          "day_hours", day)
        if not preferences:
            continue
        # routine: the first start of the day: ds[u] -> busy at u and nothing before u
        ds_vars = []
        for u in slots:
            starts_here = [wm.a[pid, o.index] for o in opts if o.slot == u]
            if not starts_here:
                continue
            ds = m.new_bool_var(f"ds_{pid}_{day}_{u}")
            m.add(lsum(starts_here) >= ds)
            m.add_implication(ds, before[u].Not())
            ds_vars.append(ds)
            used_start[u].append(ds)
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

    # the hard rules on the week: 6 (days, week hours, weekly maxima)
    for rule in week_rules:
        rule(wm, ParticipantWeek(p, attends, week_minutes, per_type_week))
    n_days = lsum(attends) if attends else 0

    # requirements (soft, dominant penalty)
    if p.days_min > 0:
        _soft_minimum(wm, f"short_days_{pid}", p.days_min, n_days, shortfalls, "days", None)
    need = slots_needed(p.week_hours_min, S)
    if need > 0:
        _soft_minimum(wm, f"short_wh_{pid}", need, _minutes(week_slots), shortfalls, "week_hours", None)
    for ti, t in enumerate(prog.session_types):
        wmin = weekly_min_for(p, t)
        if wmin > 0:
            _soft_minimum(wm, f"short_t{ti}_{pid}", wmin, lsum(per_type_week.get(ti, [])), shortfalls,
                          t.name, None)

    # preference: routine, one start time across the attended days
    if preferences and used_start and len(attends) > 1:
        used = []
        for u, dss in sorted(used_start.items()):
            uv = m.new_bool_var(f"used_{pid}_{u}")
            for ds in dss:
                m.add_implication(ds, uv)
            used.append(uv)
        anyday = m.new_bool_var(f"any_{pid}")
        m.add(anyday <= lsum(attends))
        extra = m.new_int_var(0, len(used), f"routine_{pid}")  # start times beyond the first
        m.add(extra >= lsum(used) - anyday)
        W["routine"].append(extra)


def high_tier(rules, p: Participant) -> int | None:
    """The services an attended day of p needs for the higher payment tier, when the
    `day_tier` weight is on and p's level follows a rule set with such a tier."""
    if not rules.weights.get("day_tier"):
        return None  # off: no variables, so default schedules do not change
    rule_set = rules.compliance.rule_set_for(p.level)
    return rule_set.day_services_high_tier if rule_set is not None else None


def slots_needed(hours: float, slot_minutes: int) -> int:
    """Slots of the grid that hold at least `hours` hours."""
    return math.ceil(hours * 60 / slot_minutes - 1e-9)


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
