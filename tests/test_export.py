"""`iopsched export`: per-person calendar files, printable pages and workbooks.

A small schedule workbook (and, for names, a program workbook) is written with openpyxl
in tmp_path; every format is exported, then what was written is opened and checked
against the schedule: dates and time zone of events, cells, escaping, privacy, paths.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from iopsched.errors import IopschedError
from iopsched.export import export_schedule, parse_formats, parse_who, run_export
from iopsched.export.grid import layout
from iopsched.export.paths import safe_stem, sheet_titles, unique_stems
from iopsched.export.people import (
    PARTICIPANT,
    STAFF,
    Directory,
    build_people,
    make_page,
    week_start,
)
from iopsched.schedule import (
    ATTENDANCE_COLUMNS,
    SESSIONS_COLUMNS,
    UNMET_COLUMNS,
    Schedule,
    Session,
    Unmet,
)
from iopsched.workbook.config import load_config
from iopsched.workbook.safe_io import append_row

ROOT = Path(__file__).resolve().parent.parent
MONDAY = dt.date(2024, 6, 3)  # summer time in New York: UTC-4
SCRIPT = '<script>alert("x")</script>'
XSS_TYPE = f"Relapse Prevention {SCRIPT}"
FORMULA_TYPE = '=HYPERLINK("http://evil.example","click")'

# ids chosen so that none is a substring of another
PARTICIPANTS = {"PA-alpha": "Alice Anders", "PB-bravo": "Bruno Brandt",
                "PC-charlie": "Chen Cho", "PD-delta": "Dora Diaz"}
STAFF_NAMES = {"SX-one": "Dr Xavier Ox", "SY-two": "Yara Young", "SZ-three": "Zoe Zed"}
TRIO = ("PA-alpha", "PB-bravo", "PC-charlie")


def H(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def sessions() -> list[Session]:
    def s(sid, stype, kind, day, start, end, staff, room, who):
        return Session(sid, stype, kind, day, H(start), H(end), staff, room, tuple(who))

    return [
        s("Mon-0900-01", "Process Group", "group", 0, "09:00", "10:00", "SX-one", "Room A", TRIO),
        s("Mon-1000-01", XSS_TYPE, "group", 0, "10:00", "11:00", "SX-one", "Room A", TRIO[:2]),
        s("Mon-1100-01", "Individual Therapy", "individual", 0, "11:00", "11:50", "SY-two",
          "Office 1", ("PA-alpha",)),
        s("Tue-0900-01", "Process Group", "group", 1, "09:00", "10:00", "SX-one", "Room A", TRIO),
        s("Tue-1000-01", FORMULA_TYPE, "group", 1, "10:00", "11:00", "SY-two", "=cmd|' /C calc'!A0",
          ("PB-bravo", "PC-charlie")),
        s("Wed-1800-01", "DBT Skills", "group", 2, "18:00", "19:30", "SZ-three", "Room B",
          ("PB-bravo", "PC-charlie")),
        s("Thu-0900-01", "Process Group", "group", 3, "09:00", "10:00", "SX-one", "Room A", TRIO),
        s("Thu-1000-01", "Medication Management", "medication", 3, "10:00", "10:30", "SZ-three",
          "Office 2", ("PB-bravo",)),
    ]


SESSION_TYPES = [  # session_type, kind, minutes, staff_role, min_size, max_size
    ("Process Group", "group", 60, "counselor", 2, 12),
    (XSS_TYPE, "group", 60, "counselor", 2, 12),
    ("Individual Therapy", "individual", 60, "therapist", 1, 1),
    (FORMULA_TYPE, "group", 60, "therapist", 2, 12),
    ("DBT Skills", "group", 90, "counselor", 2, 12),
    ("Medication Management", "medication", 30, "prescriber", 1, 1),
]


def write_schedule(path: Path, schedule: Schedule) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Summary"
    for row in (("key", "value"), ("status", "OPTIMAL"), ("sessions", len(schedule.sessions))):
        append_row(ws, row)
    for title, columns, rows in (
        ("Sessions", SESSIONS_COLUMNS, [s.row() for s in schedule.sessions]),
        ("Attendance", ATTENDANCE_COLUMNS, schedule.attendance_rows()),
        ("Unmet", UNMET_COLUMNS, [u.row() for u in schedule.unmet]),
    ):
        sheet = wb.create_sheet(title)
        append_row(sheet, columns)
        for r in rows:
            append_row(sheet, [r[c] for c in columns])
    wb.save(path)
    return path


def write_program(path: Path) -> Path:
    wb = openpyxl.Workbook()
    sheets = {
        "Staff": [("staff_id", "name", "roles"),
                  ("SX-one", STAFF_NAMES["SX-one"], "counselor"),
                  ("SY-two", STAFF_NAMES["SY-two"], "therapist, counselor"),
                  ("SZ-three", STAFF_NAMES["SZ-three"], "prescriber, counselor"),
                  ("SQ-idle", "", "counselor")],
        "StaffAvailability": [("staff_id", "day", "start", "end")]
        + [(sid, day, "08:00", "21:00") for sid in STAFF_NAMES for day in ("Mon", "Tue", "Wed",
                                                                             "Thu", "Fri")],
        "Rooms": [("room_id", "capacity", "kinds"), ("Room A", 12, "group"),
                  ("Office 1", 2, "individual, family, medication")],
        "SessionTypes": [("session_type", "kind", "minutes", "staff_role", "min_size", "max_size"), *SESSION_TYPES],
        "Participants": [("participant_id", "name", "track")]
        + [(pid, name, "SUD") for pid, name in PARTICIPANTS.items()],
        "Commitments": [("participant_id", "day", "start", "end", "reason")],
    }
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            append_row(ws, r)
    wb.save(path)
    return path


@pytest.fixture
def schedule() -> Schedule:
    unmet = [Unmet("PD-delta", "days", 3, 0, "works Mon-Fri 08:00-21:00")]
    return Schedule(sessions=sessions(), unmet=unmet)


@pytest.fixture
def schedule_file(tmp_path: Path, schedule: Schedule) -> Path:
    return write_schedule(tmp_path / "schedule.xlsx", schedule)


@pytest.fixture
def program_file(tmp_path: Path) -> Path:
    return write_program(tmp_path / "program.xlsx")


def export(schedule_file: Path, out: Path, **kw) -> object:
    kw.setdefault("formats", "ics,html,xlsx")
    kw.setdefault("week_of", "2024-06-05")  # a Wednesday: the week of Mon 3 June
    return run_export(schedule_file, out, **kw)


def xlsx_text(path: Path) -> str:
    """Every cell value and sheet title of a workbook, one per line."""
    wb = openpyxl.load_workbook(path)
    parts = []
    for ws in wb.worksheets:
        parts.append(ws.title)
        parts += [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    return "\n".join(parts)


def all_text(folder: Path, stem: str) -> str:
    """What a person's ics, html and xlsx files say, as text (xlsx also as raw XML)."""
    text = (folder / f"{stem}.ics").read_text(encoding="utf-8")
    text += (folder / f"{stem}.html").read_text(encoding="utf-8")
    text += xlsx_text(folder / f"{stem}.xlsx")
    with zipfile.ZipFile(folder / f"{stem}.xlsx") as z:
        text += "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return text


