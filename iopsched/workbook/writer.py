"""Write a `Schedule` to the schedule workbook (WORKBOOK.md "Output").

Machine sheets (Summary, Sessions, Attendance, Unmet, and Waitlist when the program has
referrals: one row per record, header in row 1) come first, then sheets for people: a weekly grid, a weekly view per
participant, per staff member and per room, and group rosters. Participants appear by
id; names only with `show_names`. The file is written atomically (temp file + rename).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from iopsched.domain import Program, day_name, hhmm
from iopsched.schedule import (
    ATTENDANCE_COLUMNS,
    SESSIONS_COLUMNS,
    UNMET_COLUMNS,
    WAITLIST_COLUMNS,
    Schedule,
    Session,
)
from iopsched.workbook.safe_io import append_row, atomic_path, set_cell

PALETTE = ("DCE9F7", "FCE4D6", "E2EFDA", "FFF2CC", "EADCF2", "D9F2F2", "F8D7DA", "E7E6E6", "DDEBF7", "FBE5D6")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")


def type_colours(program: Program) -> dict[str, str]:
    return {t.name: PALETTE[i % len(PALETTE)] for i, t in enumerate(program.session_types)}


@dataclass(frozen=True)
class ComplianceTables:
    """What the schedule workbook shows of the compliance report (`report.files.compliance_tables`):
    `compliance.*` Summary rows, the Compliance sheet, and a line per participant id for
    "By participant"."""

    summary: dict[str, object]
    columns: tuple[str, ...]
    rows: list[dict]
    notes: dict[str, str]


def write_schedule(schedule: Schedule, program: Program, path: Path, *, show_names: bool = False,
                   compliance: ComplianceTables | None = None) -> None:
    """Write the schedule workbook; `compliance` adds the Compliance sheet, its Summary rows
    and its line under each participant in "By participant"."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    summary = dict(schedule.summary)
    if compliance is not None:
        summary |= compliance.summary
    write_table(ws, ("key", "value"), [{"key": k, "value": v} for k, v in summary.items()], widths=(30, 70))
    write_table(wb.create_sheet("Sessions"), SESSIONS_COLUMNS, [s.row() for s in _ordered(schedule.sessions)])
    write_table(wb.create_sheet("Attendance"), ATTENDANCE_COLUMNS, schedule.attendance_rows())
    write_table(wb.create_sheet("Unmet"), UNMET_COLUMNS, [u.row() for u in schedule.unmet],
           widths=(14, 22, 6, 10, 10, 100))
    if schedule.waitlist is not None:  # the program has referrals: those who could not start
        write_table(wb.create_sheet("Waitlist"), WAITLIST_COLUMNS, [w.row() for w in schedule.waitlist],
                    widths=(6, 14, 9, 14, 120))
    notes: dict[str, str] = {}
    if compliance is not None:
        write_table(wb.create_sheet("Compliance"), compliance.columns, compliance.rows)
        notes = compliance.notes
    colours = type_colours(program)
    names = {p.participant_id: p.name for p in program.participants} if show_names else {}
    _week_grid(wb.create_sheet("Week"), schedule, program, colours)
    _people_view(wb.create_sheet("By participant"), schedule, program, colours, names, notes)
    _staff_view(wb.create_sheet("By staff"), schedule, program, colours)
    _room_view(wb.create_sheet("By room"), schedule, program, colours)
    _rosters(wb.create_sheet("Rosters"), schedule, names)
    if schedule.suggestions:
        write_table(wb.create_sheet("Suggestions"), ("suggestion",),
               [{"suggestion": text} for text in schedule.suggestions], widths=(140,))
    with atomic_path(path) as tmp:
        wb.save(tmp)


