"""Per-person views of a schedule: who sees which sessions, with which details.

Privacy is decided here, once, for every format:
- a participant's view holds only their own sessions, never another participant's id or name
  (no rosters, no session ids);
- a staff member's view holds the sessions they lead or co-lead (marked as co-leader), with
  the roster by participant id;
- names (participants' and staff members') appear only when the coordinator asked for them
  (`show_names`) and gave the program workbook they come from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from iopsched.domain import DAY_NAMES, Program, Rules, day_name, hhmm
from iopsched.schedule import Schedule, Session
from iopsched.workbook.parse import monday_of

STAFF = "staff"
PARTICIPANT = "participant"
FOLDERS = {STAFF: "staff", PARTICIPANT: "participants"}  # DIR/<folder>/<id>.<ext>
ROLE_TITLES = {STAFF: "Staff", PARTICIPANT: "Participant"}

# light fills that keep dark text readable on screen and in greyscale print
PALETTE = (
    "#cfe2ff", "#d1e7dd", "#fff3cd", "#f8d7da", "#e2d9f3", "#ffe5d0",
    "#cff4fc", "#e9ecef", "#fcdcf0", "#dcedc8", "#ffecb3", "#d7ccc8",
)


def labelled(ident: str, name: str = "") -> str:
    """`P001` or, when a name is shown, `P001 (Ana Ruiz)`."""
    return f"{ident} ({name})" if name else ident


@dataclass(frozen=True)
class Week:
    """The real dates of the exported week, in the program's time zone."""

    monday: dt.date
    tz: ZoneInfo

    def date_of(self, day: int) -> dt.date:
        return self.monday + dt.timedelta(days=day)

    def at(self, day: int, minutes: int) -> dt.datetime:
        """Local wall-clock time `minutes` after midnight of `day` (24:00 is next midnight)."""
        date = self.date_of(day) + dt.timedelta(days=minutes // (24 * 60))
        minutes %= 24 * 60
        return dt.datetime.combine(date, dt.time(minutes // 60, minutes % 60), tzinfo=self.tz)


def week_start(week_of: str | None, today: dt.date) -> dt.date:
    """Monday of the ISO week holding `week_of` (YYYY-MM-DD); default: next Monday after today."""
    if week_of is None or not week_of.strip():
        return today + dt.timedelta(days=7 - today.weekday())
    return monday_of(week_of)


@dataclass(frozen=True)
class Entry:
    """One session as one person sees it."""

    session: Session
    start: dt.datetime
    end: dt.datetime
    leader: str  # staff id, with the name when names are shown (and the co-leader's, co-led types)
    roster: tuple[str, ...] = ()  # staff views only: participant ids (with names when shown)
    co_leading: bool = False  # staff views only: this person co-leads the session (issue 19)

    @property
    def time_range(self) -> str:
        return f"{hhmm(self.session.start)}\u2013{hhmm(self.session.end)}"


@dataclass(frozen=True)
class Person:
    role: str  # STAFF or PARTICIPANT
    person_id: str
    name: str = ""  # empty unless names are shown
    entries: tuple[Entry, ...] = ()

    @property
    def label(self) -> str:
        return f"{ROLE_TITLES[self.role]} {labelled(self.person_id, self.name)}"

    @property
    def minutes(self) -> int:
        return sum(e.session.end - e.session.start for e in self.entries)

    @property
    def days(self) -> int:
        return len({e.session.day for e in self.entries})

    @property
    def stats(self) -> str:
        """`3 days, 9 sessions, 9 h` for the page header."""
        n = len(self.entries)
        return (f"{self.days} day{'s' if self.days != 1 else ''}, {n} session"
                f"{'s' if n != 1 else ''}, {hours_text(self.minutes)}")


@dataclass(frozen=True)
class Page:
    """What every person's output shares: program, week, grid columns, colours."""

    program_name: str
    week: Week
    days: tuple[int, ...]  # grid columns: open days plus any day with a session
    slot_minutes: int
    colours: dict[str, str] = field(default_factory=dict)  # session type -> fill colour
    kinds: dict[str, str] = field(default_factory=dict)  # session type -> kind
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def colour(self, session_type: str) -> str:
        return self.colours.get(session_type, "#ffffff")

    def legend(self, person: Person) -> list[str]:
        """The session types on a person's page, in catalogue (colour) order."""
        order = {name: i for i, name in enumerate(self.colours)}
        names = {e.session.session_type for e in person.entries}
        return sorted(names, key=lambda n: (order.get(n, len(order)), n))

    def date_range(self) -> str:
        """`Mon 3 Jun – Fri 7 Jun 2024` over the grid's columns."""
        first, last = self.week.date_of(self.days[0]), self.week.date_of(self.days[-1])
        return f"{short_date(first)} \u2013 {short_date(last)} {last.year}"


def short_date(d: dt.date) -> str:
    return f"{DAY_NAMES[d.weekday()]} {d.day} {d:%b}"


def make_page(schedule: Schedule, rules: Rules, program: Program | None, monday: dt.date,
              now: dt.datetime | None = None) -> Page:
    order = [t.name for t in program.session_types] if program else []
    order += sorted({s.session_type for s in schedule.sessions} - set(order))
    kinds = {t.name: t.kind for t in program.session_types} if program else {}
    for s in schedule.sessions:
        if s.kind:
            kinds.setdefault(s.session_type, s.kind)
    days = tuple(sorted(set(rules.days) | {s.day for s in schedule.sessions})) or (0, 1, 2, 3, 4)
    return Page(
        program_name=rules.program_name,
        week=Week(monday, ZoneInfo(rules.timezone)),
        days=days,
        slot_minutes=rules.slot_minutes,
        colours={name: PALETTE[i % len(PALETTE)] for i, name in enumerate(order)},
        kinds=kinds,
        generated=now or dt.datetime.now(dt.UTC),
    )


@dataclass(frozen=True)
class Directory:
    """Names by id (filled only when names are shown) and the people the program lists."""

    staff_names: dict[str, str] = field(default_factory=dict)
    participant_names: dict[str, str] = field(default_factory=dict)
    staff_ids: tuple[str, ...] = ()
    participant_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, program: Program | None, show_names: bool) -> Directory:
        if program is None:
            return cls()
        staff_names = {s.staff_id: s.name for s in program.staff if s.name}
        participant_names = {p.participant_id: p.name for p in program.participants if p.name}
        return cls(
            staff_names=staff_names if show_names else {},
            participant_names=participant_names if show_names else {},
            staff_ids=tuple(s.staff_id for s in program.staff),
            participant_ids=tuple(p.participant_id for p in program.participants),
        )

    def staff(self, staff_id: str) -> str:
        return labelled(staff_id, self.staff_names.get(staff_id, ""))

    def participant(self, participant_id: str) -> str:
        return labelled(participant_id, self.participant_names.get(participant_id, ""))

    def leaders(self, s: Session) -> str:
        """`S01`, or for a co-led session `S01 and co-leader S07` (names when shown)."""
        if s.co_leader_id is None:
            return self.staff(s.staff_id)
        return f"{self.staff(s.staff_id)} and co-leader {self.staff(s.co_leader_id)}"


def _ordered(ids: Iterable[str]) -> list[str]:
    return sorted(set(ids), key=lambda i: (i.casefold(), i))


def build_people(schedule: Schedule, roles: Iterable[str], page: Page,
                 directory: Directory) -> list[Person]:
    """Everyone to export, staff first: the schedule's people plus any the program lists."""
    sessions = sorted(schedule.sessions, key=lambda s: (s.day, s.start, s.end, s.session_id))
    week = page.week
    people: list[Person] = []
    if STAFF in roles:
        leaders = [sid for s in sessions for sid in s.staff_ids if sid] + list(directory.staff_ids)
        for sid in _ordered(leaders):
            entries = tuple(
                Entry(s, week.at(s.day, s.start), week.at(s.day, s.end), directory.leaders(s),
                      tuple(directory.participant(p) for p in s.participants),
                      co_leading=s.role_of(sid) == "co-leader")
                for s in sessions if sid in s.staff_ids
            )
            people.append(Person(STAFF, sid, directory.staff_names.get(sid, ""), entries))
    if PARTICIPANT in roles:
        known = [p for s in sessions for p in s.participants]
        known += [u.participant_id for u in schedule.unmet] + list(directory.participant_ids)
        for pid in _ordered(known):
            entries = tuple(
                Entry(s, week.at(s.day, s.start), week.at(s.day, s.end),
                      directory.leaders(s))
                for s in sessions if pid in s.participants
            )
            name = directory.participant_names.get(pid, "")
            people.append(Person(PARTICIPANT, pid, name, entries))
    return people


def detail(person: Person, entry: Entry) -> str:
    """The grid box's last line: who the session is with, as this person may see it."""
    if person.role == PARTICIPANT:
        return f"with {entry.leader}"
    s = entry.session
    mark = "co-leader \u00b7 " if entry.co_leading else ""
    if s.kind == "group" or len(entry.roster) != 1:
        n = len(entry.roster)
        return f"{mark}{n} participant{'s' if n != 1 else ''}"
    return mark + entry.roster[0]


def day_heading(page: Page, day: int) -> tuple[str, str]:
    """(`Mon`, `3 Jun`) for a grid column."""
    d = page.week.date_of(day)
    return day_name(day), f"{d.day} {d:%b}"


def hours_text(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min" if m else f"{h} h"
