"""What `--suggest` reads from a week's shortfalls: the suggestion, need and candidate types,
each short participant's needs (the role, hours and days missing) and the suggestions that
only the participant's own time can answer (`solver.suggest`)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from iopsched.analysis.requirements import EPS, Shortfall, shortfalls
from iopsched.domain import (
    Participant,
    Program,
    SessionType,
    Staff,
    blocked,
    day_name,
    eligible,
)
from iopsched.schedule import Schedule

Interval = tuple[int, int]
SolveFn = Callable[[Program], Schedule]

FAR = 24 * 60  # distance used when a staff member does not work that day at all
PER_NEED = 3  # staff candidates kept per unmet requirement (one per day, best days first)
SAME_GROUP_TRIES = 2  # re-solves spent on candidates that might help the same participants
HOUR_REQUIREMENTS = ("days", "day_hours", "week_hours")
LEADERS_PER_DAY = 4  # leaders tried in detail per day, after a cheap first ranking
LONGER = 3  # the unproven week's re-solve gets this many times the re-solve limit
SHARED_SESSIONS = 4  # one-to-one sessions a single added window is sized for, at most


@dataclass(frozen=True)
class Suggestion:
    """One suggested change and whom it helps.

    `participants` are the participants the (re-solved) change lets meet every requirement;
    for an unverified suggestion, the participant it is about. `change` names the data to
    add ("StaffAvailability: M1 Mon 13:00-13:30", "Rooms: NEW1 capacity 10 group").
    `program` and `schedule` are the changed program and its re-solved week (None when not
    verified).
    """

    text: str
    participants: tuple[str, ...]
    change: str
    verified: bool
    program: Program | None = field(default=None, repr=False, compare=False)
    schedule: Schedule | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Need:
    """An unmet requirement that more leader time (or a room) could serve."""

    participant_id: str
    requirement: str  # days | day_hours | week_hours | <session type>
    day: int | None  # the day for day_hours
    role: str
    minutes: int  # the shortest session that serves it
    length: int  # leader minutes to add
    types: tuple[SessionType, ...]  # the session types that serve it
    kind: str  # the room kind it needs


@dataclass
class Candidate:
    """A program change worth a re-solve."""

    program: Program
    change: str
    what: str  # the sentence's start: "adding prescriber hours for M1 on Mon 13:00-13:30 (...)"
    helped: tuple[str, ...]  # unmet participants it might help, in program order
    rank: tuple  # tie-break among candidates helping as many participants
    key: tuple  # identity: ("staff", staff_id, day) or ("room", kind)


# --- small helpers -----------------------------------------------------------------------------


def names(ids: Iterable[str]) -> str:
    """'P17', 'P17 and P22', 'P03, P17 and P22'."""
    ids = list(ids)
    if len(ids) <= 1:
        return "".join(ids)
    return ", ".join(ids[:-1]) + " and " + ids[-1]


def _hours(h: float) -> str:
    return f"{round(h, 2):g} h"


def _ceil_slot(minutes: float, slot: int) -> int:
    return math.ceil(minutes / slot - EPS) * slot


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def overlap(a: Interval, b: Interval) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def distance(a: Interval, b: Interval) -> int:
    """Minutes between two intervals (0 when they touch or overlap)."""
    return max(0, b[0] - a[1], a[0] - b[1])


def own_day_hours(program: Program, p: Participant) -> dict[int, float]:
    """Per open day, the hours p's own time could hold (eligible types, commitments; no staff)."""
    r = program.rules
    out: dict[int, float] = {}
    for day in r.days:
        if not p.in_program(day, program.week_start):
            out[day] = 0.0
            continue
        covered = []
        for st in program.session_types:
            if not (eligible(p, st) and st.counts_toward_hours) or st.daily_max == 0:
                continue
            for start in range(r.open, r.close - st.minutes + 1, r.slot_minutes):
                if not blocked(p, day, start, start + st.minutes, r.travel_buffer_minutes):
                    covered.append((start, start + st.minutes))
        minutes = sum(hi - lo for lo, hi in _union(covered))
        out[day] = min(minutes / 60, p.day_hours_max)
    return out


def met(program: Program, schedule: Schedule) -> set[str]:
    short = {s.participant_id for s in shortfalls(program, schedule)}
    return {p.participant_id for p in program.participants} - short


class Busy:
    """What the schedule already uses: staff and room time, staff load."""

    def __init__(self, schedule: Schedule):
        self.staff: dict[tuple[str, int], list[Interval]] = defaultdict(list)
        self.room: dict[tuple[str, int], list[Interval]] = defaultdict(list)
        self.week: Counter[str] = Counter()
        self.day: Counter[tuple[str, int]] = Counter()
        for s in schedule.sessions:
            self.staff[s.staff_id, s.day].append((s.start, s.end))
            self.room[s.room_id, s.day].append((s.start, s.end))
            self.week[s.staff_id] += s.end - s.start
            self.day[s.staff_id, s.day] += s.end - s.start

    def staff_free(self, sid: str, day: int, w: Interval) -> bool:
        return not any(overlap(w, b) for b in self.staff.get((sid, day), ()))

    def room_free(self, rid: str, day: int, w: Interval) -> bool:
        return not any(overlap(w, b) for b in self.room.get((rid, day), ()))

    def at_cap(self, s: Staff, day: int, minutes: int) -> bool:
        """Could s not lead `minutes` more that day (their daily or weekly maximum)?"""
        if s.max_hours_week is not None and self.week[s.staff_id] + minutes > s.max_hours_week * 60:
            return True
        day_max = s.max_hours_day
        return day_max is not None and self.day[s.staff_id, day] + minutes > day_max * 60


