"""iCalendar (RFC 5545) files: one calendar per person, one VEVENT per session.

Events carry real dates of the exported week in the program's time zone (with its
VTIMEZONE, so every client shows the same wall-clock times). A UID is derived from
the week, the person and the session id: exporting the same week again updates events
in a subscribed or re-imported calendar instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from pathlib import Path

from icalendar import Calendar, Event, Timezone

from iopsched.export.people import STAFF, Entry, Page, Person
from iopsched.workbook.safe_io import write_text_atomic

PRODID = "-//iopsched//weekly timetable//EN"


def event_uid(page: Page, person: Person, entry: Entry) -> str:
    """Stable per (week, person, session); opaque so it carries no id in clear."""
    key = "|".join((page.week.monday.isoformat(), person.role, person.person_id,
                    entry.session.session_id))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + "@iopsched"


@functools.lru_cache(maxsize=8)
def _vtimezone(tzid: str, monday: dt.date) -> Timezone:
    """The zone's rules over the week's year (slow to build: shared by every file)."""
    first = dt.date(monday.year, 1, 1)
    last = max(dt.date(monday.year + 1, 1, 1), monday + dt.timedelta(days=8))
    return Timezone.from_tzid(tzid, first_date=first, last_date=last)


def _description(person: Person, entry: Entry) -> str:
    s = entry.session
    lines = [f"Leader: {entry.leader}"]
    if entry.co_leading:
        lines.append("Your role: co-leader")
    if s.kind:
        lines.append(f"Kind: {s.kind}")
    if person.role == STAFF:
        lines.append(f"Session: {s.session_id}")
        lines.append(f"Participants ({len(entry.roster)}): " + (", ".join(entry.roster) or "none"))
    return "\n".join(lines)


def calendar_bytes(person: Person, page: Page) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    title = f"{page.program_name} \u2013 {person.label}"
    cal.add("name", title)
    cal.add("x-wr-calname", title)
    cal.add("x-wr-timezone", page.week.tz.key)
    cal.add_component(_vtimezone(page.week.tz.key, page.week.monday))
    stamp = page.generated.astimezone(dt.UTC)
    for entry in person.entries:
        s = entry.session
        ev = Event()
        ev.add("uid", event_uid(page, person, entry))
        ev.add("dtstamp", stamp)
        ev.add("dtstart", entry.start)
        ev.add("dtend", entry.end)
        ev.add("summary", s.session_type)
        if s.room_id:
            ev.add("location", s.room_id)
        ev.add("description", _description(person, entry))
        if s.kind:
            ev.add("categories", [s.kind])
        # rosters are health information; a participant's own attendance is too
        ev.add("class", "CONFIDENTIAL" if person.role == STAFF else "PRIVATE")
        ev.add("transp", "OPAQUE")
        cal.add_component(ev)
    return cal.to_ical()


def write_ics(person: Person, page: Page, target: Path) -> None:
    write_text_atomic(target, calendar_bytes(person, page))