def events(path: Path) -> list:
    cal = Calendar.from_ical(path.read_bytes())
    return list(cal.walk("VEVENT"))


# --- options ---------------------------------------------------------------------------------


def test_week_start_any_day_of_the_week_and_default_next_monday():
    assert week_start("2024-06-05", dt.date(2030, 1, 1)) == MONDAY
    assert week_start("2024-06-09", dt.date(2030, 1, 1)) == MONDAY  # Sunday: same ISO week
    assert week_start("2024-06-03", dt.date(2030, 1, 1)) == MONDAY
    assert week_start(None, dt.date(2024, 6, 5)) == dt.date(2024, 6, 10)
    assert week_start(None, dt.date(2024, 6, 3)) == dt.date(2024, 6, 10)  # Monday: the next one
    assert week_start(None, dt.date(2024, 6, 9)) == dt.date(2024, 6, 10)
    with pytest.raises(IopschedError, match="YYYY-MM-DD"):
        week_start("05/06/2024", dt.date(2024, 6, 5))


def test_formats_and_who_are_validated():
    assert parse_formats("ICS, html,,xlsx,ics") == ("ics", "html", "xlsx")
    with pytest.raises(IopschedError) as exc:
        parse_formats("ics,docx")
    assert "'docx'" in str(exc.value) and "ics, html, xlsx, pdf" in str(exc.value)
    with pytest.raises(IopschedError, match="valid formats"):
        parse_formats(" , ")
    assert parse_who("Staff") == (STAFF,)
    assert parse_who("all") == (STAFF, PARTICIPANT)
    with pytest.raises(IopschedError, match="staff, participants, all"):
        parse_who("everyone")


