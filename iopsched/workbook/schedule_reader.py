"""Read a schedule workbook's machine sheets (Sessions, Attendance, Unmet, Summary, and Waitlist
when there is one) into a `Schedule`.

Used by the validator, the exporters, `diff` and `--previous`. Works on files written by
iopsched or edited by hand: sheet and column names match case-insensitively, every
problem is reported with its sheet, row and column.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from iopsched.errors import InputError, Problem
from iopsched.schedule import Schedule, Session, Unmet, Waitlisted
from iopsched.workbook.parse import (
    CellError,
    is_blank,
    parse_bool,
    parse_date,
    parse_day,
    parse_number,
    parse_time,
    text,
)
from iopsched.workbook.tables import read_tables

REQUIRED_COLUMNS = {
    "Sessions": ("session_id", "session_type", "day", "start", "end", "staff_id", "room_id"),
    "Attendance": ("participant_id", "session_id"),
}


def read_schedule(path: Path) -> Schedule:
    """The machine sheets of a schedule workbook. Raises InputError naming every problem."""
    path = Path(path)
    tables = read_tables(path)
    tables.pop("__notes__", None)
    sheets = _ScheduleSheets(tables, str(path))
    sheets.require_columns()
    raw_sessions = sheets.sessions()
    members = sheets.attendance(raw_sessions)
    unmet = sheets.unmet()
    waitlist = sheets.waitlist()
    summary = sheets.summary()
    if sheets.problems:
        raise InputError(sheets.problems)
    sessions = []
    for sid, s in raw_sessions.items():
        if None in (s["day"], s["start"], s["end"]):
            continue
        sessions.append(Session(sid, s["session_type"], s["kind"], s["day"], s["start"], s["end"], s["staff_id"],
                                s["room_id"], tuple(members.get(sid, ())), bool(s["pinned"]),
                                s["co_leader_id"] or None))
    return Schedule(
        sessions=sessions, unmet=unmet, summary=summary, waitlist=waitlist,
        declared_sizes={sid: s["size"] for sid, s in raw_sessions.items()},
        source_rows={sid: s["row"] for sid, s in raw_sessions.items()},
    )


class _ScheduleSheets:
    """A schedule workbook's tables read sheet by sheet; every problem kept, in order."""

    def __init__(self, tables: dict, file: str):
        self.tables, self.file = tables, file
        self.problems: list[Problem] = []

    def require_columns(self) -> None:
        """Sessions and Attendance with their columns (raises at once: nothing else reads without)."""
        for sheet, cols in REQUIRED_COLUMNS.items():
            t = self.tables.get(sheet.lower())
            if t is None:
                self.problems.append(Problem(f"sheet '{sheet}' is missing", file=self.file,
                                             expected="a schedule workbook written by iopsched solve"))
                continue
            for c in cols:
                if c not in t.columns:
                    self.problems.append(Problem(f"required column '{c}' is missing", file=self.file, sheet=sheet,
                                                 row=1))
        if self.problems:
            raise InputError(self.problems)

    def cell(self, sheet, row, rec, col, parser, default=None, required=True):
        v = rec.get(col)
        if is_blank(v):
            if required:
                self.problems.append(Problem("required value is blank", file=self.file, sheet=sheet, row=row,
                                             column=col))
            return default
        try:
            return parser(v)
        except CellError as exc:
            self.problems.append(Problem("not understood", file=self.file, sheet=sheet, row=row, column=col,
                                         value=v, expected=exc.expected))
            return default

    def sessions(self) -> dict[str, dict]:
        cell = self.cell
        raw_sessions: dict[str, dict] = {}
        for row, r in self.tables["sessions"].rows:
            sid = cell("Sessions", row, r, "session_id", text)
            if sid is None:
                continue
            if sid in raw_sessions:
                self.problems.append(Problem("duplicate session_id", file=self.file, sheet="Sessions", row=row,
                                             column="session_id", value=sid))
                continue
            raw_sessions[sid] = dict(
                session_type=cell("Sessions", row, r, "session_type", text, ""),
                kind=cell("Sessions", row, r, "kind", lambda v: text(v).lower(), "", required=False),
                day=cell("Sessions", row, r, "day", parse_day),
                start=cell("Sessions", row, r, "start", parse_time),
                end=cell("Sessions", row, r, "end", parse_time),
                staff_id=cell("Sessions", row, r, "staff_id", text, ""),
                room_id=cell("Sessions", row, r, "room_id", text, ""),
                pinned=cell("Sessions", row, r, "pinned", parse_bool, False, required=False),
                size=cell("Sessions", row, r, "size", lambda v: parse_number(v, integer=True), None, required=False),
                # optional (issue 19): schedules written before co-led types have no such column
                co_leader_id=cell("Sessions", row, r, "co_leader_id", text, None, required=False),
                row=row,
            )
        return raw_sessions

    def attendance(self, raw_sessions: dict[str, dict]) -> dict[str, list[str]]:
        members: dict[str, list[str]] = defaultdict(list)
        for row, r in self.tables["attendance"].rows:
            pid = self.cell("Attendance", row, r, "participant_id", text)
            sid = self.cell("Attendance", row, r, "session_id", text)
            if pid is None or sid is None:
                continue
            if sid not in raw_sessions:
                self.problems.append(Problem("session_id not in sheet Sessions", file=self.file, sheet="Attendance",
                                             row=row, column="session_id", value=sid))
                continue
            members[sid].append(pid)
        return members

    def unmet(self) -> list[Unmet]:
        cell = self.cell
        unmet: list[Unmet] = []
        t = self.tables.get("unmet")
        if t is not None:
            for row, r in t.rows:
                pid = cell("Unmet", row, r, "participant_id", text)
                req = cell("Unmet", row, r, "requirement", text)
                day = cell("Unmet", row, r, "day", parse_day, None, required=False)
                required = cell("Unmet", row, r, "required", lambda v: parse_number(v, minimum=None), 0)
                scheduled = cell("Unmet", row, r, "scheduled", lambda v: parse_number(v, minimum=None), 0)
                if pid is not None and req is not None:
                    unmet.append(Unmet(pid, req, required, scheduled, text(r.get("reason")), day))
        return unmet

    def waitlist(self) -> list[Waitlisted] | None:
        """Referrals who could not start (a program with referrals; None: no Waitlist sheet)."""
        cell = self.cell
        t = self.tables.get("waitlist")
        if t is None:
            return None
        waitlist = []
        for row, r in t.rows:
            rid = cell("Waitlist", row, r, "referral_id", text)
            rank = cell("Waitlist", row, r, "rank", lambda v: parse_number(v, integer=True), 0, required=False)
            priority = cell("Waitlist", row, r, "priority", lambda v: parse_number(v, integer=True), 0,
                            required=False)
            date = cell("Waitlist", row, r, "referral_date", parse_date, None, required=False)
            if rid is not None:
                waitlist.append(Waitlisted(int(rank), rid, int(priority), date or dt.date.min,
                                           text(r.get("reason"))))
        return waitlist

    def summary(self) -> dict[str, object]:
        summary: dict[str, object] = {}
        t = self.tables.get("summary")
        if t is not None:
            for _, r in t.rows:
                key = text(r.get("key"))
                if key:
                    summary[key] = r.get("value")
        return summary
