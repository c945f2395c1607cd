"""Hostile and broken input files (issue 9.1) and formula injection in outputs (issue 9.2).

Every unreadable file ends in one clear message and exit 2 from `iopsched check`, never a
traceback; nothing in a file is ever executed or expanded without bound.
"""

from __future__ import annotations

import itertools
import os
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from builders import make_program, make_schedule, participant, session, write_program_xlsx
from typer.testing import CliRunner

from iopsched.cli import app
from iopsched.domain import Room, SessionType, Staff
from iopsched.errors import InputError
from iopsched.workbook import tables
from iopsched.workbook.config import load_config
from iopsched.workbook.reader import read_program
from iopsched.workbook.safe_io import (
    FORMULA_PREFIXES,
    append_row,
    atomic_path,
    is_formula_like,
    neutralise,
    set_cell,
    write_text_atomic,
)
from iopsched.workbook.writer import write_schedule

RULES = load_config(None)


@pytest.fixture(scope="module")
def good_xlsx(tmp_path_factory) -> Path:
    return write_program_xlsx(make_program(), tmp_path_factory.mktemp("good") / "program.xlsx")


def check_fails(path: Path, *parts: str) -> str:
    """`iopsched check PATH` exits 2 with each part in its output and no traceback."""
    result = CliRunner().invoke(app, ["check", str(path)])
    out = result.output
    assert result.exit_code == 2, out
    assert "Traceback" not in out, out
    assert out.startswith("error: "), out
    for part in parts:
        assert part in out, out
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return out


def rewrite_zip(
    src: Path,
    dst: Path,
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
) -> Path:
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
        for name, data in add.items():
            zout.writestr(name, data)
    return dst


# --- not a workbook ---------------------------------------------------------------------------


def test_text_file_renamed_xlsx(tmp_path):
    path = tmp_path / "program.xlsx"
    path.write_text("staff_id,roles\nC1,counselor\n", encoding="utf-8")
    check_fails(
        path, str(path), "not an .xlsx workbook (the file's contents are not a spreadsheet)"
    )


def test_empty_file(tmp_path):
    path = tmp_path / "program.xlsx"
    path.write_bytes(b"")
    check_fails(path, "the file is empty (0 bytes)")


