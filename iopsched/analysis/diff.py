"""What changed between two weeks' schedules, per participant and per staff member.

`diff_schedules(last, this)` compares two `Schedule`s and `render_text(report)` turns the
result into a plain-text notice a coordinator can send; `run_diff(last, this)` does both
from two schedule workbooks (the `iopsched diff` command).

Sessions are identified by content, never by `session_id` (ids are recomputed every
week). For one person, a session is its type, day, start, end, leader (and co-leader) and room; who
else attends does not change that person's week. Each person's sessions of last week
and of this week are paired as follows:

1. sessions with the same content in both weeks are unchanged;
2. of the rest, sessions of the same type are paired nearest first (by time in the
   week, then by fewest differences in leader and room): a pair is a session that
   moved, changed leader and/or changed room;
3. what is left of last week was dropped, what is left of this week was added.

A participant is enrolled in a week when they attend a session or have a row in the
Unmet sheet; one enrolled only this week is new, one enrolled only last week is no
longer scheduled (discharged). Participants are named by id only, never by name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from iopsched.domain import day_name, hhmm
from iopsched.errors import CONTROL_ESCAPES
from iopsched.schedule import Schedule, Session

MINUTES_PER_DAY = 24 * 60
Status = Literal["continuing", "new", "gone"]


@dataclass(frozen=True, order=True)
class Slot:
    """A session as one person sees it: everything but its id and its roster."""

    day: int
    start: int
    end: int
    session_type: str
    staff_id: str
    room_id: str
    co_leader_id: str = ""  # co-led types (issue 19); "" for one leader

    @classmethod
    def of(cls, s: Session) -> Slot:
        return cls(s.day, s.start, s.end, s.session_type, s.staff_id, s.room_id, s.co_leader_id or "")

    @property
    def when(self) -> str:
        """'Mon 09:00-10:00'."""
        return f"{day_name(self.day)} {hhmm(self.start)}-{hhmm(self.end)}"

    def as_dict(self) -> dict[str, str]:
        out = {"session_type": self.session_type, "day": day_name(self.day),
               "start": hhmm(self.start), "end": hhmm(self.end),
               "staff_id": self.staff_id, "room_id": self.room_id}
        if self.co_leader_id:
            out["co_leader_id"] = self.co_leader_id
        return out


@dataclass(frozen=True)
class Change:
    """A session of last week paired with this week's session of the same type."""

    before: Slot
    after: Slot

    @property
    def moved(self) -> bool:
        return (self.before.day, self.before.start, self.before.end) != (
            self.after.day, self.after.start, self.after.end)

    @property
    def leader_changed(self) -> bool:
        return self.before.staff_id != self.after.staff_id

    @property
    def co_leader_changed(self) -> bool:
        return self.before.co_leader_id != self.after.co_leader_id

    @property
    def room_changed(self) -> bool:
        return self.before.room_id != self.after.room_id

    def as_dict(self) -> dict[str, object]:
        return {"before": self.before.as_dict(), "after": self.after.as_dict(),
                "moved": self.moved, "leader_changed": self.leader_changed,
                "co_leader_changed": self.co_leader_changed,
                "room_changed": self.room_changed}


@dataclass
class PersonDiff:
    """One participant's or staff member's changes (staff: the sessions they lead)."""

    person_id: str
    status: Status = "continuing"
    dropped: list[Slot] = field(default_factory=list)
    added: list[Slot] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    sessions_last: int = 0
    sessions_this: int = 0
    # staff only: a dropped or added session whose group (type, time, roster) is led by
    # another staff member in the other week -> that staff member's id
    handover: dict[Slot, str] = field(default_factory=dict)

    @property
    def moved(self) -> list[Change]:
        return [c for c in self.changed if c.moved]

    @property
    def leader_changed(self) -> list[Change]:
        return [c for c in self.changed if c.leader_changed]

    @property
    def room_changed(self) -> list[Change]:
        return [c for c in self.changed if c.room_changed]

    @property
    def has_changes(self) -> bool:
        return self.status != "continuing" or bool(self.dropped or self.added or self.changed)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.person_id, "status": self.status,
                "sessions_last": self.sessions_last, "sessions_this": self.sessions_this,
                "dropped": [s.as_dict() for s in self.dropped],
                "added": [s.as_dict() for s in self.added],
                "changed": [c.as_dict() for c in self.changed],
                "handover": [{"session": k.as_dict(), "other_staff_id": v}
                             for k, v in sorted(self.handover.items())]}