def _ordered(sessions: list[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (s.day, s.start, s.session_type, s.session_id))


def _printable(ws, landscape: bool = True) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.oddFooter.center.text = "Confidential: protected health information. Page &P of &N"


def _header(ws, row: int, values, widths=None) -> None:
    for j, v in enumerate(values, start=1):
        c = set_cell(ws, row, j, v)
        c.font = HEADER_FONT
        c.fill = HEADER_FILL
        c.border = BOX
    if widths:
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w


def write_table(ws, columns, rows, widths=None) -> None:
    _header(ws, 1, columns, widths or [max(10, len(c) + 4) for c in columns])
    for i, r in enumerate(rows, start=2):  # below the header
        append_row(ws, [r.get(c, "") for c in columns], row=i)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    ws.print_title_rows = "1:1"
    _printable(ws)


def _label(s: Session, who: str) -> str:
    return f"{hhmm(s.start)}-{hhmm(s.end)} {s.session_type}\n{who}"


def _week_grid(ws, schedule: Schedule, program: Program, colours) -> None:
    """Days across, times down; each cell lists the sessions starting in that slot."""
    r = program.rules
    days = sorted(set(r.days) | {s.day for s in schedule.sessions})
    _header(ws, 1, ["time"] + [day_name(d) for d in days], [8] + [34] * len(days))
    starting: dict[tuple[int, int], list[Session]] = defaultdict(list)
    for s in _ordered(schedule.sessions):
        starting[s.day, s.start].append(s)
    for i, t in enumerate(range(r.open, r.close, r.slot_minutes), start=2):
        set_cell(ws, i, 1, hhmm(t)).font = HEADER_FONT
        for j, d in enumerate(days, start=2):
            here = starting.get((d, t), [])
            if not here:
                continue
            text = "\n".join(
                f"{s.session_type} {hhmm(s.start)}-{hhmm(s.end)} · {_leaders(s)} · {s.room_id}"
                + (f" · {s.size}" if s.kind == "group" else "")
                for s in here
            )
            c = set_cell(ws, i, j, text)
            c.alignment = WRAP
            c.border = BOX
            c.fill = PatternFill("solid", fgColor=colours.get(here[0].session_type, "FFFFFF"))
            ws.row_dimensions[i].height = max(ws.row_dimensions[i].height or 15, 15 * len(here))
    ws.freeze_panes = "B2"
    ws.print_title_rows = "1:1"
    _printable(ws)


def _leaders(s: Session) -> str:
    """`S01`, or `S01 + S07` for a co-led session (leader, then co-leader)."""
    return " + ".join(s.staff_ids)


def _section_view(ws, title_of, sessions_by_key, days, colours, who_of, notes=None) -> None:
    """One block per key: a title row, then a row with the week's sessions per day (and,
    with `notes`, a row of figures below the title). `who_of(session, key)` is a box's last line."""
    widths = [16] + [30] * len(days)
    row = 1
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    for key in sorted(sessions_by_key):
        sessions = _ordered(sessions_by_key[key])
        _header(ws, row, [title_of(key)] + [day_name(d) for d in days])
        if notes and notes.get(key):
            row += 1
            c = set_cell(ws, row, 1, notes[key])
            c.alignment = Alignment(wrap_text=True, vertical="top")
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(days) + 1)
            ws.row_dimensions[row].height = 30
        per_day: dict[int, list[Session]] = defaultdict(list)
        for s in sessions:
            per_day[s.day].append(s)
        depth = max((len(v) for v in per_day.values()), default=0)
        for k in range(depth):
            row += 1
            set_cell(ws, row, 1, "")
            for j, d in enumerate(days, start=2):
                if k < len(per_day.get(d, [])):
                    s = per_day[d][k]
                    c = set_cell(ws, row, j, _label(s, who_of(s, key)))
                    c.alignment = WRAP
                    c.border = BOX
                    c.fill = PatternFill("solid", fgColor=colours.get(s.session_type, "FFFFFF"))
            ws.row_dimensions[row].height = 30
        row += 2
    _printable(ws)


def _people_view(ws, schedule, program, colours, names, notes=None) -> None:
    by: dict[str, list[Session]] = {p.participant_id: [] for p in program.participants}
    for s in schedule.sessions:
        for pid in s.participants:
            by.setdefault(pid, []).append(s)
    days = sorted(program.rules.days)
    _section_view(ws, lambda k: f"{k} — {names[k]}" if names.get(k) else k, by, days, colours,
                  lambda s, _k: f"{_leaders(s)} · {s.room_id}", notes)


def _staff_view(ws, schedule, program, colours) -> None:
    """Each staff member's week: the sessions they lead and those they co-lead (marked)."""
    by: dict[str, list[Session]] = {s.staff_id: [] for s in program.staff}
    for s in schedule.sessions:
        for sid in dict.fromkeys(s.staff_ids):
            by.setdefault(sid, []).append(s)

    def who(s: Session, sid: str) -> str:
        mark = f"co-leader with {s.staff_id} · " if s.role_of(sid) == "co-leader" else ""
        return f"{mark}{s.room_id} · {s.size} participant{'s' if s.size != 1 else ''}"

    _section_view(ws, str, by, sorted(program.rules.days), colours, who)


def _room_view(ws, schedule, program, colours) -> None:
    by: dict[str, list[Session]] = {r.room_id: [] for r in program.rooms}
    for s in schedule.sessions:
        by.setdefault(s.room_id, []).append(s)
    _section_view(ws, str, by, sorted(program.rules.days), colours, lambda s, _k: f"{_leaders(s)} · {s.size}")


def _rosters(ws, schedule, names) -> None:
    cols = ("session_id", "session_type", "day", "time", "staff_id", "room_id", "size", "participants",
            "co_leader_id")
    _header(ws, 1, cols, (14, 24, 6, 13, 10, 10, 6, 80, 12))
    row = 2  # below the header
    for s in _ordered(schedule.sessions):
        if s.kind != "group":
            continue
        people = ", ".join(f"{p} ({names[p]})" if names.get(p) else p for p in s.participants)
        append_row(ws, [s.session_id, s.session_type, day_name(s.day), f"{hhmm(s.start)}-{hhmm(s.end)}",
                        s.staff_id, s.room_id, s.size, people, s.co_leader_id or ""], row=row)
        row += 1
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    _printable(ws)