def test_encrypted_workbook(tmp_path):
    """Excel saves a password-protected workbook as an OLE compound file, like the old .xls."""
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"EncryptedPackage" * 32)
    check_fails(path, "password-protected (encrypted)", "remove the password or save it as .xlsx")


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("holiday.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
    check_fails(path, "a zip file without a workbook inside")


def test_truncated_workbook(tmp_path, good_xlsx):
    path = tmp_path / "half.xlsx"
    path.write_bytes(good_xlsx.read_bytes()[: good_xlsx.stat().st_size // 2])
    check_fails(path, "not an .xlsx workbook")


def test_damaged_workbook_xml(tmp_path, good_xlsx):
    path = rewrite_zip(
        good_xlsx,
        tmp_path / "damaged.xlsx",
        replace={"xl/workbook.xml": b"<workbook><sheets><sheet name="},
    )
    check_fails(path, "cannot read the workbook", "save it again as .xlsx")


def test_damaged_sheet_xml(tmp_path, good_xlsx):
    path = rewrite_zip(
        good_xlsx,
        tmp_path / "damaged.xlsx",
        replace={"xl/worksheets/sheet3.xml": b"<worksheet><sheetData><row><c"},
    )
    check_fails(path, "cannot read the workbook")


@pytest.mark.parametrize("name", ["program.xls", "program.ods", "program.numbers", "program"])
def test_other_formats(tmp_path, good_xlsx, name):
    path = tmp_path / name
    path.write_bytes(good_xlsx.read_bytes())
    check_fails(
        path, "not an .xlsx workbook (the name ends", "save it from Excel or LibreOffice as .xlsx"
    )


# --- zip bombs ---------------------------------------------------------------------------------


def _zeros_member(zf: zipfile.ZipFile, name: str, megabytes: int) -> None:
    chunk = bytes(1 << 20)
    with zf.open(name, "w", force_zip64=True) as fh:
        for _ in range(megabytes):
            fh.write(chunk)


def test_zip_bomb_member_refused(tmp_path, good_xlsx):
    """A member that inflates ~1000x: refused from the zip directory, nothing is unpacked."""
    path = tmp_path / "bomb.xlsx"
    rewrite_zip(good_xlsx, path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        _zeros_member(zf, "xl/media/image1.png", 40)
    assert path.stat().st_size < 1_000_000  # small on disk
    start = time.perf_counter()
    check_fails(path, "refused: 'xl/media/image1.png' unpacks to 41943040 bytes", "a zip bomb?")
    assert time.perf_counter() - start < 2


def test_zip_bomb_total_size_refused(tmp_path, good_xlsx, monkeypatch):
    """Many members of ordinary ratio that together unpack beyond the limit."""
    monkeypatch.setattr(tables, "MAX_UNCOMPRESSED", 2 * 2**20)
    path = tmp_path / "big.xlsx"
    rewrite_zip(
        good_xlsx, path, add={f"xl/media/noise{i}.bin": os.urandom(2**20) for i in range(3)}
    )
    check_fails(path, "refused: the workbook unpacks to 3 MiB, above the limit of 2 MiB")


def test_zip_bomb_with_lying_sizes(tmp_path, good_xlsx):
    """A member whose directory entry claims a small size is read only up to that size."""
    big = b"<row>" + b" " * (20 * 2**20) + b"</row>"
    path = tmp_path / "liar.xlsx"
    with (
        zipfile.ZipFile(good_xlsx) as zin,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + big, 1)
            zout.writestr(info.filename, data)
    raw = bytearray(path.read_bytes())
    # patch the uncompressed size (offset 24) of sheet1's central directory entry to 1000 bytes
    name = b"xl/worksheets/sheet1.xml"
    cd = raw.rfind(b"PK\x01\x02", 0, raw.rfind(name))
    assert raw[cd + 46 : cd + 46 + len(name)] == name
    raw[cd + 24 : cd + 28] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo(name.decode()).file_size == 1000
    check_fails(path, "cannot read the workbook")


# --- XML attacks ------------------------------------------------------------------------------

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b"]>\n"
)
SST = (
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1"'
    b' uniqueCount="1">'
)
SHARED_STRINGS_CT = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)


def _with_shared_strings(good: Path, path: Path, xml: bytes) -> Path:
    with zipfile.ZipFile(good) as zf:
        types = zf.read("[Content_Types].xml").replace(b"</Types>", SHARED_STRINGS_CT)
    return rewrite_zip(
        good, path, replace={"[Content_Types].xml": types}, add={"xl/sharedStrings.xml": xml}
    )


def test_billion_laughs_in_shared_strings(tmp_path, good_xlsx):
    path = _with_shared_strings(
        good_xlsx, tmp_path / "laughs.xlsx", LAUGHS + SST + b"<si><t>&lol9;</t></si></sst>"
    )
    start = time.perf_counter()
    with pytest.raises(InputError) as exc:
        read_program(path, RULES)
    assert time.perf_counter() - start < 5
    assert "refused: the workbook's XML declares entities" in str(exc.value)
    check_fails(path, "refused: the workbook's XML declares entities (an XML bomb")


def test_billion_laughs_in_a_sheet(tmp_path, good_xlsx):
    with zipfile.ZipFile(good_xlsx) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    body = sheet.split(b"?>", 1)[1] if sheet.startswith(b"<?xml") else sheet
    body = body.replace(b"C1</t>", b"&lol9;</t>", 1)
    path = rewrite_zip(
        good_xlsx, tmp_path / "laughs2.xlsx", replace={"xl/worksheets/sheet1.xml": LAUGHS + body}
    )
    start = time.perf_counter()
    check_fails(path, "refused: the workbook's XML declares entities")
    assert time.perf_counter() - start < 5


def test_billion_laughs_without_defusedxml(tmp_path, good_xlsx):
    """Without defusedxml, expat's amplification limit still stops the expansion."""
    path = _with_shared_strings(
        good_xlsx, tmp_path / "laughs.xlsx", LAUGHS + SST + b"<si><t>&lol9;</t></si></sst>"
    )
    code = (
        "import sys\nfrom iopsched.workbook.tables import read_tables\n"
        "from iopsched.errors import InputError\n"
        "try:\n    read_tables(sys.argv[1])\nexcept InputError as e:\n    print(e)\n"
    )
    env = dict(os.environ, OPENPYXL_DEFUSEDXML="False")
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "refused: the workbook's XML declares entities" in done.stdout


def test_external_entity_never_read(tmp_path, good_xlsx):
    secret = tmp_path / "secret.txt"
    secret.write_text("ZQXSECRET", encoding="utf-8")
    xml = (
        b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "'
        + secret.as_uri().encode()
        + b'">]>\n'
        + SST
        + b"<si><t>&xxe;</t></si></sst>"
    )
    path = _with_shared_strings(good_xlsx, tmp_path / "xxe.xlsx", xml)
    out = check_fails(
        path, "refused: the workbook's XML declares entities (an XML bomb or an external"
    )
    assert "ZQXSECRET" not in out


# --- macros, size limits ----------------------------------------------------------------------


def test_xlsm_macros_warned_never_run(tmp_path, good_xlsx):
    path = rewrite_zip(
        good_xlsx,
        tmp_path / "program.xlsm",
        add={"xl/vbaProject.bin": b'\xd0\xcf\x11\xe0 Sub AutoOpen() Shell "calc" End Sub'},
    )
    program, warnings = read_program(path, RULES)
    assert len(program.participants) == 4
    assert [str(w) for w in warnings] == [
        f"{path}: the workbook contains macros; they were ignored and never run"
    ]
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        "warning:" in result.stderr
        and "contains macros; they were ignored and never run" in result.stderr
    )


def test_huge_sheet_refused(tmp_path, good_xlsx, monkeypatch):
    monkeypatch.setattr(tables, "MAX_ROWS", 10)
    check_fails(
        good_xlsx, "sheet StaffAvailability: the sheet has more than 10 rows; refused as too large"
    )


def _append_xml_row(good: Path, dst: Path, row_xml: bytes) -> Path:
    with zipfile.ZipFile(good) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    return rewrite_zip(
        good,
        dst,
        replace={
            "xl/worksheets/sheet1.xml": sheet.replace(b"</sheetData>", row_xml + b"</sheetData>")
        },
    )


def test_row_number_far_away_refused_quickly(tmp_path, good_xlsx):
    """One cell claiming row 900 million: the gap counts as rows, so the limit stops it."""
    row = b'<row r="900000000"><c r="A900000000" t="inlineStr"><is><t>x</t></is></c></row>'
    path = _append_xml_row(good_xlsx, tmp_path / "far.xlsx", row)
    start = time.perf_counter()
    check_fails(path, "the sheet has more than 50000 rows; refused as too large")
    assert time.perf_counter() - start < 5


def test_far_column_is_harmless(tmp_path, good_xlsx):
    row = b'<row r="8"><c r="XFD8" t="inlineStr"><is><t>far away</t></is></c></row>'
    path = _append_xml_row(good_xlsx, tmp_path / "wide.xlsx", row)
    program, _ = read_program(path, RULES)
    assert len(program.staff) == 6
    row = b'<row r="8"><c r="AAAAAA8" t="inlineStr"><is><t>x</t></is></c></row>'
    check_fails(_append_xml_row(good_xlsx, tmp_path / "bad.xlsx", row), "cannot read the workbook")


def test_huge_sheet_counts_blank_rows(tmp_path, monkeypatch):
    """A sheet of millions of empty formatted rows must not be walked to its end."""
    monkeypatch.setattr(tables, "MAX_ROWS", 50)
    rows = itertools.chain([("staff_id",)], itertools.repeat((None,), 10**7))
    start = time.perf_counter()
    with pytest.raises(InputError, match="more than 50 rows"):
        tables.table_of_rows("f.xlsx", "Staff", rows)  # the row walker itself
    assert time.perf_counter() - start < 1


def test_huge_cell_refused_in_csv(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Staff.csv").write_text(
        "staff_id,roles\n" + "x" * 200_000 + ",counselor\n", encoding="utf-8"
    )
    check_fails(folder, "Staff.csv: cannot parse as CSV")


def test_big_csv_file_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_UNCOMPRESSED", 1000)
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Staff.csv").write_text("staff_id,roles\n" + "C1,counselor\n" * 200, encoding="utf-8")
    check_fails(folder, "Staff.csv: refused: the file is larger than")


# --- csv folders ------------------------------------------------------------------------------


def test_single_csv_instead_of_folder(tmp_path):
    path = tmp_path / "Staff.csv"
    path.write_text("staff_id,roles\nC1,counselor\n", encoding="utf-8")
    check_fails(path, "a single .csv file was given; pass the folder that holds one .csv per sheet")


def test_folder_without_csv(tmp_path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    check_fails(tmp_path, "the folder holds no .csv files")


def test_csv_folder_with_binary_junk(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Staff.csv").write_bytes(bytes(range(256)) * 8)
    check_fails(folder, "Staff.csv: not a text file in UTF-8 or Windows encoding")


def test_csv_with_nul_bytes(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Staff.csv").write_bytes(b"staff_id,roles\nC1\x00\x00,counselor\n")
    check_fails(folder, "Staff.csv: not a text .csv file (it contains binary data)")


def test_csv_folder_with_a_workbook_renamed_csv(tmp_path, good_xlsx):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Staff.csv").write_bytes(good_xlsx.read_bytes())
    check_fails(folder, "Staff.csv: not a")


def test_terminal_escapes_never_printed(tmp_path):
    """Control characters and bidi overrides in a csv reach the terminal only as escapes."""
    import csv as csv_module

    from builders import PROGRAM_COLUMNS, program_sheets

    folder = tmp_path / "program"
    folder.mkdir()
    for sheet, records in program_sheets(make_program()).items():
        header = list(PROGRAM_COLUMNS[sheet]) + (["\x1b[2Jnotes\u202e"] if sheet == "Staff" else [])
        with open(folder / f"{sheet}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv_module.writer(fh)
            w.writerow(header)
            for r in records:
                w.writerow(["" if r.get(c) is None else r.get(c) for c in header])
    (folder / "Notes\x1b[5m.csv").write_text("a\n1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    assert "unknown column '\\x1b[2Jnotes\\u202e' ignored" in result.stderr
    assert "unknown sheet 'Notes\\x1b[5m' ignored" in result.stderr
    rooms = (folder / "Rooms.csv").read_text(encoding="utf-8")
    (folder / "Rooms.csv").write_text(rooms.replace("group", "gym\x1b]0;pwned\x07", 1), "utf-8")
    roles = (folder / "Staff.csv").read_text(encoding="utf-8")
    (folder / "Staff.csv").write_text(roles.replace("prescriber", "\u202eprescriber"), "utf-8")
    out = check_fails(
        folder,
        "sheet Rooms, row 2, room R1, column kinds: not understood (found 'gym\\x1b]0;pwned\\x07'); "
        "expected a comma separated list on one line, without control characters",
        "sheet Staff, row 7, staff M1, column roles: not understood (found '\\u202eprescriber')",
    )
    for text in (out, result.output):
        assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text


# --- formula injection (issue 9.2) ------------------------------------------------------------

EVIL = {
    "type": '=HYPERLINK("http://evil.example","click")',
    "p1": "=cmd|' /C calc'!A0",
    "p2": "+SUM(1,2)",
    "p3": "-2+3",
    "p4": "@SUM(A1)",
    "staff": "@lead",
    "room": "=ROOM()",
}


def _evil_program_and_schedule():
    ev = EVIL
    program = make_program(
        staff=[Staff(ev["staff"], frozenset({"counselor"}))],
        rooms=[Room(ev["room"], 10, frozenset({"group", "individual"}))],
        session_types=[
            SessionType(ev["type"], "group", 60, "counselor", 2, 10),
            SessionType("-Individual", "individual", 60, "counselor"),
        ],
        participants=[
            participant(ev[k], name=f"=NAME{i}()") for i, k in enumerate(("p1", "p2", "p3", "p4"))
        ],
    )
    people = tuple(ev[k] for k in ("p1", "p2", "p3", "p4"))
    sessions = [
        session("=S1", ev["type"], "Mon", "09:00", ev["staff"], ev["room"], people, kind="group"),
        session(
            "+S2", ev["type"], "Tue", "09:00", ev["staff"], ev["room"], people[:2], kind="group"
        ),
        session(
            "@S3",
            "-Individual",
            "Wed",
            "10:00",
            ev["staff"],
            ev["room"],
            people[2:3],
            kind="individual",
        ),
    ]
    return program, make_schedule(sessions)


@pytest.mark.parametrize("show_names", [False, True])
def test_formula_like_text_written_as_text(tmp_path, show_names):
    program, schedule = _evil_program_and_schedule()
    path = tmp_path / "schedule.xlsx"
    write_schedule(schedule, program, path, show_names=show_names)
    wb = openpyxl.load_workbook(path)  # not read-only: data_type of every cell
    seen: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    seen.add(cell.value)
    # every hostile id reached the file as a string cell (not dropped, not escaped away)
    for value in [*list(EVIL.values()), "=S1", "+S2", "@S3", "-Individual"]:
        assert value in seen, value
    if show_names:
        assert any(
            "=NAME0()" in str(c.value) for ws in wb.worksheets for r in ws.iter_rows() for c in r
        )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_formula_like_values_survive_a_round_trip(tmp_path):
    """The machine sheets keep the exact ids: a reader gets '=S1' back, not a formula or a quote."""
    program, schedule = _evil_program_and_schedule()
    path = tmp_path / "schedule.xlsx"
    write_schedule(schedule, program, path)
    wb = openpyxl.load_workbook(path, read_only=True)
    ids = [r[0] for r in wb["Sessions"].iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == ["+S2", "=S1", "@S3"]
    pids = {r[0] for r in wb["Attendance"].iter_rows(min_row=2, values_only=True)}
    assert pids == {EVIL["p1"], EVIL["p2"], EVIL["p3"], EVIL["p4"]}


def test_safe_io_helpers(tmp_path):
    for v in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert is_formula_like(v) and neutralise(v) == "'" + v
    for v in ("P01", "", 5, None, " =x", "a=b"):
        assert not is_formula_like(v) and neutralise(v) == v
    wb = openpyxl.Workbook()
    ws = wb.active
    append_row(ws, ["=A2", "plain", 3])
    append_row(ws, ["@x", None, -1])
    set_cell(ws, 3, 1, "+1")
    assert [c.data_type for c in ws[1]] == ["s", "s", "n"]
    assert ws["A2"].data_type == "s" and ws["C2"].value == -1 and ws["A3"].data_type == "s"


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "out" / "schedule.xlsx"
    write_text_atomic(target, "old")
    assert target.read_text() == "old"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half written")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in target.parent.iterdir()] == ["schedule.xlsx"]  # no temp file left
    write_text_atomic(target, b"new")
    assert target.read_bytes() == b"new"
