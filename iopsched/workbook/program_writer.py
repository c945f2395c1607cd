"""Write a program input workbook (the contract of WORKBOOK.md) from plain rows.

`sheets` maps a sheet name to a list of row dicts. Sheets are written in the
contract's order (Staff, StaffAvailability, Rooms, SessionTypes, Participants,
Commitments, Pinned), every contract column in the contract's order (then any
extra keys, in order of first appearance), one row per dict. A contract sheet that
is missing from `sheets` is written with its header only.

Cell values: `datetime.time` -> "HH:MM" text, lists/tuples/sets -> "a, b" text,
booleans -> "yes"/"no", None or "" -> an empty cell; numbers stay numbers. Files
are written beside the target and renamed into place (an interrupted run leaves
the previous file intact).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path

from iopsched.workbook.safe_io import atomic_path, neutralise, set_cell, write_text_atomic

# sheet -> columns, in the contract's order (WORKBOOK.md, "Input 1")
CONTRACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "Staff": ("staff_id", "name", "roles", "max_hours_week", "max_hours_day"),
    "StaffAvailability": ("staff_id", "day", "start", "end"),
    "Rooms": ("room_id", "capacity", "kinds"),
    "SessionTypes": (
        "session_type", "kind", "minutes", "staff_role", "min_size", "max_size", "tracks",
        "tags_required", "weekly_min", "weekly_max", "daily_max", "counts_toward_hours",
        "co_leader_role",
    ),
    "Participants": (
        "participant_id", "name", "track", "tags", "level", "days_min", "days_max",
        "day_hours_min", "day_hours_max", "week_hours_min", "week_hours_max", "preferred_time",
        "preferred_days", "primary_therapist", "needs_medication", "family_sessions",
        "start_date", "end_date", "certified_until",
    ),
    "Commitments": ("participant_id", "day", "start", "end", "reason"),
    "Pinned": ("session_type", "day", "start", "staff_id", "room_id", "participants"),
}
TIME_COLUMNS = {"start", "end"}


def cell_value(value: object) -> object:
    """A row value as it is stored in a program workbook cell."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        value = value.time()
    if isinstance(value, dt.time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return ", ".join(str(x) for x in items) or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def sheet_columns(sheet: str, rows: Iterable[dict]) -> list[str]:
    """Header of a sheet: the contract's columns, then extra keys in order of appearance."""
    columns = list(CONTRACT_COLUMNS.get(sheet, ()))
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    return columns


def ordered_sheets(sheets: dict[str, list[dict]]) -> list[tuple[str, list[str], list[dict]]]:
    """(sheet, header, rows) in the contract's sheet order, extra sheets last."""
    names = list(CONTRACT_COLUMNS) + [s for s in sheets if s not in CONTRACT_COLUMNS]
    out = []
    for name in names:
        rows = list(sheets.get(name, []))
        out.append((name, sheet_columns(name, rows), rows))
    return out


def write_program_workbook(path: Path, sheets: dict[str, list[dict]]) -> Path:
    """Write the program workbook (.xlsx) atomically; returns the path written."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for name, header, rows in ordered_sheets(sheets):
        ws = wb.create_sheet(name)
        for j, col in enumerate(header, start=1):
            set_cell(ws, 1, j, col).font = bold
        for i, row in enumerate(rows, start=2):
            for j, col in enumerate(header, start=1):
                cell = set_cell(ws, i, j, cell_value(row.get(col)))
                if col in TIME_COLUMNS:
                    cell.number_format = "@"  # keep "09:00" text when edited in Excel
        ws.freeze_panes = "A2"
        for j, col in enumerate(header, start=1):
            width = max([len(col)] + [len(str(cell_value(r.get(col)) or "")) for r in rows])
            ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 50)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def write_program_csv_folder(folder: Path, sheets: dict[str, list[dict]]) -> Path:
    """Write one `<Sheet>.csv` (UTF-8, header row) per sheet into `folder`; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, header, rows in ordered_sheets(sheets):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            values = [cell_value(row.get(col)) for col in header]
            writer.writerow(["" if v is None else neutralise(v) for v in values])
        write_text_atomic(folder / f"{name}.csv", buf.getvalue())
    return folder