@dataclass
class DiffReport:
    """Only people whose week changed are listed, in natural id order (P2 before P10)."""

    participants: list[PersonDiff] = field(default_factory=list)
    staff: list[PersonDiff] = field(default_factory=list)

    @property
    def changed_participants(self) -> list[PersonDiff]:
        """Participants enrolled in both weeks whose sessions changed."""
        return [p for p in self.participants if p.status == "continuing"]

    @property
    def new_participants(self) -> list[PersonDiff]:
        return [p for p in self.participants if p.status == "new"]

    @property
    def discharged(self) -> list[PersonDiff]:
        """Participants no longer scheduled this week."""
        return [p for p in self.participants if p.status == "gone"]

    @property
    def empty(self) -> bool:
        return not self.participants and not self.staff

    def as_dict(self) -> dict[str, object]:
        return {"participants": [p.as_dict() for p in self.participants],
                "staff": [s.as_dict() for s in self.staff]}


# --- comparing -----------------------------------------------------------------------------------


def _natural(ident: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", ident) if part)


def _minute_of_week(slot: Slot) -> int:
    return slot.day * MINUTES_PER_DAY + slot.start


def _pair(last: list[Slot], this: list[Slot]) -> tuple[list[Slot], list[Slot], list[Change]]:
    """(dropped, added, changed) between one person's sessions of two weeks."""
    remaining_last = Counter(last)
    remaining_this = Counter(this)
    common = remaining_last & remaining_this
    remaining_last -= common
    remaining_this -= common
    old = sorted(remaining_last.elements())
    new = sorted(remaining_this.elements())
    candidates = sorted(
        (abs(_minute_of_week(a) - _minute_of_week(b)),
         (a.staff_id != b.staff_id) + (a.room_id != b.room_id) + (a.co_leader_id != b.co_leader_id),
         abs(a.end - a.start - (b.end - b.start)), i, j)
        for i, a in enumerate(old) for j, b in enumerate(new)
        if a.session_type == b.session_type
    )
    used_old: set[int] = set()
    used_new: set[int] = set()
    changed = []
    for *_, i, j in candidates:
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        changed.append(Change(old[i], new[j]))
    dropped = [s for i, s in enumerate(old) if i not in used_old]
    added = [s for j, s in enumerate(new) if j not in used_new]
    changed.sort(key=lambda c: c.before)
    return dropped, added, changed


def _by_participant(schedule: Schedule) -> dict[str, list[Slot]]:
    out: dict[str, list[Slot]] = {u.participant_id: [] for u in schedule.unmet}
    for s in schedule.sessions:
        for pid in dict.fromkeys(s.participants):
            out.setdefault(pid, []).append(Slot.of(s))
    return out


def _by_staff(schedule: Schedule) -> dict[str, list[Slot]]:
    """Staff id -> the sessions they lead or co-lead."""
    out: dict[str, list[Slot]] = {}
    for s in schedule.sessions:
        for sid in dict.fromkeys(s.staff_ids):
            out.setdefault(sid, []).append(Slot.of(s))
    return out


def _compare(last: dict[str, list[Slot]], this: dict[str, list[Slot]],
             *, track_enrolment: bool) -> list[PersonDiff]:
    people = []
    for pid in sorted(set(last) | set(this), key=_natural):
        before, after = last.get(pid, []), this.get(pid, [])
        status: Status = "continuing"
        if track_enrolment and pid not in last:
            status = "new"
        elif track_enrolment and pid not in this:
            status = "gone"
        dropped, added, changed = _pair(before, after)
        person = PersonDiff(pid, status, dropped, added, changed, len(before), len(after))
        if person.has_changes:
            people.append(person)
    return people


def _group(s: Session) -> tuple:
    """A session apart from its leader and room: type, time and roster."""
    return (s.session_type, s.day, s.start, s.end, frozenset(s.participants))


def _leaders(schedule: Schedule) -> dict[tuple, set[str]]:
    """Group -> who leads it (sessions without participants left out)."""
    out: dict[tuple, set[str]] = {}
    for s in schedule.sessions:
        if s.participants:
            out.setdefault(_group(s), set()).add(s.staff_id)
    return out


def _groups(schedule: Schedule) -> dict[Slot, list[tuple]]:
    """Slot (with its leader) -> the groups held in it."""
    out: dict[Slot, list[tuple]] = {}
    for s in schedule.sessions:
        if s.participants:
            out.setdefault(Slot.of(s), []).append(_group(s))
    return out


def _add_handovers(staff: list[PersonDiff], last: Schedule, this: Schedule) -> None:
    """For a session a staff member dropped (gained): who leads that group this (last) week."""
    for_dropped = (_groups(last), _leaders(this))
    for_added = (_groups(this), _leaders(last))
    for person in staff:
        for slots, (groups, leaders) in ((person.dropped, for_dropped),
                                         (person.added, for_added)):
            for slot in slots:
                for group in groups.get(slot, ()):
                    others = leaders.get(group, set()) - {slot.staff_id}
                    if len(others) == 1:
                        person.handover[slot] = others.pop()
                        break


def diff_schedules(last: Schedule, this: Schedule) -> DiffReport:
    """Per participant and per staff member, what changed from `last` week to `this` week."""
    report = DiffReport(
        participants=_compare(_by_participant(last), _by_participant(this), track_enrolment=True),
        staff=_compare(_by_staff(last), _by_staff(this), track_enrolment=False),
    )
    _add_handovers(report.staff, last, this)
    return report


# --- the notice ----------------------------------------------------------------------------------


def _clean(value: str) -> str:
    """Ids from a hand-edited file: no control or bidirectional characters reach the notice."""
    return value.translate(CONTROL_ESCAPES)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _change_text(c: Change) -> str:
    b, a = c.before, c.after
    if c.moved:
        text = f"{_clean(b.session_type)} moved {b.when} -> {a.when}"
    else:
        text = f"{_clean(b.session_type)} {b.when}"
    if c.leader_changed:
        text += f"{',' if c.moved else ''} now with {_clean(a.staff_id)} (was {_clean(b.staff_id)})"
    if c.co_leader_changed:
        comma = "," if c.moved or c.leader_changed else ""
        text += (f"{comma} now co-led by {_clean(a.co_leader_id) or 'nobody'} "
                 f"(was {_clean(b.co_leader_id) or 'nobody'})")
    if c.room_changed:
        comma = "," if c.moved or c.leader_changed or c.co_leader_changed else ""
        text += f"{comma} now in {_clean(a.room_id)} (was {_clean(b.room_id)})"
    return text


def _describe(s: Slot, *, staff: bool, person_id: str = "") -> str:
    """'Skills Group Mon 10:00-11:00 (with C1 in R1)'; a staff member's own id is left out
    (a co-leader's says whom they co-lead with)."""
    co = _clean(s.co_leader_id)
    if staff and _co_leads(s, person_id):
        where = f"with {_clean(s.staff_id)} in {_clean(s.room_id)}"
    elif staff:
        where = (f"with co-leader {co} " if co else "") + f"in {_clean(s.room_id)}"
    else:
        where = f"with {_clean(s.staff_id)}" + (f" and {co}" if co else "") + f" in {_clean(s.room_id)}"
    return f"{_clean(s.session_type)} {s.when} ({where})"


def _co_leads(s: Slot, person_id: str) -> bool:
    return bool(s.co_leader_id) and person_id == s.co_leader_id != s.staff_id


def _items(person: PersonDiff, *, staff: bool) -> list[str]:
    """One phrase per change, in the order of the sessions in the week."""
    items: list[tuple[Slot, str]] = []
    pid = person.person_id
    for s in person.dropped:
        verb = ("no longer co-leads" if _co_leads(s, pid) else "no longer leads") if staff else "dropped"
        other = f", now {_clean(person.handover[s])}" if s in person.handover else ""
        items.append((s, f"{verb} {_describe(s, staff=staff, person_id=pid)}{other}"))
    for s in person.added:
        verb = ("now co-leads" if _co_leads(s, pid) else "now leads") if staff else "added"
        other = f", from {_clean(person.handover[s])}" if s in person.handover else ""
        items.append((s, f"{verb} {_describe(s, staff=staff, person_id=pid)}{other}"))
    for c in person.changed:
        items.append((c.before, _change_text(c)))
    items.sort(key=lambda item: item[0])
    return [text for _, text in items]


def _line(person: PersonDiff, *, staff: bool) -> str:
    pid = _clean(person.person_id)
    if person.status == "new":
        return f"{pid}: new this week ({_count(person.sessions_this, 'session', 'sessions')})"
    if person.status == "gone":
        return (f"{pid}: no longer scheduled "
                f"(had {_count(person.sessions_last, 'session', 'sessions')} last week)")
    return f"{pid}: " + "; ".join(_items(person, staff=staff))


def _weeks(n: int, one: str, many: str) -> str:
    """'1 participant's week' / '12 participants' weeks'."""
    return f"{n} {one}'s week" if n == 1 else f"{n} {many}' weeks"


def summary_line(report: DiffReport) -> str:
    """'12 participants' weeks changed, 3 staff members' weeks changed; 2 new participants, ...'."""
    return (f"{_weeks(len(report.changed_participants), 'participant', 'participants')} changed, "
            f"{_weeks(len(report.staff), 'staff member', 'staff members')} changed; "
            f"{_count(len(report.new_participants), 'new participant', 'new participants')}, "
            f"{len(report.discharged)} no longer scheduled")


def render_text(report: DiffReport) -> str:
    """The plain-text notice: a one-line summary, then one line per participant and per staff."""
    if report.empty:
        return "No changes."
    lines = [summary_line(report)]
    if report.participants:
        lines += ["", "Participants"]
        lines += [_line(p, staff=False) for p in report.participants]
    if report.staff:
        lines += ["", "Staff"]
        lines += [_line(s, staff=True) for s in report.staff]
    return "\n".join(lines)


def run_diff(last: Path, this: Path) -> str:
    """The notice for two schedule workbooks. Raises IopschedError (InputError) on a bad file."""
    from iopsched.workbook.schedule_reader import read_schedule

    return render_text(diff_schedules(read_schedule(Path(last)), read_schedule(Path(this))))