def test_show_names_needs_the_program(schedule_file, tmp_path):
    with pytest.raises(IopschedError, match="--program"):
        export(schedule_file, tmp_path / "out", show_names=True)
    assert not (tmp_path / "out").exists()


# --- layout ----------------------------------------------------------------------------------


def test_folder_layout_and_owner_only_files(schedule_file, tmp_path):
    out = tmp_path / "out"
    result = export(schedule_file, out)
    staff = {"SX-one", "SY-two", "SZ-three"}
    participants = set(PARTICIPANTS)  # PD-delta has no session but an unmet row
    expected = {out / "staff" / f"{i}.{e}" for i in staff for e in ("ics", "html", "xlsx")}
    expected |= {out / "participants" / f"{i}.{e}" for i in participants
                 for e in ("ics", "html", "xlsx")}
    assert set(result.files) == expected
    assert {p for p in out.rglob("*") if p.is_file()} == expected
    assert (result.staff, result.participants) == (3, 4)
    assert all(p.stat().st_mode & 0o077 == 0 for p in expected)
    assert "wrote 21 files for 3 staff and 4 participants" in result.summary()


def test_who_staff_writes_no_participant_files(schedule_file, tmp_path):
    out = tmp_path / "out"
    export(schedule_file, out, who="staff", formats="ics")
    assert not (out / "participants").exists()
    assert sorted(p.name for p in (out / "staff").iterdir()) == [
        "SX-one.ics", "SY-two.ics", "SZ-three.ics"]


# --- iCalendar -------------------------------------------------------------------------------


