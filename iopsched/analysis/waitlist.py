"""The Waitlist (issue 19): why a referral could not start this week, and the seats left.

A referral is waitlisted when the admissions stage could not fully meet them without anyone
in care losing a requirement. The reason is derived from the data, the binding cause first:
- their own time against their minimums (the checks of `explain`: a referral no schedule can
  meet even alone says why);
- a service they need (individual, medication, family) whose leaders and rooms are all taken
  at the times they are free;
- the groups they can attend at times they are free: full, by part of day and day;
- where one more group could run (a qualified leader with hours left and a group room both
  free at a time they are free), or that the leaders or the rooms are what is missing.
When the admissions stage was not proven optimal, the reason says a longer limit may admit more.
"""

from __future__ import annotations

from collections import defaultdict

from iopsched.analysis.explain import (
    NO_WEEK_ALONE,
    commitments_text,
    day_capacity_hours,
    own_reason,
)
from iopsched.analysis.requirements import Attended, shortfalls_of
from iopsched.domain import (
    PREFERRED_WINDOWS,
    Participant,
    Program,
    Referral,
    Room,
    SessionType,
    Staff,
    blocked,
    day_name,
    eligible,
    hhmm,
    weekly_min_for,
)
from iopsched.schedule import Schedule, Session, Waitlisted

EVENING = PREFERRED_WINDOWS["evening"][0]  # a session starting from 17:00 is in the evening
PARTS = ("day", "evening")
NOT_PROVEN = ("; the admissions search was not proven optimal within the time limit: a longer --time-limit "
              "may admit more")


def part_of_day(start: int) -> str:
    return "evening" if start >= EVENING else "day"


def seats(program: Program, s: Session) -> int:
    """Seats of a group session: its type's max_size, or its room's capacity when smaller."""
    t = program.type_by_name().get(s.session_type)
    room = program.room_by_id().get(s.room_id)
    size = t.max_size if t is not None else s.size
    return size if room is None or room.capacity is None else min(size, room.capacity)


def free_seats(program: Program, schedule: Schedule) -> dict[tuple[int, str], int]:
    """(day, part of day) -> seats free in the week's group sessions, for every open day."""
    out = {(day, part): 0 for day in program.rules.days for part in PARTS}
    types = program.type_by_name()
    for s in schedule.sessions:
        t = types.get(s.session_type)
        if t is not None and t.is_group:
            key = (s.day, part_of_day(s.start))
            out[key] = out.get(key, 0) + max(0, seats(program, s) - s.size)
    return out


def free_seats_text(program: Program, schedule: Schedule) -> str:
    """'Mon day 3, evening 0; Tue day 0, evening 5; ...' (the terminal's and Summary's line)."""
    free = free_seats(program, schedule)
    days = sorted({d for d, _part in free})
    return "; ".join(f"{day_name(d)} " + ", ".join(f"{part} {free[d, part]}" for part in PARTS) for d in days)


def waitlist(program: Program, schedule: Schedule, waiting: list[Referral], *, hopeless: frozenset[str],
             proven: bool) -> list[Waitlisted]:
    """The Waitlist sheet's rows, in rank order. `program`: the week's program (with the admitted
    referrals among its participants); `hopeless`: referrals the bound proves unmeetable alone;
    `proven`: the admissions stage proved that no schedule admits more (by priority)."""
    return [Waitlisted(rank, r.referral_id, r.priority, r.referral_date,
                       reason(program, r.participant, schedule, hopeless=r.referral_id in hopeless, proven=proven))
            for rank, r in enumerate(waiting, start=1)]


def reason(program: Program, p: Participant, schedule: Schedule, *, hopeless: bool, proven: bool) -> str:
    """Why referral p could not start: their own data when it binds, else the resource that does."""
    for s in shortfalls_of(program, p, Attended()):  # every requirement of an empty week
        own = own_reason(program, p, s)
        if own is not None:
            return f"cannot be met even alone: {own}"
    if hopeless:
        text = commitments_text(p)
        return NO_WEEK_ALONE.format(because=f" because of {text}" if text else "")
    week = _Week(program, schedule)
    caps = day_capacity_hours(program, p)
    days = [d for d in program.rules.days if caps[d] + 1e-9 >= p.day_hours_min]
    parts = [x for t in program.session_types if not t.is_group and weekly_min_for(p, t) > 0
             for x in [_service_taken(week, p, t, days)] if x]
    parts += _groups(week, p, days)
    text = "; ".join(parts) if parts else (
        "the seats, leaders and rooms left at times they are free do not make up their week (days, daily "
        "and weekly hours and services together) without taking one from someone in care")
    return text + ("" if proven else NOT_PROVEN)


