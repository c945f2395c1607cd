"""Builders of small test programs and schedules, made in Python with the domain objects.

`make_program()` gives a small valid program (4 participants, 6 staff, 4 rooms) and
`make_schedule()` a hand-made valid week for it; keyword overrides and the `with_*`
helpers change one thing at a time. `program_sheets` / `schedule_sheets` turn them into
rows per sheet (WORKBOOK.md columns) and `write_sheets` writes an .xlsx, so a test can
edit a row before writing.

The default week (Mon, Tue, Thu):
  09:00 Process Group        S<d>1  C1 R1 [P01, P02]   S<d>2  C2 R2 [P03, P04]
  10:00 Skills Group         S<d>3  C1 R1 [P01..P04]
  11:00 Relapse Prevention   S<d>4  C2 R2 [P01..P04]
and Individual Therapy with T1 in O1: P04 Mon 08:00 (I1), P01 Mon 12:00 (I2),
P02 Tue 12:00 (I3), P03 Thu 12:00 (I4); <d> is 1 (Mon), 2 (Tue), 4 (Thu).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from iopsched.domain import (
    Commitment,
    Participant,
    Pinned,
    Program,
    Room,
    Rules,
    SessionType,
    Staff,
    Window,
    day_name,
    hhmm,
)
from iopsched.schedule import (
    ATTENDANCE_COLUMNS,
    SESSIONS_COLUMNS,
    UNMET_COLUMNS,
    Schedule,
    Session,
    Unmet,
)
from iopsched.workbook.config import BUILTIN_LEVELS
from iopsched.workbook.parse import parse_day, parse_time

WEEKDAYS = (0, 1, 2, 3, 4)
GROUP_DAYS = (0, 1, 3)  # Mon, Tue, Thu
EVERYONE = ("P01", "P02", "P03", "P04")


def t(value: str | int) -> int:
    """Minutes since midnight from "HH:MM" (or minutes as given)."""
    return value if isinstance(value, int) else parse_time(value)


def d(value: str | int) -> int:
    """Day index from "Mon".. (or the index as given)."""
    return value if isinstance(value, int) else parse_day(value)


def windows(days: Iterable[str | int], start: str, end: str) -> tuple[Window, ...]:
    return tuple(Window(d(x), t(start), t(end)) for x in days)


def default_staff() -> tuple[Staff, ...]:
    day = windows(WEEKDAYS, "08:00", "17:00")
    long_day = windows(WEEKDAYS, "08:00", "21:00")
    return (
        Staff("C1", frozenset({"counselor"}), max_hours_day=6, max_hours_week=30, windows=day),
        Staff("C2", frozenset({"counselor"}), max_hours_day=6, max_hours_week=30, windows=day),
        Staff("C3", frozenset({"counselor"}), windows=day),
        Staff("T1", frozenset({"therapist", "counselor"}), max_hours_day=8, max_hours_week=40,
              windows=long_day),
        Staff("T2", frozenset({"therapist"}), windows=long_day),
        Staff("M1", frozenset({"prescriber"}), windows=windows(WEEKDAYS, "09:00", "13:00")),
    )


def default_rooms() -> tuple[Room, ...]:
    return (
        Room("R1", 10, frozenset({"group"})),
        Room("R2", 10, frozenset({"group"})),
        Room("O1", 2, frozenset({"individual", "family", "medication"})),
        Room("TH", None, frozenset({"group", "individual", "family", "medication"})),  # telehealth
    )


def default_types() -> tuple[SessionType, ...]:
    return (
        SessionType("Process Group", "group", 60, "counselor", 2, 10),
        SessionType("Skills Group", "group", 60, "counselor", 2, 10),
        SessionType("Relapse Prevention", "group", 60, "counselor", 2, 10),
        SessionType("SUD Education", "group", 60, "counselor", 2, 10,
                    tracks=frozenset({"SUD", "Dual"})),
        SessionType("Women's Group", "group", 60, "counselor", 2, 8,
                    tags_required=frozenset({"women"})),
        SessionType("Individual Therapy", "individual", 60, "therapist", weekly_min=1),
        SessionType("Medication Management", "medication", 30, "prescriber", weekly_min=1),
        SessionType("Family Session", "family", 60, "therapist", weekly_min=1),
    )


TYPES = {st.name: st for st in default_types()}


def participant(pid: str, track: str = "SUD", **kw) -> Participant:
    """An adult IOP participant (the IOP level's values) with keyword overrides."""
    level = BUILTIN_LEVELS[kw.get("level", "IOP")]
    values = {k: getattr(level, k) for k in ("days_min", "days_max", "day_hours_min",
                                             "day_hours_max", "week_hours_min", "week_hours_max")}
    if isinstance(kw.get("tags"), (set, tuple, list)):
        kw["tags"] = frozenset(kw["tags"])
    return Participant(pid, track, **(values | kw))


def default_participants() -> tuple[Participant, ...]:
    return (
        participant("P01", "SUD", tags={"women"}, name="Alice Example",
                    commitments=(Commitment(2, t("08:00"), t("17:00"), "work"),)),
        participant("P02", "SUD", name="Bob Example",
                    commitments=(Commitment(4, t("09:00"), t("17:00"), "work"),)),
        participant("P03", "MH", name="Carol Example",
                    # touches the travel buffer of P03's 12:00-13:00 session: allowed
                    commitments=(Commitment(3, t("13:30"), t("16:00"), "school"),)),
        participant("P04", "MH", tags={"women"}, name="Dana Example"),
    )


def make_program(
    *,
    staff: Iterable[Staff] | None = None,
    rooms: Iterable[Room] | None = None,
    session_types: Iterable[SessionType] | None = None,
    participants: Iterable[Participant] | None = None,
    pinned: Iterable[Pinned] = (),
    **rules,
) -> Program:
    """The default program; `rules` overrides Rules fields (days as names, times as "HH:MM")."""
    if "days" in rules:
        rules["days"] = tuple(sorted(d(x) for x in rules["days"]))
    for key in ("open", "close"):
        if key in rules:
            rules[key] = t(rules[key])
    return Program(
        rules=Rules(levels=dict(BUILTIN_LEVELS), **rules),
        staff=tuple(default_staff() if staff is None else staff),
        rooms=tuple(default_rooms() if rooms is None else rooms),
        session_types=tuple(default_types() if session_types is None else session_types),
        participants=tuple(default_participants() if participants is None else participants),
        pinned=tuple(pinned),
    )


def _replace_in(items: tuple, key: str, ident: str, changes: dict) -> tuple:
    if ident not in {getattr(x, key) for x in items}:
        raise KeyError(ident)
    return tuple(replace(x, **changes) if getattr(x, key) == ident else x for x in items)


def with_participant(program: Program, pid: str, **changes) -> Program:
    if isinstance(changes.get("tags"), (set, tuple, list)):
        changes["tags"] = frozenset(changes["tags"])
    return replace(program, participants=_replace_in(program.participants, "participant_id", pid,
                                                     changes))


def with_staff(program: Program, sid: str, **changes) -> Program:
    return replace(program, staff=_replace_in(program.staff, "staff_id", sid, changes))


def with_room(program: Program, rid: str, **changes) -> Program:
    return replace(program, rooms=_replace_in(program.rooms, "room_id", rid, changes))


def with_type(program: Program, name: str, **changes) -> Program:
    return replace(program, session_types=_replace_in(program.session_types, "name", name,
                                                      changes))


def session(
    sid: str,
    session_type: str,
    day: str | int,
    start: str | int,
    staff_id: str,
    room_id: str,
    participants: Iterable[str] = (),
    *,
    end: str | int | None = None,
    kind: str | None = None,
    pinned: bool = False,
) -> Session:
    """A Session; kind and end come from the default catalogue unless given."""
    st = TYPES.get(session_type)
    begin = t(start)
    stop = t(end) if end is not None else begin + (st.minutes if st else 60)
    return Session(sid, session_type, kind if kind is not None else (st.kind if st else "group"),
                   d(day), begin, stop, staff_id, room_id, tuple(participants), pinned)


def default_sessions() -> list[Session]:
    out = []
    for day in GROUP_DAYS:
        n = day + 1
        out += [
            session(f"S{n}1", "Process Group", day, "09:00", "C1", "R1", ("P01", "P02")),
            session(f"S{n}2", "Process Group", day, "09:00", "C2", "R2", ("P03", "P04")),
            session(f"S{n}3", "Skills Group", day, "10:00", "C1", "R1", EVERYONE),
            session(f"S{n}4", "Relapse Prevention", day, "11:00", "C2", "R2", EVERYONE),
        ]
    out += [
        session("I1", "Individual Therapy", "Mon", "08:00", "T1", "O1", ("P04",)),
        session("I2", "Individual Therapy", "Mon", "12:00", "T1", "O1", ("P01",)),
        session("I3", "Individual Therapy", "Tue", "12:00", "T1", "O1", ("P02",)),
        session("I4", "Individual Therapy", "Thu", "12:00", "T1", "O1", ("P03",)),
    ]
    return out


def make_schedule(
    sessions: Iterable[Session] | None = None,
    unmet: Iterable[Unmet] = (),
    participants: int = 4,
    fully_met: int | None = None,
) -> Schedule:
    """A schedule with a true Summary (fully_met defaults to everyone minus Unmet people)."""
    sessions = default_sessions() if sessions is None else list(sessions)
    unmet = list(unmet)
    if fully_met is None:
        fully_met = participants - len({u.participant_id for u in unmet})
    summary = {"status": "OPTIMAL", "objective": 0, "participants": participants,
               "participants_fully_met": fully_met, "sessions": len(sessions)}
    return Schedule(sessions=sessions, unmet=unmet, summary=summary)


def edit_session(schedule: Schedule, sid: str, **changes) -> Schedule:
    """A copy of the schedule with one session changed (start/end/day accept text)."""
    for key, conv in (("start", t), ("end", t), ("day", d)):
        if key in changes:
            changes[key] = conv(changes[key])
    if "participants" in changes:
        changes["participants"] = tuple(changes["participants"])
    found = [s for s in schedule.sessions if s.session_id == sid]
    if not found:
        raise KeyError(sid)
    s = found[0]
    if "start" in changes and "end" not in changes:
        changes["end"] = changes["start"] + (s.end - s.start)
    sessions = [replace(x, **changes) if x.session_id == sid else x for x in schedule.sessions]
    return replace_sessions(schedule, sessions)


def replace_sessions(schedule: Schedule, sessions: list[Session]) -> Schedule:
    return Schedule(sessions=sessions, unmet=list(schedule.unmet),
                    summary=dict(schedule.summary) | {"sessions": len(sessions)},
                    declared_sizes=dict(schedule.declared_sizes))


# --- workbooks -----------------------------------------------------------------------------------


def _list(items: Iterable[str]) -> str:
    return ", ".join(sorted(items))


def _num(x: float | None) -> float | int | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


def program_sheets(program: Program) -> dict[str, list[dict]]:
    """The program as rows per sheet, in WORKBOOK.md columns (times as "HH:MM" text)."""
    yes = {True: "yes", False: "no"}
    return {
        "Staff": [{"staff_id": s.staff_id, "name": s.name, "roles": _list(s.roles),
                   "max_hours_week": _num(s.max_hours_week), "max_hours_day": _num(s.max_hours_day)}
                  for s in program.staff],
        "StaffAvailability": [{"staff_id": s.staff_id, "day": day_name(w.day),
                               "start": hhmm(w.start), "end": hhmm(w.end)}
                              for s in program.staff for w in s.windows],
        "Rooms": [{"room_id": r.room_id, "capacity": r.capacity, "kinds": _list(r.kinds)}
                  for r in program.rooms],
        "SessionTypes": [{"session_type": st.name, "kind": st.kind, "minutes": st.minutes,
                          "staff_role": st.staff_role, "min_size": st.min_size,
                          "max_size": st.max_size, "tracks": _list(st.tracks),
                          "tags_required": _list(st.tags_required), "weekly_min": st.weekly_min,
                          "weekly_max": st.weekly_max, "daily_max": st.daily_max,
                          "counts_toward_hours": yes[st.counts_toward_hours],
                          # co-led types only: a workbook without them has no such column
                          **({"co_leader_role": st.co_leader_role} if st.co_led else {})}
                         for st in program.session_types],
        "Participants": [{"participant_id": p.participant_id, "name": p.name, "track": p.track,
                          "tags": _list(p.tags), "level": p.level, "days_min": p.days_min,
                          "days_max": p.days_max, "day_hours_min": _num(p.day_hours_min),
                          "day_hours_max": _num(p.day_hours_max),
                          "week_hours_min": _num(p.week_hours_min),
                          "week_hours_max": _num(p.week_hours_max),
                          "preferred_time": p.preferred_time or "",
                          "preferred_days": ", ".join(day_name(x) for x in sorted(p.preferred_days)),
                          "primary_therapist": p.primary_therapist or "",
                          "needs_medication": yes[p.needs_medication],
                          "family_sessions": yes[p.family_sessions]}
                         for p in program.participants],
        "Commitments": [{"participant_id": p.participant_id, "day": day_name(c.day),
                         "start": hhmm(c.start), "end": hhmm(c.end), "reason": c.reason}
                        for p in program.participants for c in p.commitments],
        "Pinned": [{"session_type": pin.session_type, "day": day_name(pin.day),
                    "start": hhmm(pin.start), "staff_id": pin.staff_id, "room_id": pin.room_id,
                    "participants": ", ".join(pin.participants)} for pin in program.pinned],
    }


PROGRAM_COLUMNS = {
    "Staff": ("staff_id", "name", "roles", "max_hours_week", "max_hours_day"),
    "StaffAvailability": ("staff_id", "day", "start", "end"),
    "Rooms": ("room_id", "capacity", "kinds"),
    "SessionTypes": ("session_type", "kind", "minutes", "staff_role", "min_size", "max_size",
                     "tracks", "tags_required", "weekly_min", "weekly_max", "daily_max",
                     "counts_toward_hours"),
    "Participants": ("participant_id", "name", "track", "tags", "level", "days_min", "days_max",
                     "day_hours_min", "day_hours_max", "week_hours_min", "week_hours_max",
                     "preferred_time", "preferred_days", "primary_therapist", "needs_medication",
                     "family_sessions"),
    "Commitments": ("participant_id", "day", "start", "end", "reason"),
    "Pinned": ("session_type", "day", "start", "staff_id", "room_id", "participants"),
}
SCHEDULE_COLUMNS = {
    "Summary": ("key", "value"),
    "Sessions": SESSIONS_COLUMNS,
    "Attendance": ATTENDANCE_COLUMNS,
    "Unmet": UNMET_COLUMNS,
}


def schedule_sheets(schedule: Schedule) -> dict[str, list[dict]]:
    """The schedule's machine sheets as rows (Summary, Sessions, Attendance, Unmet)."""
    return {
        "Summary": [{"key": k, "value": v} for k, v in schedule.summary.items()],
        "Sessions": [s.row() for s in schedule.sessions],
        "Attendance": schedule.attendance_rows(),
        "Unmet": [u.row() for u in schedule.unmet],
    }


def write_sheets(sheets: dict[str, list[dict]], path: Path,
                 columns: dict[str, tuple[str, ...]] | None = None) -> Path:
    """Write rows per sheet to an .xlsx (header in row 1; columns default to the rows' keys)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        header = list((columns or {}).get(name) or (rows[0].keys() if rows else ()))
        for row in rows:
            header += [k for k in row if k not in header]
        ws.append(header)
        for row in rows:
            ws.append([row.get(c) for c in header])
    path = Path(path)
    wb.save(path)
    return path


def write_program_xlsx(program: Program, path: Path) -> Path:
    return write_sheets(program_sheets(program), path, PROGRAM_COLUMNS)


def write_schedule_xlsx(schedule: Schedule, path: Path) -> Path:
    return write_sheets(schedule_sheets(schedule), path, SCHEDULE_COLUMNS)
