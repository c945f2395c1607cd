"""The hard rules of SCHEDULING.md, one function per rule (or part of a rule), and
HARD_RULES, the order the model applies them in (`cpsat.model.build`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from iopsched.domain import (
    Participant,
    Program,
    SessionType,
    Staff,
    blocked,
    eligible,
)

lsum = cp_model.LinearExpr.sum  # faster than sum() over many variables
wsum = cp_model.LinearExpr.weighted_sum

if TYPE_CHECKING:
    from iopsched.cpsat.model import WeekModel
    from iopsched.cpsat.options import Option, RoomClass


def minutes_sum(pairs) -> cp_model.LinearExpr:
    """sum(coefficient * variable) of (variable, coefficient) pairs."""
    return wsum([v for v, _c in pairs], [c for _v, c in pairs])


def option_days(wm: WeekModel) -> tuple[int, ...]:
    """The days the options lie on: the open days, then any other (a test dropping rule 2)."""
    if not wm.days:
        open_days = tuple(wm.program.rules.days)
        wm.days = open_days + tuple(sorted({o.day for o in wm.options} - set(open_days)))
    return wm.days


class PinnedConflict(Exception):
    """Rule 8: a pinned session the model cannot hold (no such option, or a participant who
    cannot attend it); `analysis.conflicts` explains it."""

    def __init__(self, pin, why: str):
        super().__init__(why)
        self.pin = pin
        self.why = why


def effective_capacity(cls: RoomClass, t: SessionType) -> int:
    """Seats a session of type t can use in a room of this class."""
    return t.max_size if cls.capacity is None else min(cls.capacity, t.max_size)


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


def seats_of(wm: WeekModel, o: Option, attendees: list) -> None:
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
    day_minutes = wm.staff_day_minutes
    for s in wm.program.staff:
        week = []
        for day in option_days(wm):
            terms = day_minutes.get((s.staff_id, day), [])
            if s.max_hours_day is not None and terms:
                wm.model.add(minutes_sum(terms) <= int(s.max_hours_day * 60))
            week += terms
        if s.max_hours_week is not None and week:
            wm.model.add(minutes_sum(week) <= int(s.max_hours_week * 60))


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
        wm.model.add(minutes_sum(pd.minutes) <= int(pd.p.day_hours_max * 60))


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
        m.add(minutes_sum(pw.minutes) <= int(p.week_hours_max * 60))
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