def test_ics_events_match_the_schedule(schedule_file, schedule, tmp_path):
    out = tmp_path / "out"
    export(schedule_file, out, formats="ics")
    ny = ZoneInfo("America/New_York")
    for pid in TRIO:
        cal = Calendar.from_ical((out / "participants" / f"{pid}.ics").read_bytes())
        assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]
        mine = sorted(schedule.sessions_of(pid), key=lambda s: (s.day, s.start))
        evs = sorted(cal.walk("VEVENT"), key=lambda e: e.decoded("DTSTART"))
        assert len(evs) == len(mine)
        for ev, s in zip(evs, mine, strict=True):
            start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
            assert start.date() == MONDAY + dt.timedelta(days=s.day)
            assert MONDAY <= start.date() <= MONDAY + dt.timedelta(days=6)
            assert start.tzinfo is not None and start.utcoffset() == dt.timedelta(hours=-4)
            assert start.replace(tzinfo=None).time() == dt.time(s.start // 60, s.start % 60)
            assert (end - start) == dt.timedelta(minutes=s.end - s.start)
            assert start.astimezone(ny).hour == s.start // 60
            assert str(ev["SUMMARY"]) == s.session_type
            assert str(ev["LOCATION"]) == s.room_id
            assert f"Leader: {s.staff_id}" in str(ev["DESCRIPTION"])
            assert ev.decoded("DTSTAMP").tzinfo is not None
            assert str(ev["UID"]).endswith("@iopsched")
    # the XSS and formula text stays plain calendar text (no spreadsheet or HTML evaluates it)
    summaries = {str(e["SUMMARY"]) for e in events(out / "participants" / "PB-bravo.ics")}
    assert XSS_TYPE in summaries and FORMULA_TYPE in summaries


def test_ics_staff_rosters_and_stable_uids(schedule_file, tmp_path):
    export(schedule_file, tmp_path / "a", formats="ics")
    export(schedule_file, tmp_path / "b", formats="ics", week_of="2024-06-03")
    export(schedule_file, tmp_path / "c", formats="ics", week_of="2024-06-12")
    evs = events(tmp_path / "a" / "staff" / "SX-one.ics")
    assert len(evs) == 4
    process = [e for e in evs if str(e["SUMMARY"]) == "Process Group"]
    assert all("Participants (3): PA-alpha, PB-bravo, PC-charlie" in str(e["DESCRIPTION"])
               for e in process)
    uids = [str(e["UID"]) for e in evs]
    assert len(set(uids)) == len(uids)
    assert uids == [str(e["UID"]) for e in events(tmp_path / "b" / "staff" / "SX-one.ics")]
    next_week = events(tmp_path / "c" / "staff" / "SX-one.ics")
    assert not set(uids) & {str(e["UID"]) for e in next_week}
    assert {e.decoded("DTSTART").date() for e in next_week} == {
        dt.date(2024, 6, 10), dt.date(2024, 6, 11), dt.date(2024, 6, 13)}


def test_ics_time_zone_and_program_name_from_config(schedule_file, tmp_path):
    config = tmp_path / "iop.toml"
    config.write_text('timezone = "Europe/Berlin"\nprogram_name = "Harbor IOP"\n',
                      encoding="utf-8")
    export(schedule_file, tmp_path / "out", formats="ics,html", config=config,
           week_of="2024-01-10")
    cal = Calendar.from_ical((tmp_path / "out" / "participants" / "PA-alpha.ics").read_bytes())
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert "Harbor IOP" in str(cal["X-WR-CALNAME"])
    first = min(e.decoded("DTSTART") for e in cal.walk("VEVENT"))
    assert first.date() == dt.date(2024, 1, 8)
    assert first.utcoffset() == dt.timedelta(hours=1)  # CET in January
    assert first.astimezone(dt.UTC).hour == 8  # 09:00 Berlin
    html_text = (tmp_path / "out" / "participants" / "PA-alpha.html").read_text(encoding="utf-8")
    assert "Harbor IOP" in html_text and "Europe/Berlin" in html_text
    assert "Mon 8 Jan" in html_text


# --- xlsx ------------------------------------------------------------------------------------


def test_xlsx_per_person_cells_print_setup_and_formula_text(schedule_file, schedule, tmp_path):
    out = tmp_path / "out"
    export(schedule_file, out, formats="xlsx")
    wb = openpyxl.load_workbook(out / "participants" / "PB-bravo.xlsx")
    assert wb.sheetnames == ["PB-bravo"]
    ws = wb["PB-bravo"]
    assert "Participant PB-bravo" in ws["A1"].value
    assert [c.value for c in ws[4]] == ["Day", "Date", "Start", "End", "Session", "Kind", "Room",
                                        "Leader"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5)]
    mine = sorted(schedule.sessions_of("PB-bravo"), key=lambda s: (s.day, s.start))
    assert len(rows) == len(mine)
    for row, s in zip(rows, mine, strict=True):
        assert row[0] == ["Mon", "Tue", "Wed", "Thu"][s.day]
        assert row[1].date() == MONDAY + dt.timedelta(days=s.day)
        assert row[2] == f"{s.start // 60:02d}:{s.start % 60:02d}"
        assert row[4:7] == [s.session_type, s.kind, s.room_id]
        assert row[7] == s.staff_id
    assert ws.freeze_panes == "A5"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    formula_cells = [c for r in ws.iter_rows() for c in r
                     if isinstance(c.value, str) and c.value.startswith("=")]
    assert {c.value for c in formula_cells} == {FORMULA_TYPE, "=cmd|' /C calc'!A0"}
    assert all(c.data_type == "s" for c in formula_cells)
    with zipfile.ZipFile(out / "participants" / "PB-bravo.xlsx") as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere


def test_xlsx_staff_sheet_lists_rosters(schedule_file, tmp_path):
    out = tmp_path / "out"
    export(schedule_file, out, formats="xlsx", who="staff")
    ws = openpyxl.load_workbook(out / "staff" / "SX-one.xlsx")["SX-one"]
    header = [c.value for c in ws[4]]
    assert header[7:9] == ["Size", "Participants"]
    first = [c.value for c in ws[5]]
    assert first[4] == "Process Group" and first[7] == 3
    assert first[8] == "PA-alpha, PB-bravo, PC-charlie"


def test_single_workbook_a_sheet_per_person(schedule_file, tmp_path):
    out = tmp_path / "out"
    result = export(schedule_file, out, formats="xlsx,ics", single_workbook=True)
    book = out / "timetables-all.xlsx"
    assert book in result.files and not list(out.rglob("*/*.xlsx"))
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["SX-one", "SY-two", "SZ-three", *PARTICIPANTS]
    assert wb["PD-delta"]["A5"].value == "No sessions scheduled this week."
    assert (out / "participants" / "PA-alpha.ics").exists()