class _Week:
    """The week's sessions by leader and room, and each leader's minutes led."""

    def __init__(self, program: Program, schedule: Schedule):
        self.program, self.schedule = program, schedule
        self.rules = program.rules
        self.by_staff: dict[str, list[Session]] = defaultdict(list)
        self.by_room: dict[str, list[Session]] = defaultdict(list)
        for s in schedule.sessions:
            self.by_staff[s.staff_id].append(s)
            self.by_room[s.room_id].append(s)

    def leader_free(self, st: Staff, day: int, start: int, end: int) -> bool:
        """Available then, leading nothing then, and hours left on the day and in the week."""
        if not st.available(day, start, end):
            return False
        led = self.by_staff.get(st.staff_id, [])
        if any(s.day == day and s.start < end and start < s.end for s in led):
            return False
        minutes = end - start
        day_min = sum(s.end - s.start for s in led if s.day == day)
        week_min = sum(s.end - s.start for s in led)
        if st.max_hours_day is not None and day_min + minutes > st.max_hours_day * 60 + 1e-9:
            return False
        return st.max_hours_week is None or week_min + minutes <= st.max_hours_week * 60 + 1e-9

    def room_free(self, room: Room, t: SessionType, day: int, start: int, end: int) -> bool:
        if t.kind not in room.kinds or not room.fits(t.min_size):
            return False
        return not any(s.day == day and s.start < end and start < s.end for s in self.by_room.get(room.room_id, []))

    def openings(self, p: Participant, t: SessionType, days) -> tuple[tuple[int, int, Staff, Room] | None, bool]:
        """The first time (day, start) a session of t could be added for p: a leader and a room
        free then; and whether some leader was free at a time p is (rooms being what lacks)."""
        r = self.rules
        leaders = [st for st in self.program.staff if t.staff_role in st.roles]
        leader_seen = False
        for day in days:
            for start in range(r.open, r.close - t.minutes + 1, r.slot_minutes):
                end = start + t.minutes
                if blocked(p, day, start, end, r.travel_buffer_minutes):
                    continue
                free = [st for st in leaders if self.leader_free(st, day, start, end)]
                if not free:
                    continue
                leader_seen = True
                room = next((rm for rm in self.program.rooms if self.room_free(rm, t, day, start, end)), None)
                if room is not None:
                    return (day, start, free[0], room), True
        return None, leader_seen


def _service_taken(week: _Week, p: Participant, t: SessionType, days) -> str:
    """'' when a session of t could still be booked at a time p is free, else the reason."""
    opening, leader_seen = week.openings(p, t, days)
    if opening is not None:
        return ""
    if leader_seen:
        return f"no room for {t.name} is free when a {t.staff_role} is, at the times they can come"
    names = ", ".join(st.staff_id for st in week.program.staff if t.staff_role in st.roles) or "nobody"
    return (f"every {t.staff_role} ({names}) is booked or out of hours at the times they can come, so "
            f"{t.name} (needed {weekly_min_for(p, t)} a week) cannot be added")


def _groups(week: _Week, p: Participant, days) -> list[str]:
    """The groups p could attend at times they are free: which are full, by part of day; and
    where one more could run."""
    program = week.program
    types = program.type_by_name()
    r = program.rules
    groups = [t for t in program.session_types if t.is_group and eligible(p, t)]
    if not groups:
        return []
    full: dict[str, list[int]] = defaultdict(list)  # part of day -> days all its groups are full
    open_seats: set[tuple[int, str]] = set()
    seen: set[tuple[int, str]] = set()
    for s in week.schedule.sessions:
        t = types.get(s.session_type)
        if t is None or t not in groups or s.day not in days or blocked(p, s.day, s.start, s.end,
                                                                        r.travel_buffer_minutes):
            continue
        key = (s.day, part_of_day(s.start))
        seen.add(key)
        if s.size < seats(program, s):
            open_seats.add(key)
    for day, part in sorted(seen - open_seats):
        full[part].append(day)
    out = [f"{part} groups are full on {_and([day_name(d) for d in full[part]])}" for part in PARTS if full[part]]
    if not seen:
        out.append("no group they can join runs at a time they are free" + (
            f" ({_and([day_name(d) for d in days])})" if days else ""))
    needed = sorted(groups, key=lambda t: (-weekly_min_for(p, t), t.name))
    for t in needed:
        opening, leader_seen = week.openings(p, t, days)
        if opening is not None:
            day, start, st, room = opening
            size = f"; a group needs {t.min_size}" if t.min_size > 1 else ""
            out.append(f"a seat opens if one more {t.name} runs {day_name(day)} {hhmm(start)} ({t.staff_role} "
                       f"{st.staff_id} and room {room.room_id} are free then{size})")
            return out
        if leader_seen:
            out.append(f"a {t.staff_role} is free at times they can come but no group room is, so no {t.name} "
                       "can be added")
            return out
    roles = _and(sorted({t.staff_role for t in groups}), "or")
    out.append(f"no {roles} has hours left at a time they can come, so no group can be added")
    return out


def _and(items: list[str], word: str = "and") -> str:
    """'Mon', 'Mon and Wed', 'Mon, Wed and Thu'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1] if items else ""
