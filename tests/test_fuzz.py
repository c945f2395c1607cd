"""Fuzzing the readers (issue 9.5): whatever the cells or the config hold, the result is a
Program / Rules or an IopschedError with printable problems, never another exception."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import functools
import json
import os
import string
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pytest
from builders import PROGRAM_COLUMNS, make_program, program_sheets
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from iopsched.domain import DEFAULT_WEIGHTS, Program, Rules
from iopsched.errors import InputError, IopschedError
from iopsched.workbook.config import LEVEL_KEYS, TOP_KEYS, load_config, rules_from_dict
from iopsched.workbook.reader import read_program

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BASE = program_sheets(make_program())
RULES = load_config(None)
SHEETS = list(PROGRAM_COLUMNS)
COLUMNS = sorted({c for cols in PROGRAM_COLUMNS.values() for c in cols})

# --- cell values ------------------------------------------------------------------------------

TOKENS = [
    "Mon",
    "tues.",
    "Sunday",
    "09:00",
    "9 pm",
    "24:00",
    "25:00",
    "13:00 PM",
    "yes",
    "no",
    "1",
    "0",
    "12.0",
    " 3 ",
    "-1",
    "1e400",
    "nan",
    "inf",
    "C1",
    "T1",
    "M1",
    "R1",
    "O1",
    "TH",
    "P01",
    "P02",
    "group",
    "individual",
    "family",
    "medication",
    "counselor",
    "therapist",
    "IOP",
    "PHP",
    "Process Group",
    "Individual Therapy",
    "morning",
    "SUD",
    "MH",
    "women",
    "=1+1",
    "@x",
    "+1",
    "a, b;; c",
    ",",
    "\u00a0",
    "\u200b",
    "\ufeffMon",
    "\u0661\u0662:\u0663\u0660",
    "Ⅻ",
    "ｍｏｎ",
]
WEIRD = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=40
)
VALUES = st.one_of(
    st.none(),
    st.sampled_from(TOKENS),
    WEIRD,
    st.text(alphabet=string.printable, max_size=12),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1),
    st.booleans(),
    st.times(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.timedeltas(min_value=dt.timedelta(days=-2), max_value=dt.timedelta(days=3)),
    st.text(alphabet="x, ", min_size=1500, max_size=2500),  # around the cell length limit
)
EDITS = st.lists(
    st.tuples(
        st.sampled_from(SHEETS),
        st.integers(min_value=-1, max_value=12),  # row index; -1 = a new row, past the end = new
        st.one_of(st.sampled_from(COLUMNS), WEIRD.filter(bool)),
        VALUES,
    ),
    min_size=1,
    max_size=8,
)
SHEET_EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("drop"), st.sampled_from(SHEETS)),
        st.tuples(st.just("rename"), st.sampled_from(SHEETS), WEIRD.filter(bool)),
        st.tuples(st.just("extra"), WEIRD.filter(bool)),
        st.tuples(st.just("clear"), st.sampled_from(SHEETS)),
    ),
    max_size=2,
)


def _edited(edits, sheet_edits) -> dict[str, list[dict]]:
    rows = copy.deepcopy(BASE)
    for sheet, index, column, value in edits:
        records = rows.setdefault(sheet, [])
        if index < 0 or index >= len(records):
            records.append({})
            index = len(records) - 1
        records[index][column] = value
    for edit in sheet_edits:
        kind = edit[0]
        if kind == "drop":
            rows.pop(edit[1], None)
        elif kind == "rename" and edit[1] in rows:
            rows[edit[2]] = rows.pop(edit[1])
        elif kind == "extra":
            rows.setdefault(edit[1], [{"anything": 1}])
        elif kind == "clear" and edit[1] in rows:
            rows[edit[1]] = []
    return rows


def _header(sheet: str, records: list[dict]) -> list[str]:
    header = list(PROGRAM_COLUMNS.get(sheet, ()))
    for r in records:
        header += [k for k in r if k not in header]
    return header


def _write_xlsx(rows: dict[str, list[dict]], path: Path) -> None:
    def clean(v):
        return ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    titles = set()
    for sheet, records in rows.items():
        title = clean(sheet)
        for ch in "[]:*?/\\'":
            title = title.replace(ch, "")
        title = title[:31]
        assume(title.strip() and title.lower() not in titles)
        titles.add(title.lower())
        ws = wb.create_sheet(title)
        header = _header(sheet, records)
        ws.append([clean(h) for h in header])
        for r in records:
            ws.append([clean(r.get(c)) for c in header])
    try:
        wb.save(path)
    except Exception:  # the harness cannot write it (openpyxl's own limits): not a reader case
        assume(False)


def _write_csv(rows: dict[str, list[dict]], folder: Path) -> None:
    folder.mkdir()
    for sheet, records in rows.items():
        name = "".join(ch for ch in sheet if ch not in '/\\\x00:*?"<>|')
        assume(name.strip(". ") and len(name.encode()) < 200)
        path = folder / f"{name}.csv"
        assume(not path.exists())
        header = _header(sheet, records)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for r in records:
                w.writerow(["" if r.get(c) is None else r.get(c) for c in header])


def _outcome(path: Path, rules: Rules = RULES) -> None:
    """A valid Program (with warnings) or an IopschedError whose problems all print."""
    try:
        program, warnings = read_program(path, rules)
    except IopschedError as exc:
        event(f"error: {type(exc).__name__}")
        text = str(exc)
        assert text
        if isinstance(exc, InputError):
            assert exc.problems, text
            for p in exc.problems + exc.warnings:
                assert str(p)
        return
    event("read a program")
    assert isinstance(program, Program)
    for w in warnings:
        assert w.warning and str(w)
    for ids in (
        [s.staff_id for s in program.staff],
        [r.room_id for r in program.rooms],
        [t.name for t in program.session_types],
        [p.participant_id for p in program.participants],
    ):
        assert len(ids) == len(set(ids)) and all(ids)
    for s in program.staff:
        assert all(0 <= w.start < w.end <= 24 * 60 and 0 <= w.day <= 6 for w in s.windows)
    for p in program.participants:
        assert p.days_min <= p.days_max <= 7
        assert p.day_hours_min <= p.day_hours_max and p.week_hours_min <= p.week_hours_max
        assert all(c.start < c.end for c in p.commitments)
    for t in program.session_types:
        assert t.minutes > 0 and t.minutes % rules.slot_minutes == 0
        assert 1 <= t.min_size <= t.max_size
    staff = program.staff_by_id()
    for pin in program.pinned:
        assert pin.staff_id in staff and pin.day in rules.days


@FUZZ
@given(edits=EDITS, sheet_edits=SHEET_EDITS)
def test_fuzz_xlsx_cells(edits, sheet_edits):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "program.xlsx"
        _write_xlsx(_edited(edits, sheet_edits), path)
        _outcome(path)


@FUZZ
@given(edits=EDITS, sheet_edits=SHEET_EDITS)
def test_fuzz_csv_cells(edits, sheet_edits):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "program"
        _write_csv(_edited(edits, sheet_edits), folder)
        _outcome(folder)


@FUZZ
@given(
    sheet=st.sampled_from(SHEETS),
    data=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.lists(st.lists(WEIRD, max_size=6), max_size=6).map(
            lambda rows: "\n".join(",".join(json.dumps(c) for c in r) for r in rows).encode()
        ),
    ),
)
def test_fuzz_csv_bytes(sheet, data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "program"
        _write_csv(copy.deepcopy(BASE), folder)
        (folder / f"{sheet}.csv").write_bytes(data)
        _outcome(folder)


@FUZZ
@given(data=st.binary(min_size=0, max_size=600), keep=st.integers(min_value=0, max_value=4000))
def test_fuzz_xlsx_bytes(data, keep):
    """A real workbook cut short and/or followed by junk, or junk alone."""
    raw = _good_xlsx_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "program.xlsx"
        path.write_bytes(raw[: len(raw) - keep] + data if keep else data)
        _outcome(path)


@functools.cache
def _good_xlsx_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        good = Path(tmp) / "good.xlsx"
        _write_xlsx(copy.deepcopy(BASE), good)
        return good.read_bytes()


# --- config -----------------------------------------------------------------------------------

VALUES_TOML = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=10**30, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["Mon", "Sun", "08:00", "21:00", "9 pm", "", "Mars/Olympus", "UTC", "\x00"]),
    WEIRD,
    st.times(),
    st.dates(),
    st.datetimes(),
)
SCALARS = st.one_of(st.none(), VALUES_TOML)
ANY = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(LEVEL_KEYS), WEIRD), inner, max_size=4),
    ),
    max_leaves=12,
)
KEYS = st.one_of(st.sampled_from(sorted(TOP_KEYS)), WEIRD)
LEVEL_TABLE = st.dictionaries(st.one_of(st.sampled_from(LEVEL_KEYS), WEIRD), ANY, max_size=6)
CONFIG = st.dictionaries(
    KEYS,
    ANY,
    max_size=6,
).flatmap(
    lambda raw: st.fixed_dictionaries(
        {},
        optional={
            "levels": st.dictionaries(
                st.one_of(st.sampled_from(["IOP", "PHP", "IOP-adolescent"]), WEIRD),
                st.one_of(LEVEL_TABLE, ANY),
                max_size=3,
            ),
            "weights": st.dictionaries(
                st.one_of(st.sampled_from(sorted(DEFAULT_WEIGHTS)), WEIRD), ANY, max_size=3
            ),
            "solver": st.dictionaries(
                st.sampled_from(["time_limit_seconds", "workers", "seed", "x"]), ANY, max_size=3
            ),
        },
    ).map(lambda extra: raw | extra)
)


def _config_outcome(make) -> Rules | None:
    try:
        rules = make()
    except IopschedError as exc:
        assert str(exc)
        if isinstance(exc, InputError):
            assert exc.problems and all(str(p) for p in exc.problems)
        return None
    assert isinstance(rules, Rules)
    assert rules.days and rules.open < rules.close and rules.slot_minutes > 0
    assert {"IOP", "IOP-adolescent", "PHP"} <= set(rules.levels)
    for level in rules.levels.values():
        assert level.days_min <= level.days_max <= 7
    return rules


@FUZZ
@given(raw=CONFIG)
def test_fuzz_config_dict(raw):
    _config_outcome(lambda: rules_from_dict(raw, "fuzz.toml"))


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (dt.time, dt.date)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v))


TOML_LINES = st.lists(
    st.one_of(
        st.tuples(KEYS, VALUES_TOML).map(lambda kv: f"{json.dumps(kv[0])} = {_toml_value(kv[1])}"),
        st.tuples(KEYS, st.lists(VALUES_TOML, max_size=3)).map(
            lambda kv: f"{json.dumps(kv[0])} = {_toml_value(kv[1])}"
        ),
        st.sampled_from(
            [
                "[levels.IOP]",
                "[levels.PHP]",
                "[levels.New]",
                "[weights]",
                "[solver]",
                "[colour]",
                "days_min = 6",
                "days_max = 2",
                "week_hours_min = 1e9",
                "routine = -1",
                "seed = 3",
                'days = ["Sat", "Sun"]',
                'open = "20:00"',
                "slot_minutes = 7",
                "[[levels]]",
                "= 1",
            ]
        ),
        WEIRD,
    ),
    max_size=10,
)


@FUZZ
@given(lines=TOML_LINES)
def test_fuzz_config_toml(lines):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
        rules = _config_outcome(lambda: load_config(path))
        if rules is not None:  # whatever a valid config says, the reader copes with it
            folder = Path(tmp) / "program"
            _write_csv(copy.deepcopy(BASE), folder)
            _outcome(folder, rules)


TIMES = st.sampled_from(
    ["00:00", "07:30", "08:00", "09:15", "12:00", "20:00", "21:00", "23:30", "24:00", "8 pm"]
)
PLAUSIBLE = st.fixed_dictionaries(
    {},
    optional={
        "days": st.lists(
            st.sampled_from(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
            min_size=1,
            max_size=7,
        ),
        "open": TIMES,
        "close": TIMES,
        "slot_minutes": st.sampled_from([5, 10, 15, 20, 30, 45, 60, 90, 120]),
        "travel_buffer_minutes": st.integers(0, 600),
        "max_gap_minutes": st.integers(0, 600),
        "day_services_min": st.integers(0, 10),
        "levels": st.dictionaries(
            st.sampled_from(["IOP", "PHP", "IOP-adolescent", "Evening"]),
            st.dictionaries(st.sampled_from(LEVEL_KEYS), st.integers(0, 8) | st.floats(0, 40)),
            max_size=3,
        ),
        "weights": st.dictionaries(st.sampled_from(sorted(DEFAULT_WEIGHTS)), st.integers(0, 10**6)),
        "solver": st.fixed_dictionaries(
            {},
            optional={
                "time_limit_seconds": st.floats(0, 100),
                "workers": st.integers(0, 64),
                "seed": st.integers(0, 2**31),
            },
        ),
    },
)


@FUZZ
@given(raw=PLAUSIBLE)
def test_fuzz_plausible_config_with_the_reader(raw):
    """Odd but valid rules (Sunday only, 2-hour slots, 20:00-21:00) never break the reader."""
    rules = _config_outcome(lambda: rules_from_dict(raw, "fuzz.toml"))
    if rules is not None:
        event("valid config")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "program"
            _write_csv(copy.deepcopy(BASE), folder)
            _outcome(folder, rules)


@pytest.mark.parametrize(("env", "derandomized"), [({"CI": "true"}, True), ({"CI": "1"}, True),
                                                    ({"CI": "0"}, False), ({}, False)])
def test_hypothesis_runs_derandomised_on_ci(env, derandomized):
    # conftest.py loads the "ci" profile when CI is set; the module's own settings inherit it
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import conftest, test_fuzz\n"
            "print(test_fuzz.FUZZ.derandomize, test_fuzz.FUZZ.database)")
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], env=clean | env,
                          capture_output=True, text=True, check=True)
    flag, database = done.stdout.split(maxsplit=1)
    assert flag == str(derandomized)
    assert (database.strip() == "None") == derandomized
