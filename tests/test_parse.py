"""Cell parsers: every accepted form of time, day, boolean, number and list, and what is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from iopsched.workbook.parse import (
    CellError,
    day_list_text,
    is_blank,
    parse_bool,
    parse_date,
    parse_day,
    parse_days,
    parse_list,
    parse_number,
    parse_time,
    text,
    word,
)

# --- times --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        ("09:00", 540),
        ("9:00", 540),
        (" 9:00 ", 540),
        ("09:30", 570),
        ("17:30", 1050),
        ("17:30:00", 1050),
        ("00:00", 0),
        ("9:00 AM", 540),
        ("9:00AM", 540),
        ("9:00 am", 540),
        ("9:00 a.m.", 540),
        ("9 pm", 1260),
        ("9PM", 1260),
        ("5:30 PM", 1050),
        ("12:00 PM", 720),
        ("12:30 pm", 750),
        ("12:00 AM", 0),
        ("12:15 AM", 15),
        ("24:00", 1440),  # an end at midnight
    ],
)
def test_time_text(value, minutes):
    assert parse_time(value) == minutes


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        (dt.time(9, 0), 540),
        (dt.time(17, 30), 1050),
        (dt.time(0, 0), 0),
        (dt.datetime(1899, 12, 30, 9, 0), 540),  # an Excel time cell read as a datetime
        (dt.datetime(2024, 3, 4, 18, 30), 1110),  # a datetime cell: the time of day counts
        (0.375, 540),  # an Excel time stored as a day fraction
        (0.5, 720),
        (0.0, 0),
        (0, 0),
        (1.0, 1440),
        (1, 1440),
        (17.5 / 24, 1050),
        (0.72916666666, 1050),  # rounded by the spreadsheet
        (dt.timedelta(hours=9), 540),  # LibreOffice duration cells
        (dt.timedelta(hours=17, minutes=30), 1050),
        (dt.timedelta(hours=24), 1440),
        (dt.datetime(1900, 1, 1, 0, 0), 1440),  # a 24:00 time cell: serial 1.0 as openpyxl reads it
        (dt.datetime(1904, 1, 2, 0, 0), 1440),  # the same in a 1904-epoch workbook
    ],
)
def test_time_cells(value, minutes):
    assert parse_time(value) == minutes


@pytest.mark.parametrize(
    "value",
    [
        "25:00",
        "24:30",
        "9",  # a bare hour is ambiguous
        "17",
        "nine",
        "13:00 PM",
        "0:00 AM",
        "9:60",
        "9:5",
        "9:00:30",  # seconds other than :00
        "",
        "   ",
        "9:00 xm",
        "9:00-10:00",
        "-1:00",
        "noon",
        dt.time(9, 0, 30),
        dt.timedelta(hours=25),
        dt.timedelta(minutes=-30),
        dt.timedelta(seconds=90),
        1.5,  # more than a day
        -0.1,
        0.3751,  # not a whole minute
        9,  # an integer hour is not a day fraction
        True,
        False,
        None,
        float("nan"),
        float("inf"),
        dt.date(2024, 3, 4),
    ],
)
def test_time_refused(value):
    with pytest.raises(CellError) as exc:
        parse_time(value)
    assert "a time such as 09:00" in exc.value.expected


# --- days ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("Mon", 0),
        ("mon", 0),
        ("MON", 0),
        ("Monday", 0),
        ("MONDAY", 0),
        ("Tue", 1),
        ("Tues", 1),
        ("tuesday", 1),
        ("Wed", 2),
        ("Wednesday", 2),
        ("Thu", 3),
        ("Thur", 3),
        ("Thurs", 3),
        ("Thursday", 3),
        ("Fri", 4),
        ("Friday", 4),
        ("Sat", 5),
        ("Saturday", 5),
        ("Sun", 6),
        ("sunday", 6),
        ("Mon.", 0),
        ("Thurs.", 3),
        ("  Fri  ", 4),
        ("Tue. ", 1),
        ("\tWed\n", 2),
    ],
)
def test_day(value, day):
    assert parse_day(value) == day


@pytest.mark.parametrize(
    "value", ["", None, "M", "Mo", "Mond", "Funday", "1", 1, "Montag", "Mon Tue"]
)
def test_day_refused(value):
    with pytest.raises(CellError) as exc:
        parse_day(value)
    assert "Mon..Sun" in exc.value.expected


def test_days_list():
    assert parse_days("Mon, Wed;Fri") == (0, 2, 4)
    assert parse_days("") == ()
    assert parse_days(None) == ()
    assert parse_days("Tues., Thurs,") == (1, 3)
    with pytest.raises(CellError):
        parse_days("Mon, Someday")
    assert day_list_text((0, 2, 4)) == "Mon, Wed, Fri"


# --- booleans -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["yes", "Yes", "YES", " yes ", "y", "Y", "true", "True", "TRUE", "1", "t", "x", True, 1, 1.0],
)
def test_bool_true(value):
    assert parse_bool(value) is True


@pytest.mark.parametrize(
    "value", ["no", "No", "NO", "n", "N", "false", "False", "0", "", "  ", None, False, 0, 0.0, "f"]
)
def test_bool_false(value):
    assert parse_bool(value) is False


@pytest.mark.parametrize("value", ["maybe", "2", 2, -1, 0.5, "yes please", "ja", "si"])
def test_bool_refused(value):
    with pytest.raises(CellError) as exc:
        parse_bool(value)
    assert exc.value.expected == "yes/no, true/false, 1/0, y/n or blank"


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (12, 12),
        (12.0, 12),
        (2.5, 2.5),
        ("12", 12),
        ("12.0", 12),
        (" 3 ", 3),
        ("2.5", 2.5),
        ("2,5", 2.5),  # a decimal comma
        ("0", 0),
        (0, 0),
    ],
)
def test_number(value, number):
    got = parse_number(value)
    assert got == number
    assert type(got) is type(number)


@pytest.mark.parametrize(
    ("value", "number"), [(12, 12), (12.0, 12), ("12", 12), ("12.0", 12), (" 3 ", 3)]
)
def test_whole_number(value, number):
    got = parse_number(value, integer=True)
    assert got == number
    assert isinstance(got, int)


@pytest.mark.parametrize(
    "value",
    [
        "twelve",
        "",
        "12 h",
        "1.2.3",
        True,
        False,
        "nan",
        "inf",
        "-inf",
        float("nan"),
        float("inf"),
        "1e400",
        -1,
        "-1",
        dt.time(9, 0),
        dt.datetime(2024, 1, 1),
        dt.timedelta(hours=1),
    ],
)
def test_number_refused(value):
    with pytest.raises(CellError) as exc:
        parse_number(value)
    assert exc.value.expected == "a number >= 0"


def test_number_with_hundreds_of_digits():
    """openpyxl gives a Python int for a long digit string; float() of it overflows."""
    for integer in (False, True):
        with pytest.raises(CellError):
            parse_number(10**400, integer=integer)
    with pytest.raises(CellError):
        parse_number("9" * 400)  # text: float() gives inf
    with pytest.raises(CellError):
        parse_time(10**400)
    with pytest.raises(CellError):
        parse_bool(10**400)


def test_number_bounds():
    with pytest.raises(CellError) as exc:
        parse_number(2.5, integer=True)
    assert exc.value.expected == "a whole number >= 0"
    with pytest.raises(CellError) as exc:
        parse_number("0", integer=True, minimum=1)
    assert exc.value.expected == "a whole number >= 1"
    assert parse_number("-3", minimum=None) == -3
    with pytest.raises(CellError) as exc:
        parse_number("x", minimum=None)
    assert exc.value.expected == "a number"


# --- lists and text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ("counselor, therapist", ("counselor", "therapist")),
        ("counselor,therapist", ("counselor", "therapist")),
        ("counselor;therapist", ("counselor", "therapist")),
        ("  a ,  b  ; c ", ("a", "b", "c")),
        ("a,,b", ("a", "b")),
        ("a, ,b,", ("a", "b")),
        (",", ()),
        ("", ()),
        (None, ()),
        ("single", ("single",)),
        ("two words, three more words", ("two words", "three more words")),
        (101, ("101",)),
        (101.0, ("101",)),
    ],
)
def test_list(value, items):
    assert parse_list(value) == items


@pytest.mark.parametrize(
    "value", ["a\nb", "x\x1b[31m", "tab\there", "\u202eevil", "a,\x07b", "a\x85b"]
)
def test_control_characters_refused(value):
    with pytest.raises(CellError) as exc:
        word(value)
    assert "without control characters" in exc.value.expected
    with pytest.raises(CellError) as exc:
        parse_list(value)
    assert exc.value.expected.startswith("a comma separated list")


def test_word():
    assert word("  Process Group\n") == "Process Group"  # surrounding line breaks are stripped
    assert word(12.0) == "12"
    assert (
        word("Espa\u00f1ol \u4e2d\u6587 \u05e2\u05d1\u05e8\u05d9\u05ea")
        == "Espa\u00f1ol \u4e2d\u6587 \u05e2\u05d1\u05e8\u05d9\u05ea"
    )


@pytest.mark.parametrize(
    ("value", "date"),
    [
        ("2026-11-30", dt.date(2026, 11, 30)),
        (" 2026-11-30 ", dt.date(2026, 11, 30)),
        ("30.11.2026", dt.date(2026, 11, 30)),
        ("11/30/2026", dt.date(2026, 11, 30)),
        ("2026/11/30", dt.date(2026, 11, 30)),
        (dt.date(2026, 11, 30), dt.date(2026, 11, 30)),
        (dt.datetime(2026, 11, 30, 0, 0), dt.date(2026, 11, 30)),
    ],
)
def test_date(value, date):
    assert parse_date(value) == date


@pytest.mark.parametrize(
    "value", ["30/11/2026", "2026-02-30", "tomorrow", "", 45000, dt.time(9, 0)]
)
def test_date_refused(value):
    with pytest.raises(CellError) as exc:
        parse_date(value)
    assert exc.value.expected.startswith("a date such as 2026-11-30")


def test_text_and_blank():
    assert text(None) == ""
    assert text(" x ") == "x"
    assert text(12.0) == "12"
    assert text(12.5) == "12.5"
    assert text(7) == "7"
    assert is_blank(None) and is_blank("") and is_blank("  \t")
    assert not is_blank(0) and not is_blank("0") and not is_blank(False)
