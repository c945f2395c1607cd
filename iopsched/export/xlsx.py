"""Excel timetables: one workbook per person, or one workbook with a sheet per person.

Each sheet: a title (program, person, week), then a frozen header row and one row per
session in time order. It prints landscape, fitted to the page width, with the header
repeated on every page. Formula-like text is always stored as text (safe_io.set_cell).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from iopsched.domain import day_name, hhmm
from iopsched.export.paths import sheet_titles
from iopsched.export.people import STAFF, Page, Person
from iopsched.workbook.safe_io import atomic_path, set_cell

HEADER_ROW = 4
PARTICIPANT_COLUMNS = (("Day", 6), ("Date", 12), ("Start", 7), ("End", 7), ("Session", 30),
                       ("Kind", 12), ("Room", 16), ("Leader", 24))
STAFF_COLUMNS = (("Day", 6), ("Date", 12), ("Start", 7), ("End", 7), ("Session", 30),
                 ("Kind", 12), ("Room", 16), ("Size", 6), ("Participants", 60), ("Session id", 16),
                 ("Role", 10))  # Role: leader or co-leader (issue 19)
HEADER_FILL = PatternFill("solid", fgColor="DDE1E6")
TAB_COLOURS = {STAFF: "4A6FA5", "participant": "5E9E6E"}


def fill_sheet(ws: Worksheet, person: Person, page: Page) -> None:
    staff = person.role == STAFF
    columns = STAFF_COLUMNS if staff else PARTICIPANT_COLUMNS
    set_cell(ws, 1, 1, f"{page.program_name} \u2013 {person.label}").font = Font(bold=True, size=14)
    set_cell(ws, 2, 1, f"Week {page.date_range()} \u00b7 times in {page.week.tz.key} \u00b7 "
                       f"{person.stats}")
    for j, (title, width) in enumerate(columns, start=1):
        c = set_cell(ws, HEADER_ROW, j, title)
        c.font, c.fill = Font(bold=True), HEADER_FILL
        ws.column_dimensions[get_column_letter(j)].width = width
    row = HEADER_ROW
    for e in person.entries:
        s = e.session
        row += 1
        values: list[object] = [day_name(s.day), e.start.date(), hhmm(s.start), hhmm(s.end),
                                s.session_type, s.kind, s.room_id]
        if staff:
            values += [len(e.roster), ", ".join(e.roster), s.session_id,
                       "co-leader" if e.co_leading else "leader"]
        else:
            values.append(e.leader)
        for j, v in enumerate(values, start=1):
            c = set_cell(ws, row, j, v)
            c.alignment = Alignment(vertical="top", wrap_text=True)
        ws.cell(row, 2).number_format = "yyyy-mm-dd"
        colour = page.colour(s.session_type).lstrip("#").upper()
        ws.cell(row, 5).fill = PatternFill("solid", fgColor=colour)
    if not person.entries:
        set_cell(ws, HEADER_ROW + 1, 1, "No sessions scheduled this week.")
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.sheet_properties.tabColor = TAB_COLOURS.get(person.role)
    ws.print_options.gridLines = True
    ws.oddFooter.left.text = "Confidential: protected health information"
    ws.oddFooter.right.text = "Page &P of &N"


def _workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "iopsched"
    return wb


def write_person_workbook(person: Person, page: Page, target: Path) -> None:
    wb = _workbook()
    fill_sheet(wb.create_sheet(sheet_titles([person.person_id])[0]), person, page)
    with atomic_path(target) as tmp:
        wb.save(tmp)


def write_single_workbook(people: Sequence[Person], page: Page, target: Path,
                          titles: dict[tuple[str, str], str]) -> None:
    """One workbook, a sheet per person (titles by (role, id)), staff first."""
    wb = _workbook()
    for person in people:
        fill_sheet(wb.create_sheet(titles[person.role, person.person_id]), person, page)
    if not people:
        wb.create_sheet("Timetables")
    with atomic_path(target) as tmp:
        wb.save(tmp)