# --- what is missing ---------------------------------------------------------------------------


@dataclass
class Person:
    p: Participant
    shorts: list[Shortfall]
    own: dict[int, float]
    free: dict[int, list[Interval]]
    days: dict[int, list[Interval]]  # attended sessions by day


def _group_types(p: Participant) -> Callable[[SessionType], bool]:
    def serves(t: SessionType) -> bool:
        return (eligible(p, t) and t.is_group and t.counts_toward_hours and t.daily_max != 0
                and t.weekly_max != 0 and t.minutes <= p.day_hours_max * 60)
    return serves


def _own_time_days(program: Program, x: Person) -> list[int]:
    """Days on which p's own free time holds the daily minimum."""
    return [d for d in program.rules.days if x.own[d] + EPS >= x.p.day_hours_min]


def needs_of(program: Program, x: Person) -> list[Need]:
    """The unmet requirements of one participant that leader time could serve."""
    p, r = x.p, program.rules
    pid = p.participant_id
    groups = [t for t in program.session_types if _group_types(p)(t)]
    by_role: dict[str, list[SessionType]] = defaultdict(list)
    for t in groups:
        by_role[t.staff_role].append(t)
    types = program.type_by_name()
    out: list[Need] = []

    def hour_needs(requirement: str, day: int | None, missing_minutes: float) -> None:
        for role, ts in by_role.items():
            shortest = min(t.minutes for t in ts)
            length = max(shortest, _ceil_slot(missing_minutes, r.slot_minutes))
            length = min(length, max(shortest, int(p.day_hours_max * 60)))
            out.append(Need(pid, requirement, day, role, shortest, length, tuple(ts), "group"))

    for s in x.shorts:
        if s.requirement == "days":
            if len(_own_time_days(program, x)) < p.days_min:
                continue  # their own time: (c)
            hour_needs("days", None, p.day_hours_min * 60)
        elif s.requirement == "day_hours":
            if s.day is None or x.own.get(s.day, 0) + EPS < p.day_hours_min:
                continue
            hour_needs("day_hours", s.day, (s.required - s.scheduled) * 60)
        elif s.requirement == "week_hours":
            if sum(sorted(x.own.values(), reverse=True)[: p.days_max]) + EPS < p.week_hours_min:
                continue
            hour_needs("week_hours", None, (s.required - s.scheduled) * 60)
        elif (lacking := types.get(s.requirement)) is not None:
            out.append(Need(pid, lacking.name, None, lacking.staff_role, lacking.minutes, lacking.minutes,
                            (lacking,), lacking.kind))
    return out


def own_time_suggestions(program: Program, x: Person) -> list[Suggestion]:
    """(c): the participant's own time is why days (or weekly hours) fall short."""
    p = x.p
    pid = p.participant_id
    r = program.rules
    possible = _own_time_days(program, x)
    open_days = [d for d in r.days if p.in_program(d, program.week_start)]
    others = sorted((d for d in open_days if d not in possible), key=lambda d: (-x.own[d], d))

    def closest(days: list[int]) -> str:
        parts = []
        for d in days[:3]:
            busy = [str(c) for c in p.commitments if c.day == d]
            parts.append(f"{day_name(d)} ({_hours(x.own[d])} fit"
                         + (f"; {', '.join(busy)}" if busy else "") + ")")
        return ", ".join(parts)

    out = []
    reqs = {s.requirement for s in x.shorts}
    if "days" in reqs and len(possible) < p.days_min:
        listed = ", ".join(day_name(d) for d in possible) or "none"
        text = (f"ask {pid} about another day: no program change helps, their free time holds "
                f"{_hours(p.day_hours_min)} on only {len(possible)} "
                f"day{'s' if len(possible) != 1 else ''} ({listed}) and they need {p.days_min}")
        if others:
            text += f"; closest: {closest(others)}"
        out.append(Suggestion(text, (pid,), "participant availability", False))
    if "week_hours" in reqs and not out:
        ub = sum(sorted(x.own.values(), reverse=True)[: p.days_max])
        if ub + EPS < p.week_hours_min:
            short = sorted(open_days, key=lambda d: (x.own[d] >= p.day_hours_max, -x.own[d], d))
            text = (f"ask {pid} about more time: no program change helps, their free time holds at "
                    f"most {_hours(ub)} a week and they need {_hours(p.week_hours_min)}")
            if short:
                text += f"; closest: {closest(short)}"
            out.append(Suggestion(text, (pid,), "participant availability", False))
    return out


