"""Raw tables from an .xlsx workbook or a folder of .csv files.

Returns, per sheet, the header and the non-empty rows with their spreadsheet row
numbers. Guards against hostile files: not a workbook, encrypted, zip bombs, macros,
huge sheets. Sheet and column names match case-insensitively, ignoring surrounding
spaces.
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from iopsched.errors import InputError, Problem

MAX_ROWS = 50_000  # per sheet; a real program week is far below this
MAX_COLUMNS = 200
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # bytes inside the .xlsx zip
MAX_RATIO = 200  # uncompressed / compressed size of one zip member
MAX_CELL_CHARS = 2_000


@dataclass
class Table:
    name: str  # the sheet name as written in the file
    columns: list[str]  # normalised (lower case, stripped) header names
    raw_columns: list[str]
    rows: list[tuple[int, dict[str, object]]]  # (spreadsheet row number, column -> value)


def norm(name: object) -> str:
    return str(name).strip().lower() if name is not None else ""


def read_tables(path: Path) -> dict[str, Table]:
    """All sheets of a workbook (or csv folder), keyed by normalised sheet name."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        return _read_csv_folder(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raise InputError(f"{path}: a single .csv file was given; pass the folder that holds one .csv per sheet")
    if suffix not in (".xlsx", ".xlsm"):
        raise InputError(f"{path}: not an .xlsx workbook (the name ends {suffix or 'with no extension'}); "
                         "save it from Excel or LibreOffice as .xlsx, or pass a folder of .csv files")
    return _read_xlsx(path)


def _guard_zip(path: Path) -> list[Problem]:
    """Refuse what is not an xlsx zip, is encrypted, or would unpack to far more than it weighs."""
    name = str(path)
    if path.stat().st_size == 0:
        raise InputError(f"{name}: the file is empty (0 bytes)")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(f"{name}: the workbook is password-protected (encrypted) or in the old .xls format; "
                         "remove the password or save it as .xlsx")
    if not zipfile.is_zipfile(path):
        raise InputError(f"{name}: not an .xlsx workbook (the file's contents are not a spreadsheet)")
    notes: list[Problem] = []
    try:
        with zipfile.ZipFile(path) as zf:
            total = 0
            names = set()
            for info in zf.infolist():
                names.add(info.filename.lower())
                total += info.file_size
                if info.compress_size and info.file_size / max(info.compress_size, 1) > MAX_RATIO \
                        and info.file_size > 10 * 1024 * 1024:
                    raise InputError(f"{name}: refused: '{info.filename}' unpacks to {info.file_size} bytes "
                                     f"from {info.compress_size} (a zip bomb?)")
            if total > MAX_UNCOMPRESSED:
                raise InputError(f"{name}: refused: the workbook unpacks to {total // 2**20} MiB, "
                                 f"above the limit of {MAX_UNCOMPRESSED // 2**20} MiB")
            if "xl/workbook.xml" not in names:
                raise InputError(f"{name}: not an .xlsx workbook (a zip file without a workbook inside)")
            if "xl/vbaproject.bin" in names:
                notes.append(Problem(f"{name}: the workbook contains macros; they were ignored and never run",
                                     warning=True))
    except zipfile.BadZipFile:
        raise InputError(f"{name}: not an .xlsx workbook (damaged zip file)") from None
    return notes


def _read_xlsx(path: Path) -> dict[str, Table]:
    import openpyxl

    notes = _guard_zip(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_vba=False)
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        if _xml_attack(exc):
            raise InputError(f"{path}: {XML_REFUSED}") from None
        raise InputError(f"{path}: cannot read the workbook ({exc.__class__.__name__}); "
                         "open it in Excel or LibreOffice and save it again as .xlsx") from None
    tables: dict[str, Table] = {}
    try:
        for ws in wb.worksheets:
            if ws.sheet_state != "visible" and norm(ws.title).startswith("_"):
                continue
            if norm(ws.title) in tables:
                notes.append(_same_name(str(path), tables[norm(ws.title)].name, ws.title))
                continue
            ws.reset_dimensions()  # read-only mode trusts the file's <dimension>; a wrong one cuts rows
            rows_iter = ws.iter_rows(values_only=True)
            tables[norm(ws.title)] = table_of_rows(str(path), ws.title, rows_iter)
    except InputError:
        raise
    except Exception as exc:
        if _xml_attack(exc):
            raise InputError(f"{path}: {XML_REFUSED}") from None
        raise InputError(f"{path}: cannot read the workbook ({exc.__class__.__name__})") from None
    finally:
        wb.close()
    _attach_notes(tables, notes)
    return tables


