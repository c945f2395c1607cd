"""The workbook against itself and the rules: requirements on the Unmet sheet, the
Sessions, Unmet and Summary sheets' consistency, the Attendance sheet's copies, referrals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from iopsched.domain import (
    Participant,
    Program,
    day_name,
    hhmm,
)
from iopsched.schedule import Schedule, Unmet
from iopsched.validate.index import (
    EPS,
    SUMMARY_COUNTS,
    UNMET_TOLERANCE,
    Index,
    Load,
    Shortfall,
    Violation,
    describe,
    ids_of,
    number_text,
    violation,
    weekly_min,
)

# --- requirements ---------------------------------------------------------------------------


def shortfalls_of(program: Program, p: Participant, load: Load) -> list[Shortfall]:
    """Every requirement of p that the scheduled load falls short of."""
    out = []
    if len(load.days) < p.days_min:
        out.append(Shortfall("days", None, p.days_min, len(load.days)))
    for day in sorted(load.days):
        hours = load.day_minutes.get(day, 0) / 60
        if hours + EPS < p.day_hours_min:
            out.append(Shortfall("day_hours", day, p.day_hours_min, hours))
    week = load.week_minutes / 60
    if week + EPS < p.week_hours_min:
        out.append(Shortfall("week_hours", None, p.week_hours_min, week))
    for t in program.session_types:
        need = weekly_min(p, t)
        if load.type_week.get(t.name, 0) < need:
            out.append(Shortfall(t.name, None, need, load.type_week.get(t.name, 0)))
    return out


def _unmet_key(requirement: str, day: int | None) -> tuple[str, int | None]:
    req = requirement.strip().casefold()
    return req, day if req == "day_hours" else None


def _describe_requirement(req: str, day: int | None) -> str:
    if req == "day_hours":
        return f"day_hours on {day_name(day)}" if day is not None else "day_hours"
    return req


def check_requirements(ix: Index, unmet: list[Unmet]) -> list[Violation]:
    listed = {(u.participant_id, *_unmet_key(u.requirement, u.day)) for u in unmet}
    out = []
    for p in ix.program.participants:
        pid = p.participant_id
        for sf in shortfalls_of(ix.program, p, ix.load(pid)):
            if (pid, *_unmet_key(sf.requirement, sf.day)) in listed:
                continue
            day = day_name(sf.day) if sf.day is not None else ""
            out.append(violation("requirement", f"{pid} falls short of "
                          f"{_describe_requirement(sf.requirement, sf.day)}: scheduled "
                          f"{number_text(sf.scheduled)}, required {number_text(sf.required)}, and sheet Unmet does "
                          "not list it", participant_id=pid, day=day))
    return out


# --- consistency of the workbook with itself -----------------------------------------------------


def check_consistency(ix: Index, schedule: Schedule) -> list[Violation]:
    return _sessions_consistency(ix, schedule) + _unmet_consistency(ix, schedule.unmet) \
        + _summary_consistency(ix, schedule.summary)


def _sessions_consistency(ix: Index, schedule: Schedule) -> list[Violation]:
    out = []
    for s in ix.sessions:
        for pid, n in Counter(s.participants).items():
            if pid not in ix.people:
                out.append(violation("consistency", f"{pid} attends {describe(s)} but is not on sheet "
                              "Participants of the program", participant_id=pid, **ids_of(s)))
            if n > 1:
                out.append(violation("consistency", f"{pid} is listed {n} times in {describe(s)}",
                              participant_id=pid, **ids_of(s)))
        declared = schedule.declared_sizes.get(s.session_id)
        if declared is not None and declared != len(s.participants):
            out.append(violation("consistency", f"{describe(s)} has size {declared} on sheet Sessions but "
                          f"{len(s.participants)} rows on sheet Attendance", **ids_of(s)))
    return out


def _actual(ix: Index, p: Participant, req: str, day: int | None) -> tuple[float, float] | str:
    """(required, scheduled) of one requirement of p, or why there is no such requirement."""
    load = ix.load(p.participant_id)
    if req == "days":
        return p.days_min, len(load.days)
    if req == "day_hours":
        if day is None:
            return "the row names no day"
        if day not in load.days:
            return f"{day_name(day)} is not an attended day, so no daily minimum applies"
        return p.day_hours_min, load.day_minutes.get(day, 0) / 60
    if req == "week_hours":
        return p.week_hours_min, load.week_minutes / 60
    types = {t.name.casefold(): t for t in ix.program.session_types}
    t = types.get(req)
    if t is None:
        return "it is not days, day_hours, week_hours or a session type"
    need = weekly_min(p, t)
    if need == 0:
        return f"{t.name} has no weekly minimum for this participant"
    return need, load.type_week.get(t.name, 0)


def _unmet_consistency(ix: Index, unmet: list[Unmet]) -> list[Violation]:
    out = []
    seen: set[tuple] = set()
    for u in unmet:
        pid = u.participant_id
        day = day_name(u.day) if u.day is not None else ""
        label = f"Unmet row {pid} {u.requirement}" + (f" {day}" if day else "")

        def bad(text: str, pid: str = pid, day: str = day, label: str = label) -> None:
            out.append(violation("consistency", f"{label}: {text}", participant_id=pid, day=day))

        key = (pid, *_unmet_key(u.requirement, u.day))
        if key in seen:
            bad("is listed twice")
            continue
        seen.add(key)
        p = ix.people.get(pid)
        if p is None:
            bad(f"{pid} is not on sheet Participants of the program")
            continue
        actual = _actual(ix, p, key[1], u.day)
        if isinstance(actual, str):
            bad(f"lists a requirement that does not apply: {actual}")
            continue
        required, scheduled = actual
        if scheduled + EPS >= required:
            bad(f"is listed as unmet but is met (scheduled {number_text(scheduled)}, required "
                f"{number_text(required)})")
            continue
        if abs(u.scheduled - scheduled) > UNMET_TOLERANCE:
            bad(f"says scheduled {number_text(u.scheduled)} but the schedule gives {number_text(scheduled)}")
        if abs(u.required - required) > UNMET_TOLERANCE:
            bad(f"says required {number_text(u.required)} but the participant requires {number_text(required)}")
    return out


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _summary_consistency(ix: Index, summary: dict[str, object]) -> list[Violation]:
    fully_met = sum(1 for p in ix.program.participants
                    if not shortfalls_of(ix.program, p, ix.load(p.participant_id)))
    truth = {"participants": len(ix.program.participants), "sessions": len(ix.sessions),
             "participants_fully_met": fully_met}
    out = []
    for key in SUMMARY_COUNTS:
        value = summary.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        number = _as_number(value)
        if number is None:
            out.append(violation("consistency", f"Summary {key} is '{value}', not a number (expected "
                          f"{truth[key]})"))
        elif abs(number - truth[key]) > EPS:
            out.append(violation("consistency", f"Summary {key} is {number_text(number)} but the schedule has "
                          f"{truth[key]}"))
    return out


# --- the Attendance sheet's copies of the session columns ------------------------------------


def check_attendance_sheet(path: Path, schedule: Schedule) -> list[Violation]:
    """Attendance rows whose session_type/day/start/end/staff_id/room_id disagree with Sessions."""
    from iopsched.workbook.parse import CellError, is_blank, parse_day, parse_time, text

    table = _attendance_table(Path(path))
    if table is None:
        return []
    sessions = {s.session_id: s for s in schedule.sessions}
    parsers = {"session_type": (text, lambda s: s.session_type),
               "day": (parse_day, lambda s: s.day), "start": (parse_time, lambda s: s.start),
               "end": (parse_time, lambda s: s.end), "staff_id": (text, lambda s: s.staff_id),
               "room_id": (text, lambda s: s.room_id)}
    show: dict[str, Callable[[Any], str]] = {"day": day_name, "start": hhmm, "end": hhmm}
    out = []
    for row, rec in table.rows:
        s = sessions.get(text(rec.get("session_id")))
        if s is None:
            continue
        pid = text(rec.get("participant_id"))
        wrong = []
        for col, (parse, want) in parsers.items():
            value = rec.get(col)
            if col not in table.columns or is_blank(value):
                continue
            try:
                got = parse(value)
            except CellError:
                wrong.append(f"{col} '{value}' is not understood")
                continue
            if got != want(s):
                fmt: Callable[[Any], str] = show.get(col, str)
                wrong.append(f"{col} {fmt(got)} (Sessions: {fmt(want(s))})")
        if wrong:
            out.append(violation("consistency", f"Attendance row {row} ({pid} in {s.session_id}) "
                          f"disagrees with sheet Sessions: {'; '.join(wrong)}",
                          participant_id=pid, **ids_of(s)))
    return out


def _attendance_table(path: Path):
    """Only the Attendance sheet (the human sheets of a big schedule take seconds to read).

    Called after `read_schedule` has read and vetted the same file.
    """
    from iopsched.errors import InputError
    from iopsched.workbook.tables import norm, read_tables, table_of_rows

    if path.is_dir() or path.suffix.lower() not in (".xlsx", ".xlsm"):
        return read_tables(path).get("attendance")
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_vba=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise InputError(f"{path}: cannot read the workbook ({exc.__class__.__name__})") from None
    try:
        for ws in wb.worksheets:
            if norm(ws.title) == "attendance":
                return table_of_rows(str(path), ws.title, ws.iter_rows(values_only=True))
    finally:
        wb.close()
    return None



# --- referrals (issue 19) ----------------------------------------------------------------------


def admitted(program: Program, schedule: Schedule) -> Program:
    """The program of the week: a referral with a session in the schedule is admitted, so a
    participant of the week (checked by every rule like the others); the rest stay out."""
    if not program.referrals:
        return program
    attending = {pid for s in schedule.sessions for pid in s.participants}
    admitted = tuple(r.participant for r in program.referrals if r.referral_id in attending)
    return replace(program, participants=program.participants + admitted, referrals=())


def check_referrals(program: Program, ix: Index, schedule: Schedule) -> list[Violation]:
    """An admitted referral (one with any session) is fully met; a referral on the Waitlist has
    no session; the Waitlist names referrals only, each once."""
    out = []
    referrals = {r.referral_id: r for r in program.referrals}
    for rid in sorted(referrals):
        if rid not in ix.by_participant:
            continue
        p = ix.people[rid]
        for sf in shortfalls_of(ix.program, p, ix.load(rid)):
            day = day_name(sf.day) if sf.day is not None else ""
            out.append(violation("referral", f"referral {rid} is admitted (has sessions) but falls short of "
                          f"{_describe_requirement(sf.requirement, sf.day)}: scheduled {number_text(sf.scheduled)}, "
                          f"required {number_text(sf.required)}; an admitted referral must be fully met",
                          participant_id=rid, day=day))
    listed: Counter = Counter()
    for w in schedule.waitlist or []:
        listed[w.referral_id] += 1
        if w.referral_id not in referrals:
            out.append(violation("referral", f"Waitlist row {w.referral_id}: not on sheet Referrals of the program",
                          participant_id=w.referral_id))
        elif w.referral_id in ix.by_participant:
            first = ix.by_participant[w.referral_id][0]
            out.append(violation("referral", f"referral {w.referral_id} is on the Waitlist but attends "
                          f"{describe(first)}", participant_id=w.referral_id, **ids_of(first)))
    for rid, n in sorted(listed.items()):
        if n > 1:
            out.append(violation("referral", f"referral {rid} is on the Waitlist {n} times", participant_id=rid))
    return out
