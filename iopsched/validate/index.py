"""The validator's view of a schedule: violations and their wording, the sessions indexed
once (by participant, leader, room, day), and the rules' conditions from the raw program data."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from iopsched.domain import (
    Commitment,
    Participant,
    Program,
    SessionType,
    Staff,
    day_name,
    hhmm,
)
from iopsched.schedule import Schedule, Session

RULES = ("rule1", "rule2", "rule3", "rule4", "rule5", "rule6", "rule7", "rule8",
         "requirement", "referral", "consistency")
EPS = 1e-9  # float tolerance on hour comparisons
UNMET_TOLERANCE = 0.01  # an Unmet row's `scheduled` / `required` may be rounded this much
SUMMARY_COUNTS = ("participants", "sessions", "participants_fully_met")


@dataclass(frozen=True)
class Violation:
    rule: str  # rule1..rule8, requirement, consistency
    message: str
    participant_id: str = ""
    session_id: str = ""
    staff_id: str = ""
    room_id: str = ""
    day: str = ""


# --- formatting ---------------------------------------------------------------------------


def _label(rule: str) -> str:
    return f"rule {rule[4:]}" if rule.startswith("rule") else rule


def violation(rule: str, text: str, **ids: str) -> Violation:
    return Violation(rule, f"{_label(rule)}: {text}", **ids)


def describe(s: Session) -> str:
    return f"{s.session_id} {s.session_type} {day_name(s.day)} {hhmm(s.start)}-{hhmm(s.end)}"


def hours_text(minutes: float) -> str:
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".") + " h"


def number_text(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def with_article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def ids_of(s: Session, **extra: str) -> dict[str, str]:
    return {"session_id": s.session_id, "day": day_name(s.day), **extra}


# --- the schedule, indexed once -------------------------------------------------------------


@dataclass
class Load:
    """What one participant attends in the week."""

    days: set[int] = field(default_factory=set)
    day_minutes: Counter = field(default_factory=Counter)  # minutes counting toward hours
    type_week: Counter = field(default_factory=Counter)
    type_day: Counter = field(default_factory=Counter)  # (type, day) -> sessions

    @property
    def week_minutes(self) -> int:
        return sum(self.day_minutes.values())


@dataclass(frozen=True)
class Shortfall:
    requirement: str  # days | day_hours | week_hours | <session type>
    day: int | None
    required: float
    scheduled: float


def _order(s: Session) -> tuple:
    return (s.day, s.start, s.end, s.session_id)


class Index:
    """Sessions by participant, staff and room (sorted by day and time) and each load."""

    def __init__(self, program: Program, schedule: Schedule):
        self.program = program
        self.rules = program.rules
        self.types = program.type_by_name()
        self.staff = program.staff_by_id()
        self.rooms = program.room_by_id()
        self.people = program.participant_by_id()
        self.sessions = list(schedule.sessions)
        self.members: dict[str, tuple[str, ...]] = {
            s.session_id: tuple(dict.fromkeys(s.participants)) for s in self.sessions
        }
        self.by_participant: dict[str, list[Session]] = defaultdict(list)
        self.by_staff: dict[str, list[Session]] = defaultdict(list)
        self.by_room: dict[str, list[Session]] = defaultdict(list)
        for s in sorted(self.sessions, key=_order):
            for pid in self.members[s.session_id]:
                self.by_participant[pid].append(s)
            if s.staff_id:
                self.by_staff[s.staff_id].append(s)
            if s.co_leader_id and s.co_leader_id != s.staff_id:  # co-leading is running it too
                self.by_staff[s.co_leader_id].append(s)
            if s.room_id:
                self.by_room[s.room_id].append(s)
        # iterate people, staff and rooms by id: the report does not depend on row order
        for index in (self.by_participant, self.by_staff, self.by_room):
            ordered = sorted(index.items())
            index.clear()
            index.update(ordered)
        self.loads = {pid: self._load(ss) for pid, ss in self.by_participant.items()}

    def _load(self, sessions: list[Session]) -> Load:
        load = Load()
        for s in sessions:
            t = self.types.get(s.session_type)
            load.days.add(s.day)
            if t is None or t.counts_toward_hours:
                load.day_minutes[s.day] += s.end - s.start
            load.type_week[s.session_type] += 1
            load.type_day[s.session_type, s.day] += 1
        return load

    def load(self, pid: str) -> Load:
        return self.loads.get(pid) or Load()

    def type_of(self, s: Session) -> SessionType | None:
        return self.types.get(s.session_type)


def overlapping(sessions: Iterable[Session]) -> Iterator[tuple[Session, Session]]:
    """(earlier, later) pairs that overlap, from sessions sorted by day and start.

    Each session is compared with the latest-ending session before it on its day: one
    pass after the sort, and every session that overlaps an earlier one is reported.
    """
    latest: Session | None = None
    for s in sessions:
        if latest is not None and latest.day == s.day and s.start < latest.end:
            yield latest, s
        if latest is None or latest.day != s.day or s.end > latest.end:
            latest = s


# --- the rules' conditions, from the raw program data ------------------------------------------
# Written here from SCHEDULING.md, not imported: the model prunes its options with helpers of
# iopsched.domain (blocked, eligible, Staff.available, Participant.in_program), and a bug there
# must not pass both.


def date_outside_program(p: Participant, day: int, week_start: dt.date | None) -> dt.date | None:
    """Rule 1: the date of `day` when it lies before p's start_date or after their end_date
    (dates count only when the week is known)."""
    if week_start is None:
        return None
    date = week_start + dt.timedelta(days=day)
    if (p.start_date is not None and date < p.start_date) or (p.end_date is not None and date > p.end_date):
        return date
    return None


def commitment_hit(p: Participant, s: Session, buffer: int) -> Commitment | None:
    """Rule 1: the first of p's commitments that session s overlaps once the commitment is
    widened by the travel buffer on both sides."""
    for c in p.commitments:
        if c.day == s.day and s.start < c.end + buffer and s.end > c.start - buffer:
            return c
    return None


def inside_a_window(staff: Staff, s: Session) -> bool:
    """Rule 3: session s lies wholly inside one of the staff member's availability windows."""
    return any(w.day == s.day and w.start <= s.start and s.end <= w.end for w in staff.windows)


def ineligible(p: Participant, t: SessionType) -> str | None:
    """Rule 5: why p may not attend sessions of type t, or None when they may (the track among
    the type's tracks, matched case-insensitively; every required tag; a medication session only
    when flagged needs_medication, a family session only when flagged family_sessions)."""
    if t.tracks and p.track.casefold() not in {x.casefold() for x in t.tracks}:
        return f"track {p.track} is not among {t.name}'s tracks ({', '.join(sorted(t.tracks))})"
    missing = t.tags_required - p.tags
    if missing:
        return f"lacks the required tag(s) {', '.join(sorted(missing))}"
    if t.kind == "medication" and not p.needs_medication:
        return "is not flagged needs_medication"
    if t.kind == "family" and not p.family_sessions:
        return "is not flagged family_sessions"
    return None


def weekly_min(p: Participant, t: SessionType) -> int:
    """The type's weekly minimum for p: a requirement only where p may attend the type."""
    return t.weekly_min if ineligible(p, t) is None else 0


def by_day(sessions: list[Session]) -> dict[int, list[Session]]:
    days: dict[int, list[Session]] = defaultdict(list)
    for s in sessions:
        days[s.day].append(s)
    return days
