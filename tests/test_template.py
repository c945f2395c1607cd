"""The empty program workbook (`iopsched template`): contract sheets, header help, drop-downs."""

from __future__ import annotations

import openpyxl
import pytest

from iopsched.errors import InputError
from iopsched.workbook.program_writer import CONTRACT_COLUMNS
from iopsched.workbook.template import COLUMN_HELP, DROPDOWNS, LAST_ROW, write_template


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "program.xlsx"
    write_template(path)
    return openpyxl.load_workbook(path)


def validations(ws) -> dict[str, tuple[str, str]]:
    """Column letter -> (formula, range) of each list validation on the sheet."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list"
        for rng in str(dv.sqref).split():
            out[rng.split(":")[0].rstrip("0123456789")] = (dv.formula1, rng)
    return out


def test_every_contract_sheet_and_column(workbook):
    assert workbook.sheetnames == list(CONTRACT_COLUMNS)
    for sheet, columns in CONTRACT_COLUMNS.items():
        ws = workbook[sheet]
        assert tuple(c.value for c in ws[1]) == columns
        assert ws.max_row == 1  # empty
        assert ws.freeze_panes == "A2"


def test_contract_columns_match_the_reader():
    from iopsched.workbook.sheet import SCHEMA

    assert {s: tuple(cols) for s, cols in SCHEMA.items()} == CONTRACT_COLUMNS


def test_every_header_has_a_comment(workbook):
    for sheet in CONTRACT_COLUMNS:
        for cell in workbook[sheet][1]:
            assert cell.comment is not None, (sheet, cell.value)
            assert cell.comment.text == COLUMN_HELP[sheet][cell.value]


@pytest.mark.parametrize("sheet,column,values", [
    ("StaffAvailability", "day", "Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
    ("Commitments", "day", "Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
    ("Pinned", "day", "Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
    ("SessionTypes", "kind", "group,individual,family,medication"),
    ("SessionTypes", "counts_toward_hours", "yes,no"),
    ("Participants", "needs_medication", "yes,no"),
    ("Participants", "family_sessions", "yes,no"),
    ("Participants", "level", "IOP,IOP-adolescent,PHP"),
    ("Participants", "preferred_time", "morning,afternoon,evening"),
    ("Commitments", "reason", "work,school,caregiving,transport,other"),
])
def test_dropdowns(workbook, sheet, column, values):
    ws = workbook[sheet]
    letter = next(c.column_letter for c in ws[1] if c.value == column)
    formula, rng = validations(ws)[letter]
    assert formula == f'"{values}"'
    assert rng == f"{letter}2:{letter}{LAST_ROW}"


def test_no_other_dropdowns(workbook):
    count = sum(len(validations(workbook[s])) for s in CONTRACT_COLUMNS)
    assert count == len(DROPDOWNS)


def test_refuses_a_name_without_xlsx(tmp_path):
    with pytest.raises(InputError, match=r"\.xlsx"):
        write_template(tmp_path / "program.csv")
    assert list(tmp_path.iterdir()) == []


def test_replaces_an_existing_file(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_text("old")
    write_template(path)
    assert openpyxl.load_workbook(path).sheetnames == list(CONTRACT_COLUMNS)
    assert list(tmp_path.iterdir()) == [path]