def test_sheet_titles_respect_excel_rules():
    long_id = "P" * 40
    titles = sheet_titles([long_id, long_id[:31] + "x", "a/b:c*?", "'quoted'", "history", "A1",
                           "a1", ""])
    assert titles[0] == "P" * 31 and titles[1] == "P" * 29 + "~2"
    assert titles[2] == "a_b_c__" and titles[3] == "quoted" and titles[4] == "_history"
    assert titles[5:] == ["A1", "a1~2", "sheet"]
    assert all(len(t) <= 31 for t in titles)


# --- html ------------------------------------------------------------------------------------


def test_html_page_contains_each_session_escaped(schedule_file, schedule, tmp_path):
    out = tmp_path / "out"
    export(schedule_file, out, formats="html")
    for pid in TRIO:
        page = (out / "participants" / f"{pid}.html").read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and "@page { size: landscape" in page
        assert "Intensive Outpatient Program" in page
        assert "Mon 3 Jun \u2013 Fri 7 Jun 2024" in page
        for s in schedule.sessions_of(pid):
            t0 = f"{s.start // 60:02d}:{s.start % 60:02d}"
            assert f"{t0}\u2013" in page
        assert 'class="legend"' in page
        assert "<script" not in page and "src=" not in page and "<link" not in page
    page = (out / "participants" / "PB-bravo.html").read_text(encoding="utf-8")
    assert "Relapse Prevention &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    # formula-like text is shown with a leading quote, so pasting it into a sheet stays text
    assert "&#x27;=HYPERLINK(&quot;http://evil.example&quot;" in page
    assert not re.search(r">\s*=HYPERLINK", page)
    assert "&#x27;=cmd|&#x27; /C calc&#x27;!A0" in page


def test_html_staff_page_has_rosters_and_empty_page_says_so(schedule_file, tmp_path):
    out = tmp_path / "out"
    export(schedule_file, out, formats="html,ics")
    staff = (out / "staff" / "SX-one.html").read_text(encoding="utf-8")
    assert "Rosters" in staff and "PA-alpha, PB-bravo, PC-charlie" in staff
    empty = (out / "participants" / "PD-delta.html").read_text(encoding="utf-8")
    assert "No sessions scheduled this week." in empty
    assert events(out / "participants" / "PD-delta.ics") == []


# --- privacy ---------------------------------------------------------------------------------


def test_participant_files_show_no_other_participant_and_no_names(schedule_file, tmp_path):
    out = tmp_path / "out"
    export(schedule_file, out)
    for pid in PARTICIPANTS:
        text = all_text(out / "participants", pid)
        for other in set(PARTICIPANTS) - {pid}:
            assert other not in text, (pid, other)
        for name in [*PARTICIPANTS.values(), *STAFF_NAMES.values()]:
            assert name not in text
    for sid in STAFF_NAMES:
        text = all_text(out / "staff", sid)
        assert not any(name in text for name in PARTICIPANTS.values())


def test_show_names_with_program(schedule_file, program_file, tmp_path):
    out = tmp_path / "out"
    result = export(schedule_file, out, program=program_file, show_names=True)
    # the program lists an idle staff member: they get an (empty) timetable too
    assert (out / "staff" / "SQ-idle.html").exists() and result.staff == 4
    for pid, name in PARTICIPANTS.items():
        text = all_text(out / "participants", pid)
        assert name in text
        for other in set(PARTICIPANTS) - {pid}:
            assert other not in text and PARTICIPANTS[other] not in text
    alice = (out / "participants" / "PA-alpha.html").read_text(encoding="utf-8")
    assert "with SX-one (Dr Xavier Ox)" in alice
    staff = all_text(out / "staff", "SX-one")
    assert "PA-alpha (Alice Anders)" in staff and "Bruno Brandt" in staff
    assert "Dora Diaz" not in staff  # not in any of SX-one's groups
    # without --show-names the program adds people but no names
    plain = tmp_path / "plain"
    export(schedule_file, plain, program=program_file)
    assert "Alice Anders" not in all_text(plain / "participants", "PA-alpha")
    assert "Dr Xavier Ox" not in all_text(plain / "staff", "SX-one")


def test_people_views_hold_no_roster_for_participants(schedule):
    page = make_page(schedule, load_config(None), None, MONDAY)
    people = build_people(schedule, (STAFF, PARTICIPANT), page, Directory())
    for person in people:
        if person.role == PARTICIPANT:
            assert all(e.roster == () for e in person.entries)
            assert all(person.person_id in e.session.participants for e in person.entries)
        else:
            assert all(e.session.staff_id == person.person_id for e in person.entries)


