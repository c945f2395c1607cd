"""The program reader: workbooks typed the way Excel and LibreOffice type them, csv folders,
and every error class with its file, sheet, row, column, value and what was expected."""

from __future__ import annotations

import copy
import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from builders import PROGRAM_COLUMNS, make_program, program_sheets, write_sheets
from typer.testing import CliRunner

from iopsched.cli import app
from iopsched.domain import Commitment, Pinned
from iopsched.errors import InputError, Problem
from iopsched.workbook.config import load_config, rules_from_dict
from iopsched.workbook.reader import read_program

PROGRAM = make_program()
RULES = load_config(None)
SHEETS = program_sheets(PROGRAM)


def sheets() -> dict[str, list[dict]]:
    """A fresh copy of the default program's rows per sheet."""
    return copy.deepcopy(SHEETS)


def write(tmp_path: Path, rows: dict[str, list[dict]], name: str = "program.xlsx") -> Path:
    return write_sheets(rows, tmp_path / name, PROGRAM_COLUMNS)


def write_csv(folder: Path, rows: dict[str, list[dict]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, records in rows.items():
        header = list(PROGRAM_COLUMNS[sheet])
        for r in records:
            header += [k for k in r if k not in header]
        with open(folder / f"{sheet}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for r in records:
                w.writerow(["" if r.get(c) is None else r.get(c) for c in header])
    return folder


def read(path: Path, rules=RULES):
    return read_program(path, rules)


def problems_of(path: Path, rules=RULES) -> list[Problem]:
    with pytest.raises(InputError) as exc:
        read_program(path, rules)
    return exc.value.problems


def only_problem(path: Path, rules=RULES) -> Problem:
    found = problems_of(path, rules)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def row_of(rows: list[dict], key: str, ident: str) -> int:
    """Spreadsheet row number (header is row 1) of the record whose `key` is `ident`."""
    return next(i for i, r in enumerate(rows, start=2) if r[key] == ident)


def assert_located(
    p: Problem, path: Path, sheet: str, row: int | None, column: str, *parts: str
) -> str:
    msg = str(p)
    assert msg.startswith(str(path)), msg
    assert f"sheet {sheet}" in msg, msg
    if row is not None:
        assert f"row {row}," in msg or msg.endswith(f"row {row}"), msg
    assert f"column {column}" in msg, msg
    assert "; expected " in msg, msg
    for part in parts:
        assert part in msg, msg
    return msg


# --- reading what a coordinator's spreadsheet holds -------------------------------------------


def _same_program(got, want=PROGRAM) -> None:
    assert got.staff == want.staff
    assert got.rooms == want.rooms
    assert got.session_types == want.session_types
    assert got.participants == want.participants
    assert got.pinned == want.pinned


def test_roundtrip_xlsx(tmp_path):
    program, warnings = read(write(tmp_path, sheets()))
    assert warnings == []
    _same_program(program)
    assert len(program.source_sha256) == 64
    assert program.source_path.endswith("program.xlsx")


def test_roundtrip_csv_folder(tmp_path):
    folder = write_csv(tmp_path / "program", sheets())
    program, warnings = read(folder)
    assert warnings == []
    _same_program(program)
    assert len(program.source_sha256) == 64


def test_csv_folder_windows_encoding_and_bom(tmp_path):
    folder = write_csv(tmp_path / "program", sheets())
    staff = (folder / "Staff.csv").read_text(encoding="utf-8")
    (folder / "Staff.csv").write_bytes(b"\xef\xbb\xbf" + staff.encode("utf-8"))  # Excel's UTF-8 BOM
    people = (
        (folder / "Participants.csv").read_text(encoding="utf-8").replace("Alice", "Ren\u00e9e")
    )
    (folder / "Participants.csv").write_bytes(people.encode("cp1252"))  # "CSV (Windows)"
    program, _ = read(folder)
    assert {s.staff_id for s in program.staff} == {"C1", "C2", "C3", "T1", "T2", "M1"}
    assert program.participant_by_id()["P01"].name == "Ren\u00e9e Example"


def _rewrite_csv(folder: Path, delimiter: str, newline: str, encoding: str) -> None:
    for f in folder.glob("*.csv"):
        with open(f, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        with open(f, "w", newline="", encoding=encoding) as fh:
            csv.writer(fh, delimiter=delimiter, lineterminator=newline).writerows(rows)


@pytest.mark.parametrize(
    ("delimiter", "newline", "encoding"),
    [
        (",", "\r", "utf-8"),  # classic Mac line ends
        (",", "\r\n", "utf-8-sig"),  # Excel "CSV UTF-8"
        (";", "\r\n", "cp1252"),  # Excel in a decimal-comma locale
        ("\t", "\r\n", "utf-16"),  # Excel "Unicode text"
    ],
)
def test_csv_dialects(tmp_path, delimiter, newline, encoding):
    rows = sheets()
    rows["Staff"][0]["max_hours_day"] = "6,5" if delimiter == ";" else 6.5
    folder = write_csv(tmp_path / "program", rows)
    _rewrite_csv(folder, delimiter, newline, encoding)
    program, warnings = read(folder)
    assert warnings == []
    assert program.staff_by_id()["C1"].max_hours_day == 6.5
    assert program.participants == PROGRAM.participants
    assert program.staff[1:] == PROGRAM.staff[1:]


def _excel_typed_workbook(path: Path) -> Path:
    """A workbook typed the way Excel and LibreOffice save one: time cells, datetime cells,
    day fractions, durations, numbers stored as text, stray spaces and case in names."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)

    def sheet(title, header, rows):
        ws = wb.create_sheet(title)
        ws.append(header)
        for r in rows:
            ws.append(r)
        return ws

    sheet(
        "Staff ",
        ["Staff_ID ", "NAME", " Roles", "Max_Hours_Week", "max_hours_day", "notes"],
        [
            ["C1", "Casey", "Counselor ,  Therapist", "30", " 6 ", "part time"],
            [None, None, None, None, None, None],  # an empty row in the middle
            [101, "Morgan", "prescriber; ", 20.0, None, None],  # a numeric id
        ],
    )
    av = sheet(
        "staffavailability",
        ["staff_id", "day", "start", "end"],
        [
            ["C1", "Monday", dt.time(9, 0), dt.time(17, 0)],
            ["C1", "tues.", dt.datetime(1899, 12, 30, 8, 30), dt.datetime(2024, 1, 2, 16, 0)],
            ["C1", " THU ", 0.375, 0.75],  # times stored as day fractions
            ["101", "Wed", dt.timedelta(hours=9), dt.timedelta(hours=13)],  # LibreOffice durations
            ["C1", "Fri", "9:00 AM", "5:30 PM"],
        ],
    )
    for row in av.iter_rows(min_row=2, max_row=2, min_col=3, max_col=4):
        for c in row:
            c.number_format = "h:mm"
    sheet(
        "ROOMS",
        ["room_id", "capacity", "kinds"],
        [
            ["R1", "12", "group"],
            ["TH", None, "Group, Individual, medication"],
        ],
    )
    sheet(
        "SessionTypes",
        [
            "session_type",
            "kind",
            "minutes",
            "staff_role",
            "min_size",
            "max_size",
            "weekly_min",
            "counts_toward_hours",
        ],
        [
            ["Process Group", "Group", "60", "counselor", "2", 10.0, None, None],
            ["Individual Therapy", "individual", 60, "THERAPIST", None, None, "1", "yes"],
            ["Med Check", "medication", "30.0", "prescriber", 1, "1", 1, "No"],
        ],
    )
    sheet(
        "Participants",
        [
            "participant_id",
            "name",
            "track",
            "level",
            "days_min",
            "week_hours_min",
            "preferred_days",
            "primary_therapist",
            "needs_medication",
        ],
        [
            ["P1", "Alex", "SUD", "php", " 6 ", None, "Mon, Wed;", "C1", "Y"],
            [None, None, None, None, None, None, None, None, None],
            [None, None, None, None, None, None, None, None, None],
            ["P2", None, "MH", None, None, "10.5", None, None, 1],
        ],
    )
    cm = sheet(
        "Commitments",
        ["participant_id", "day", "start", "end", "reason"],
        [
            ["P1", "Thu", dt.time(13, 0), dt.time(17, 0), "Work"],
            ["P1", "Mon", "17:00", "24:00", "caregiving "],
            ["P1", "Mon", dt.time(6, 0), dt.time(8, 0), "transport"],
            ["P2", "Tue", "8:00 am", "12:00 pm", "school"],
            ["P2", "Wed", dt.time(18, 0), 1.0, "caregiving"],  # 24:00 typed into a time cell
        ],
    )
    cm["D6"].number_format = "h:mm"
    sheet("Notes", ["anything"], [["the coordinator's own notes"]])
    wb.save(path)
    return path


def test_excel_typed_cells(tmp_path):
    path = _excel_typed_workbook(tmp_path / "excel.xlsx")
    program, warnings = read(path)
    staff = program.staff_by_id()
    assert set(staff) == {"C1", "101"}
    c1 = staff["C1"]
    assert c1.roles == {"counselor", "therapist"}
    assert c1.max_hours_week == 30 and c1.max_hours_day == 6
    assert staff["101"].max_hours_week == 20 and staff["101"].max_hours_day is None
    assert [(w.day, w.start, w.end) for w in c1.windows] == [
        (0, 540, 1020),
        (1, 510, 960),
        (3, 540, 1080),
        (4, 540, 1050),
    ]
    assert [(w.day, w.start, w.end) for w in staff["101"].windows] == [(2, 540, 780)]
    rooms = program.room_by_id()
    assert rooms["R1"].capacity == 12 and rooms["TH"].capacity is None
    assert rooms["TH"].kinds == {"group", "individual", "medication"}
    types = program.type_by_name()
    assert types["Process Group"].kind == "group" and types["Process Group"].max_size == 10
    assert types["Process Group"].counts_toward_hours is True
    assert types["Process Group"].weekly_min == 0 and types["Process Group"].weekly_max is None
    assert types["Process Group"].daily_max == 1
    assert types["Individual Therapy"].staff_role == "therapist"
    assert types["Med Check"].minutes == 30 and types["Med Check"].counts_toward_hours is False
    people = program.participant_by_id()
    p1, p2 = people["P1"], people["P2"]
    # PHP (any case), days_min overridden; the rest from the level
    assert (
        p1.level,
        p1.days_min,
        p1.days_max,
        p1.day_hours_min,
        p1.day_hours_max,
        p1.week_hours_min,
        p1.week_hours_max,
    ) == ("PHP", 6, 7, 4, 6, 20, 30)
    assert p1.preferred_days == {0, 2} and p1.primary_therapist == "C1" and p1.needs_medication
    # IOP by default, week_hours_min overridden with a number stored as text
    assert (p2.level, p2.days_min, p2.week_hours_min, p2.week_hours_max) == ("IOP", 3, 10.5, 19)
    assert p2.needs_medication is True and p2.family_sessions is False
    # commitments sorted by day and time; reasons lower case; 24:00 is an end
    assert p1.commitments == (
        Commitment(0, 360, 480, "transport"),
        Commitment(0, 1020, 1440, "caregiving"),
        Commitment(3, 780, 1020, "work"),
    )
    assert p2.commitments == (
        Commitment(1, 480, 720, "school"),
        Commitment(2, 1080, 1440, "caregiving"),
    )
    text = "\n".join(str(w) for w in warnings)
    assert "unknown sheet 'Notes' ignored" in text
    assert "unknown column 'notes' ignored" in text
    assert all(w.warning for w in warnings)


def test_empty_rows_keep_row_numbers(tmp_path):
    """Rows are numbered as the spreadsheet shows them, blank rows included."""
    path = tmp_path / "gaps.xlsx"
    _excel_typed_workbook(path)
    wb = openpyxl.load_workbook(path)
    wb["Participants"]["E5"] = "lots"  # P2's days_min, after two empty rows
    wb["Staff "]["D4"] = "thirty"  # Morgan's max_hours_week, after one empty row
    wb.save(path)
    found = problems_of(path)
    assert len(found) == 2
    msgs = sorted(str(p) for p in found)
    assert "sheet Participants, row 5, participant P2, column days_min: not understood (found 'lots')" in msgs[0]
    assert "sheet Staff , row 4, staff 101, column max_hours_week: not understood (found 'thirty')" in msgs[1]


def test_levels_from_config_and_overrides(tmp_path):
    rows = sheets()
    rows["Participants"][0].update(level="Evening", days_min="", day_hours_max=3.5)
    rows["Participants"][1].update(level="IOP-adolescent", week_hours_min=None)
    rows["Participants"][2].update(level="iop-ADOLESCENT", week_hours_min=8)
    for key in (
        "days_min",
        "days_max",
        "day_hours_min",
        "day_hours_max",
        "week_hours_min",
        "week_hours_max",
    ):
        for r in rows["Participants"][:3]:
            if key not in ("day_hours_max", "week_hours_min"):
                r[key] = None
    rows["Participants"][0]["week_hours_min"] = None
    rules = rules_from_dict({"levels": {"Evening": {"days_max": 3, "week_hours_min": 6}}})
    program, _ = read(write(tmp_path, rows), rules)
    people = program.participant_by_id()
    p1, p2, p3 = people["P01"], people["P02"], people["P03"]
    assert (p1.level, p1.days_min, p1.days_max, p1.day_hours_max, p1.week_hours_min) == (
        "Evening",
        3,
        3,
        3.5,
        6,
    )
    assert (p2.level, p2.week_hours_min, p2.week_hours_max) == ("IOP-adolescent", 6, 19)
    assert (p3.level, p3.week_hours_min) == ("IOP-adolescent", 8)


def test_pinned_sheet_is_optional_and_read(tmp_path):
    rows = sheets()
    del rows["Pinned"]
    program, warnings = read(write(tmp_path, rows, "no_pinned.xlsx"))
    assert program.pinned == () and warnings == []
    rows = sheets()
    rows["Pinned"] = [
        {
            "session_type": "Process Group",
            "day": "Tue",
            "start": "10:00",
            "staff_id": "C1",
            "room_id": "R1",
            "participants": "P01; P02",
        }
    ]
    program, _ = read(write(tmp_path, rows, "pinned.xlsx"))
    assert program.pinned == (Pinned("Process Group", 1, 600, "C1", "R1", ("P01", "P02"), row=2),)


def test_pinned_participant_listed_twice_counts_once(tmp_path):
    rows = sheets()
    rows["Pinned"] = [
        {
            "session_type": "Process Group",
            "day": "Tue",
            "start": "10:00",
            "staff_id": "C1",
            "room_id": "R1",
            "participants": "P01, P02, P01",
        }
    ]
    program, warnings = read(write(tmp_path, rows))
    assert program.pinned[0].participants == ("P01", "P02")
    assert [str(w).split(": ", 1)[1] for w in warnings] == [
        "a participant is listed twice; counted once (found 'P01, P02, P01')"
    ]


def test_two_sheets_with_the_same_name(tmp_path):
    path = write(tmp_path, sheets())
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("staff ").append(["staff_id", "roles"])
    wb.save(path)
    p = only_problem(path)
    assert str(p) == (
        f"{path}: sheets 'Staff' and 'staff ' have the same name (case and surrounding spaces "
        "are ignored); expected one sheet of each name"
    )


def test_two_csv_files_with_the_same_name(tmp_path):
    folder = write_csv(tmp_path / "program", sheets())
    (folder / "staff.csv").write_text("staff_id,roles\nX1,counselor\n", encoding="utf-8")
    p = only_problem(folder)
    assert "sheets 'Staff.csv' and 'staff.csv' have the same name" in str(p)


def test_wrong_dimension_record_does_not_cut_rows(tmp_path):
    """Some generators write a stale <dimension ref="A1:B3"/>; every row and column still counts."""
    import re
    import zipfile

    good = write(tmp_path, sheets())
    path = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data, n = re.subn(
                    rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:B3"/>', data
                )
                assert n == 1
            zout.writestr(info.filename, data)
    program, warnings = read(path)
    assert warnings == []
    _same_program(program)


def test_hidden_underscore_sheets_are_skipped(tmp_path):
    path = write(tmp_path, sheets())
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("_lists")
    ws.append(["group", "individual"])
    ws.sheet_state = "hidden"
    wb.save(path)
    _, warnings = read(path)
    assert warnings == []


def test_windows_outside_opening_hours_and_closed_days_warn(tmp_path):
    rows = sheets()
    rows["StaffAvailability"].append(
        {"staff_id": "C3", "day": "Sat", "start": "09:00", "end": "12:00"}
    )
    rows["StaffAvailability"].append(
        {"staff_id": "C3", "day": "Mon", "start": "07:00", "end": "22:00"}
    )
    path = write(tmp_path, rows)
    program, warnings = read(path)
    text = "\n".join(str(w) for w in warnings)
    n = len(rows["StaffAvailability"]) + 1
    assert f"sheet StaffAvailability, row {n - 1}, staff C3, column day: Sat is not an open day" in text
    assert (
        f"sheet StaffAvailability, row {n}, staff C3, column start: window 07:00-22:00 reaches outside "
        "opening hours 08:00-21:00"
    ) in text
    assert len(program.staff_by_id()["C3"].windows) == 7


def test_track_no_session_type_serves_warns(tmp_path):
    rows = sheets()
    rows["Participants"][0]["track"] = "Adolescent"
    for r in rows["SessionTypes"]:
        r["tracks"] = "SUD, MH"
    program, warnings = read(write(tmp_path, rows))
    text = "\n".join(str(w) for w in warnings)
    assert "no session type serves track 'Adolescent'" in text
    assert all(w.warning for w in warnings)
    assert program.participant_by_id()["P01"].track == "Adolescent"


def test_unknown_commitment_reason_warns(tmp_path):
    rows = sheets()
    rows["Commitments"][0]["reason"] = "dentist"
    program, warnings = read(write(tmp_path, rows))
    assert any("reason 'dentist' is not one of" in str(w) for w in warnings)
    assert program.participant_by_id()["P01"].commitments[0].reason == "dentist"


# --- every error class: where, what was found, what was expected -----------------------------

P, S, T = "Participants", "Staff", "SessionTypes"


def _set(sheet: str, key: str, ident: str, **changes):
    def edit(rows):
        row = row_of(rows[sheet], key, ident)
        rows[sheet][row - 2].update(changes)
        return sheet, row

    return edit


def _append(sheet: str, record: dict):
    def edit(rows):
        rows[sheet].append(record)
        return sheet, len(rows[sheet]) + 1

    return edit


CELL_ERRORS = {
    # name: (edit, column, substrings of the message)
    "duplicate staff id": (
        _append(S, {"staff_id": "C1", "roles": "counselor"}),
        "staff_id",
        [
            "duplicate id (first used on row 2)",
            "(found 'C1')",
            "expected an id used on one row only",
        ],
    ),
    "duplicate room id": (
        _append("Rooms", {"room_id": "R1", "capacity": 4, "kinds": "group"}),
        "room_id",
        ["duplicate id (first used on row 2)", "(found 'R1')"],
    ),
    "duplicate session type": (
        _append(T, SHEETS[T][1] | {"session_type": "Process Group"}),
        "session_type",
        ["duplicate id", "(found 'Process Group')"],
    ),
    "duplicate participant": (
        _append(P, {"participant_id": "P01", "track": "MH"}),
        "participant_id",
        ["duplicate id (first used on row 2)", "(found 'P01')"],
    ),
    "unknown staff in availability": (
        _append(
            "StaffAvailability", {"staff_id": "X9", "day": "Mon", "start": "09:00", "end": "10:00"}
        ),
        "staff_id",
        ["unknown staff id", "(found 'X9')", "expected a staff_id from sheet Staff"],
    ),
    "availability end before start": (
        _append(
            "StaffAvailability", {"staff_id": "C3", "day": "Mon", "start": "12:00", "end": "09:00"}
        ),
        "end",
        ["end 09:00 is not after start 12:00", "expected an end after the start"],
    ),
    "availability end equals start": (
        _append(
            "StaffAvailability", {"staff_id": "C3", "day": "Tue", "start": "12:00", "end": "12:00"}
        ),
        "end",
        ["end 12:00 is not after start 12:00"],
    ),
    "unknown participant in commitments": (
        _append(
            "Commitments", {"participant_id": "P99", "day": "Mon", "start": "09:00", "end": "10:00"}
        ),
        "participant_id",
        [
            "unknown participant id",
            "(found 'P99')",
            "expected a participant_id from sheet Participants",
        ],
    ),
    "commitment end before start": (
        _append(
            "Commitments", {"participant_id": "P02", "day": "Fri", "start": "22:00", "end": "06:00"}
        ),
        "end",
        ["end 06:00 is not after start 22:00", "split an overnight shift into two rows"],
    ),
    "minutes off the grid": (
        _set(T, "session_type", "Skills Group", minutes=45),
        "minutes",
        ["not a multiple of slot_minutes (30)", "(found 45)", "expected a multiple of 30 minutes"],
    ),
    "minutes longer than the day": (
        _set(T, "session_type", "Skills Group", minutes=900),
        "minutes",
        ["longer than the opening hours 08:00-21:00", "(found 900)"],
    ),
    "min_size above max_size": (
        _set(T, "session_type", "Skills Group", min_size=8, max_size=4),
        "min_size",
        ["min_size 8 is above max_size 4", "(found 8)", "expected at most max_size (4)"],
    ),
    "weekly_min above weekly_max": (
        _set(T, "session_type", "Individual Therapy", weekly_min=3, weekly_max=2),
        "weekly_min",
        ["weekly_min 3 is above weekly_max 2", "(found 3)", "expected at most weekly_max (2)"],
    ),
    "non-group with a size": (
        _set(T, "session_type", "Individual Therapy", max_size=3),
        "max_size",
        ["a individual session has exactly 1 participant", "(found 3)", "expected 1 or blank"],
    ),
    "group without a size": (
        _set(T, "session_type", "Skills Group", min_size=None),
        "min_size",
        ["required value is blank", "expected a value"],
    ),
    "unknown kind": (
        _set(T, "session_type", "Skills Group", kind="workshop"),
        "kind",
        [
            "unknown session kind",
            "(found 'workshop')",
            "expected group, individual, family, medication",
        ],
    ),
    "unknown room kind": (
        _set("Rooms", "room_id", "R2", kinds="group, gym"),
        "kinds",
        ["unknown session kind 'gym'", "expected group, individual, family, medication"],
    ),
    "zero capacity": (
        _set("Rooms", "room_id", "R2", capacity=0),
        "capacity",
        ["not understood", "(found 0)", "expected a whole number >= 1"],
    ),
    "days_min above days_max": (
        _set(P, "participant_id", "P02", days_min=5, days_max=4),
        "days_min",
        ["days_min 5 is above days_max 4", "(found 5)", "expected at most days_max"],
    ),
    "override above the level": (
        _set(P, "participant_id", "P02", days_min=None, days_max=2),
        "days_min",
        ["days_min 3 is above days_max 2"],
    ),
    "week hours min above max": (
        _set(P, "participant_id", "P03", week_hours_min=20),
        "week_hours_min",
        ["week_hours_min 20 is above week_hours_max 19"],
    ),
    "days_max above 7": (
        _set(P, "participant_id", "P03", days_max=8),
        "days_max",
        ["more than 7 days", "(found 8)", "expected 0..7"],
    ),
    "unknown level": (
        _set(P, "participant_id", "P02", level="Residential"),
        "level",
        [
            "unknown level of care",
            "(found 'Residential')",
            "expected one of IOP, IOP-adolescent, PHP",
        ],
    ),
    "primary therapist not staff": (
        _set(P, "participant_id", "P02", primary_therapist="Dr Who"),
        "primary_therapist",
        ["not a staff id", "(found 'Dr Who')", "expected a staff_id from sheet Staff"],
    ),
    "unknown preferred time": (
        _set(P, "participant_id", "P02", preferred_time="noon"),
        "preferred_time",
        ["unknown time of day", "(found 'noon')", "expected morning, afternoon, evening or blank"],
    ),
    "bad preferred day": (
        _set(P, "participant_id", "P02", preferred_days="Mon, Someday"),
        "preferred_days",
        ["(found 'Mon, Someday')", "expected a day Mon..Sun"],
    ),
    "bad boolean": (
        _set(P, "participant_id", "P02", needs_medication="sometimes"),
        "needs_medication",
        ["(found 'sometimes')", "expected yes/no, true/false, 1/0, y/n or blank"],
    ),
    "bad hours": (
        _set(S, "staff_id", "C3", max_hours_week="lots"),
        "max_hours_week",
        ["not understood", "(found 'lots')", "expected a number >= 0"],
    ),
    "negative hours": (
        _set(S, "staff_id", "C3", max_hours_day=-2),
        "max_hours_day",
        ["(found -2)", "expected a number >= 0"],
    ),
    "bad time 25:00": (
        _set("StaffAvailability", "staff_id", "M1", start="25:00"),
        "start",
        ["not understood", "(found '25:00')", "expected a time such as 09:00"],
    ),
    "bad time nine": (
        _set("Commitments", "participant_id", "P02", end="nine"),
        "end",
        ["(found 'nine')", "expected a time such as 09:00"],
    ),
    "bad day": (
        _set("Commitments", "participant_id", "P03", day="Funday"),
        "day",
        ["(found 'Funday')", "expected a day Mon..Sun (or Monday..Sunday)"],
    ),
    "blank required id": (
        _append(S, {"staff_id": None, "name": "someone", "roles": "counselor"}),
        "staff_id",
        ["required value is blank"],
    ),
    "blank roles": (_set(S, "staff_id", "C3", roles=""), "roles", ["required value is blank"]),
    "blank track": (
        _set(P, "participant_id", "P04", track=None),
        "track",
        ["required value is blank"],
    ),
}


@pytest.mark.parametrize("case", list(CELL_ERRORS))
def test_cell_error_located(tmp_path, case):
    edit, column, parts = CELL_ERRORS[case]
    rows = sheets()
    sheet, row = edit(rows)
    path = write(tmp_path, rows)
    assert_located(only_problem(path), path, sheet, row, column, *parts)


@pytest.mark.parametrize(
    "case", ["duplicate staff id", "unknown level", "bad time 25:00", "commitment end before start"]
)
def test_cell_error_located_in_csv_folder(tmp_path, case):
    edit, column, parts = CELL_ERRORS[case]
    rows = sheets()
    sheet, row = edit(rows)
    folder = write_csv(tmp_path / "program", rows)
    assert_located(only_problem(folder), folder, sheet, row, column, *parts)


PIN = {
    "session_type": "Process Group",
    "day": "Tue",
    "start": "10:00",
    "staff_id": "C1",
    "room_id": "R1",
    "participants": "P01, P02",
}

PINNED_ERRORS = {
    "unknown type": (
        {"session_type": "Yoga"},
        "session_type",
        ["unknown session type", "(found 'Yoga')", "expected a session_type from sheet"],
    ),
    "unknown staff": (
        {"staff_id": "Z1"},
        "staff_id",
        ["unknown staff id", "(found 'Z1')", "expected a staff_id from sheet Staff"],
    ),
    "unknown room": (
        {"room_id": "Z2"},
        "room_id",
        ["unknown room id", "(found 'Z2')", "expected a room_id from sheet Rooms"],
    ),
    "unknown participant": (
        {"participants": "P01, P77"},
        "participants",
        ["unknown participant id", "(found 'P77')"],
    ),
    "closed day": (
        {"day": "Sunday"},
        "day",
        [
            "Sun is not an open day",
            "(found 'Sunday')",
            "expected one of the config's days: Mon, Tue, Wed, Thu, Fri",
        ],
    ),
    "off-grid start": (
        {"start": "10:15"},
        "start",
        [
            "10:15 is not on the 30-minute grid",
            "(found '10:15')",
            "expected a start every 30 minutes from 08:00",
        ],
    ),
    "outside opening hours": (
        {"start": "20:30"},
        "start",
        ["20:30-21:30 is outside opening hours 08:00-21:00"],
    ),
    "too many participants": (
        {"session_type": "Individual Therapy", "staff_id": "T1", "room_id": "O1"},
        "participants",
        ["2 participants pinned; Individual Therapy holds at most 1"],
    ),
    "bad day": ({"day": "someday"}, "day", ["not understood", "(found 'someday')"]),
    "blank staff": ({"staff_id": None}, "staff_id", ["required value is blank"]),
}


@pytest.mark.parametrize("case", list(PINNED_ERRORS))
def test_pinned_errors(tmp_path, case):
    changes, column, parts = PINNED_ERRORS[case]
    rows = sheets()
    rows["Pinned"] = [dict(PIN), dict(PIN, start="11:00") | changes]
    path = write(tmp_path, rows)
    assert_located(only_problem(path), path, "Pinned", 3, column, *parts)


def test_role_nobody_holds(tmp_path):
    rows = sheets()
    rows["SessionTypes"][1]["staff_role"] = "Art Therapist"
    path = write(tmp_path, rows)
    p = only_problem(path)
    msg = assert_located(
        p,
        path,
        "SessionTypes",
        3,
        "staff_role",
        "session type 'Skills Group' needs role 'art therapist' which no staff member holds",
        "expected one of the roles in sheet Staff: counselor, prescriber, therapist",
    )
    assert "(found 'art therapist')" in msg


def test_all_problems_of_a_file_together(tmp_path):
    rows = sheets()
    rows["Staff"][0]["max_hours_week"] = "forty"
    rows["Participants"][1]["needs_medication"] = "perhaps"
    rows["Commitments"][0]["start"] = "8 o'clock"
    rows["SessionTypes"][0]["minutes"] = 50
    rows["Rooms"][0]["room_id"] = "R2"
    path = write(tmp_path, rows)
    with pytest.raises(InputError) as exc:
        read(path)
    found = exc.value.problems
    assert len(found) == 5, [str(p) for p in found]
    assert {(p.sheet, p.row, p.column) for p in found} == {
        ("Staff", 2, "max_hours_week"),
        ("Participants", 3, "needs_medication"),
        ("Commitments", 2, "start"),
        ("SessionTypes", 2, "minutes"),
        ("Rooms", 3, "room_id"),
    }
    text = str(exc.value)
    assert text.startswith("5 problems in the input:")
    assert text.count("\n  ") == 5


def test_three_bad_cells_in_one_sheet(tmp_path):
    rows = sheets()
    for r, bad in zip(rows["StaffAvailability"][:3], ("9", "nine", "13:00 PM"), strict=True):
        r["start"] = bad
    path = write(tmp_path, rows)
    found = problems_of(path)
    assert [(p.row, p.column, p.value) for p in found] == [
        (2, "start", "9"),
        (3, "start", "nine"),
        (4, "start", "13:00 PM"),
    ]


def test_warnings_travel_with_errors(tmp_path):
    rows = sheets()
    rows["Staff"][0]["shoe_size"] = 42
    rows["Staff"][1]["max_hours_day"] = "x"
    with pytest.raises(InputError) as exc:
        read(write(tmp_path, rows))
    assert len(exc.value.problems) == 1
    assert any("unknown column 'shoe_size' ignored" in str(w) for w in exc.value.warnings)


def test_missing_required_sheet(tmp_path):
    rows = sheets()
    del rows["Commitments"]
    del rows["Rooms"]
    path = write(tmp_path, rows)
    found = problems_of(path)
    msgs = [str(p) for p in found]
    assert msgs == [
        f"{path}: sheet 'Rooms' is missing; expected sheets Staff, StaffAvailability, Rooms, "
        "SessionTypes, Participants, Commitments, Pinned (Pinned optional)",
        f"{path}: sheet 'Commitments' is missing; expected sheets Staff, StaffAvailability, Rooms, "
        "SessionTypes, Participants, Commitments, Pinned (Pinned optional)",
    ]


def test_missing_required_columns(tmp_path):
    rows = sheets()
    for r in rows["Staff"]:
        del r["roles"]
    for r in rows["Commitments"]:
        del r["end"]
    columns = dict(PROGRAM_COLUMNS)
    columns["Staff"] = tuple(c for c in columns["Staff"] if c != "roles")
    columns["Commitments"] = tuple(c for c in columns["Commitments"] if c != "end")
    path = write_sheets(rows, tmp_path / "cols.xlsx", columns)
    found = problems_of(path)
    msgs = sorted(str(p) for p in found)
    assert len(msgs) == 2
    assert msgs[0] == (
        f"{path}, sheet Commitments, row 1: required column 'end' is missing; expected "
        "header: participant_id, day, start, end"
    )
    assert msgs[1].startswith(f"{path}, sheet Staff, row 1: required column 'roles' is missing")


def test_duplicate_column(tmp_path):
    path = write(tmp_path, sheets())
    wb = openpyxl.load_workbook(path)
    ws = wb["Rooms"]
    ws.cell(1, ws.max_column + 1, "Capacity ")
    wb.save(path)
    p = only_problem(path)
    assert str(p) == (
        f"{path}, sheet Rooms, row 1, column capacity: column 'capacity' appears twice; "
        "expected each column once"
    )


def test_empty_sheet_is_missing_its_columns(tmp_path):
    rows = sheets()
    rows["Rooms"] = []
    path = write_sheets(
        rows, tmp_path / "empty.xlsx", {k: v for k, v in PROGRAM_COLUMNS.items() if k != "Rooms"}
    )
    found = problems_of(path)
    assert {p.message for p in found} == {
        "required column 'room_id' is missing",
        "required column 'capacity' is missing",
        "required column 'kinds' is missing",
    }


def test_long_cell_refused(tmp_path):
    rows = sheets()
    rows["Staff"][0]["name"] = "x" * 5000
    path = write(tmp_path, rows)
    p = only_problem(path)
    assert (
        str(p)
        == f"{path}, sheet Staff, row 2, column name: a cell holds 5000 characters (limit 2000)"
    )


# --- the CLI: exit 2, the problems on stderr, never a traceback --------------------------------


def test_check_exit_2_lists_every_problem(tmp_path):
    rows = sheets()
    rows["Staff"][0]["max_hours_week"] = "forty"
    rows["Participants"][1]["level"] = "Residential"
    rows["Commitments"][0]["end"] = "25:00"
    path = write(tmp_path, rows)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 2, result.output
    out = result.output
    assert "Traceback" not in out
    assert "error: 3 problems in the input:" in out
    assert "sheet Staff, row 2, staff C1, column max_hours_week: not understood (found 'forty')" in out
    assert (
        "sheet Participants, row 3, participant P02, column level: unknown level of care (found 'Residential')"
        in out
    )
    assert "sheet Commitments, row 2, participant P01, column end: not understood (found '25:00')" in out


def test_check_ok_prints_summary_and_warnings(tmp_path):
    rows = sheets()
    rows["Rooms"][0]["colour"] = "blue"
    path = write(tmp_path, rows)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "4 participants, 6 staff, 4 rooms, 8 session types, 0 pinned sessions" in result.stdout
    assert "warning:" in result.stderr and "unknown column 'colour' ignored" in result.stderr


def test_check_missing_file(tmp_path):
    result = CliRunner().invoke(app, ["check", str(tmp_path / "nowhere.xlsx")])
    assert result.exit_code == 2
    assert "file not found" in result.output and "Traceback" not in result.output


def test_admission_and_discharge_dates(tmp_path):
    rows = sheets()
    rows["Participants"][0].update(start_date=dt.datetime(2026, 11, 30), end_date="2026-12-24")
    rows["Participants"][1].update(start_date="30.11.2026", end_date=None)
    program, warnings = read(write(tmp_path, rows))
    assert warnings == []
    people = program.participant_by_id()
    assert (people["P01"].start_date, people["P01"].end_date) == (
        dt.date(2026, 11, 30),
        dt.date(2026, 12, 24),
    )
    assert (people["P02"].start_date, people["P02"].end_date) == (dt.date(2026, 11, 30), None)
    assert people["P03"].start_date is None
    rows["Participants"][2].update(start_date="2026-12-01", end_date="2026-11-01")
    rows["Participants"][3].update(start_date="soon")
    path = write(tmp_path, rows, "bad_dates.xlsx")
    found = problems_of(path)
    assert [str(p).split(", sheet ", 1)[1] for p in found] == [
        "Participants, row 4, participant P03, column end_date: end_date 2026-11-01 is before start_date "
        "2026-12-01; expected an end_date on or after the start_date",
        "Participants, row 5, participant P04, column start_date: not understood (found 'soon'); expected a date "
        "such as 2026-11-30 (or an Excel date cell)",
    ]