XML_REFUSED = ("refused: the workbook's XML declares entities (an XML bomb or an external reference); "
               "open it in Excel or LibreOffice and save it again as .xlsx")


def _xml_attack(exc: BaseException | None) -> bool:
    """Did defusedxml (or expat's amplification limit) refuse the file's XML?"""
    for _ in range(20):  # openpyxl wraps the parser's error; follow the chain
        if exc is None:
            return False
        if type(exc).__module__.startswith("defusedxml") or "amplification" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _attach_notes(tables: dict[str, Table], notes: list[Problem]) -> None:
    if notes:
        tables["__notes__"] = Table("__notes__", [], [], [(0, {"note": n}) for n in notes])


def _same_name(file: str, first: str, second: str) -> Problem:
    return Problem(f"sheets '{first}' and '{second}' have the same name (case and surrounding spaces "
                   "are ignored)", file=file, expected="one sheet of each name")


def _read_csv_folder(folder: Path) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    notes: list[Problem] = []
    for f in sorted(folder.iterdir()):
        if f.suffix.lower() != ".csv" or not f.is_file():
            continue
        if norm(f.stem) in tables:
            notes.append(_same_name(str(folder), tables[norm(f.stem)].name + f.suffix, f.name))
            continue
        if f.stat().st_size > MAX_UNCOMPRESSED:
            raise InputError(f"{f}: refused: the file is larger than {MAX_UNCOMPRESSED // 2**20} MiB")
        raw = f.read_bytes()
        try:
            # Excel's "Unicode text" is UTF-16 with a byte order mark
            data = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                data = raw.decode("cp1252")
            except UnicodeDecodeError:
                raise InputError(f"{f}: not a text file in UTF-8 or Windows encoding") from None
        if "\x00" in data:
            raise InputError(f"{f}: not a text .csv file (it contains binary data)")
        first = data.splitlines()[0] if data else ""
        # Excel writes ";" (decimal-comma locales) or tabs ("Unicode text") instead of ","
        delimiter = max((",", ";", "\t"), key=first.count) if first.count(",") == 0 else ","
        try:
            rows = list(csv.reader(io.StringIO(data, newline=""), delimiter=delimiter))  # \r, \n, \r\n
        except csv.Error as exc:
            raise InputError(f"{f}: cannot parse as CSV ({exc})") from None
        tables[norm(f.stem)] = table_of_rows(str(f), f.stem, iter(rows))
    if not tables:
        raise InputError(f"{folder}: the folder holds no .csv files (one per sheet, e.g. Staff.csv)")
    _attach_notes(tables, notes)
    return tables


def table_of_rows(file: str, sheet: str, rows_iter) -> Table:
    """One sheet's rows (the first is the header) as a Table: cells stripped, blank rows left
    out; a sheet of more than MAX_ROWS rows (refused at the first row over, not walked to its
    end) or a cell of more than MAX_CELL_CHARS characters is refused."""
    header: list[str] = []
    raw_header: list[str] = []
    rows: list[tuple[int, dict[str, object]]] = []
    for i, values in enumerate(rows_iter, start=1):
        if i == 1:
            raw_header = [("" if v is None else str(v)).strip() for v in values][:MAX_COLUMNS]
            while raw_header and not raw_header[-1]:
                raw_header.pop()
            header = [norm(h) for h in raw_header]
            continue
        if i > MAX_ROWS + 1:
            raise InputError(Problem(f"the sheet has more than {MAX_ROWS} rows; refused as too large "
                                     "for a program week", file=file, sheet=sheet))
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        record: dict[str, object] = {}
        for col, v in zip(header, values, strict=False):
            if not col:
                continue
            if isinstance(v, str):
                if len(v) > MAX_CELL_CHARS:
                    raise InputError(Problem(f"a cell holds {len(v)} characters (limit {MAX_CELL_CHARS})",
                                             file=file, sheet=sheet, row=i, column=col))
                v = v.strip()
            record[col] = v
        if any(v is not None and v != "" for v in record.values()):
            rows.append((i, record))
    return Table(sheet, header, raw_header, rows)