# --- hostile ids -----------------------------------------------------------------------------


def test_ids_cannot_escape_the_output_folder(tmp_path):
    odd = ["../evil", "../../etc/passwd", "a/b", "/abs", "CON", "P1", "p1", "..", ".hidden",
           "x" * 300]
    schedule = Schedule(sessions=[
        Session(f"S{i}", "Process Group", "group", 0, 540, 600, sid, "Room A", (pid,))
        for i, (sid, pid) in enumerate(zip(["../staff-evil", "st/../../x"] * 5, odd, strict=True))
    ])
    out = tmp_path / "deep" / "out"
    result = export_schedule(schedule, out, ("ics", "html", "xlsx"), MONDAY,
                             (STAFF, PARTICIPANT), load_config(None))
    written = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert written == set(result.files)
    for path in written:
        assert path.resolve().parent in {(out / "staff").resolve(),
                                         (out / "participants").resolve()}
        assert not path.name.startswith(".")
    stems = {p.stem for p in (out / "participants").iterdir()}
    assert len(stems) == len(odd)
    assert len({s.casefold() for s in stems}) == len(odd)  # P1 and p1 differ on any file system
    assert safe_stem("P-001_a.b") == "P-001_a.b"  # ordinary ids keep their spelling
    assert safe_stem("../evil").startswith("evil-") and "/" not in safe_stem("../evil")
    assert safe_stem("CON") != "CON"
    assert unique_stems(["P1", "p1"])["p1"] != "p1"


# --- grid ------------------------------------------------------------------------------------


def test_grid_lanes_for_overlapping_sessions_and_scale():
    clash = Schedule(sessions=[
        Session("a", "Family Session", "family", 3, H("10:00"), H("11:00"), "T", "O1", ("P",)),
        Session("b", "Family Session", "family", 3, H("10:30"), H("11:30"), "T", "O2", ("Q",)),
        Session("c", "Individual Therapy", "individual", 0, H("11:00"), H("11:50"), "T", "O1",
                ("P",)),
    ])
    page = make_page(clash, load_config(None), None, MONDAY)
    staff = build_people(clash, (STAFF,), page, Directory())[0]
    grid = layout(staff, page)
    assert grid is not None
    assert (grid.first, grid.last) == (H("10:00"), H("12:00"))
    assert grid.lanes[3] == 2 and grid.lanes[0] == 1
    assert sorted(p.lane for p in grid.placed if p.day == 3) == [0, 1]
    assert grid.days == (0, 1, 2, 3, 4)


# --- pdf -------------------------------------------------------------------------------------


def test_pdf_one_page_per_participant_rosters_for_staff(schedule_file, tmp_path):
    pytest.importorskip("reportlab")
    out = tmp_path / "out"
    export(schedule_file, out, formats="pdf")
    for path in [*(out / "participants").glob("*.pdf"), *(out / "staff").glob("*.pdf")]:
        data = path.read_bytes()
        assert data.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type /Page\b", data))
        expected = 2 if path.parent.name == "staff" else 1
        assert pages == expected, path


def test_pdf_without_reportlab_is_a_clear_error(schedule_file, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "reportlab", None)
    with pytest.raises(IopschedError, match="optional package 'reportlab'"):
        export(schedule_file, tmp_path / "out", formats="html,pdf")
    assert not (tmp_path / "out").exists()  # checked before anything is written


# --- cli and rendering -----------------------------------------------------------------------


def test_cli_export(schedule_file, tmp_path):
    from iopsched.cli import app

    out = tmp_path / "out"
    runner = CliRunner()
    ok = runner.invoke(app, ["export", str(schedule_file), "--to", str(out), "--week-of",
                             "2024-06-05", "--format", "ics,html"])
    assert ok.exit_code == 0, ok.output
    assert (out / "participants" / "PA-alpha.ics").exists()
    bad = runner.invoke(app, ["export", str(schedule_file), "--to", str(out), "--format", "doc"])
    assert bad.exit_code == 2
    assert "ics, html, xlsx, pdf" in bad.output


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed")
def test_render_page_script_makes_a_png(schedule_file, tmp_path):
    out = tmp_path / "out"
    export(schedule_file, out, formats="html", who="participants")
    png = tmp_path / "page.png"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "render_page.py"),
         str(out / "participants" / "PA-alpha.html"), str(png)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
