"""Cell parsers: every accepted form of time, day, boolean, number and list.

Each parser takes the raw cell value (as openpyxl or the csv module gives it) and
returns the parsed value or raises `CellError` with what was expected.
"""

from __future__ import annotations

import datetime as dt
import re

from iopsched.domain import DAY_NAMES
from iopsched.errors import InputError


class CellError(ValueError):
    """A cell that does not hold what its column expects; `expected` says what would."""

    def __init__(self, expected: str):
        super().__init__(expected)
        self.expected = expected


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def text(value: object) -> str:
    """Cell as stripped text; numbers stored by Excel as floats lose a trailing .0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_TIME_RE = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?\s*([ap]\.?m\.?)?$", re.IGNORECASE)
TIME_EXPECTED = "a time such as 09:00, 17:30 or 9:00 AM"
_EXCEL_ONE_DAY = (dt.datetime(1900, 1, 1), dt.datetime(1904, 1, 2))  # serial 1.0 (1900 / 1904 epoch)


def parse_time(value: object) -> int:
    """Minutes since midnight from HH:MM text, 9:00 AM text, an Excel time or datetime cell."""
    if isinstance(value, dt.datetime):
        if value in _EXCEL_ONE_DAY:  # a 24:00 time cell is serial 1.0, read as the day after day 0
            return 24 * 60
        value = value.time()
    if isinstance(value, dt.time):
        if value.second or value.microsecond:
            raise CellError(TIME_EXPECTED + " (whole minutes)")
        return value.hour * 60 + value.minute
    if isinstance(value, dt.timedelta):  # LibreOffice durations
        minutes = value.total_seconds() / 60
        if not minutes.is_integer() or not 0 <= minutes <= 24 * 60:
            raise CellError(TIME_EXPECTED)
        return int(minutes)
    if isinstance(value, bool):
        raise CellError(TIME_EXPECTED)
    if isinstance(value, (int, float)):
        # an Excel time stored as a number: a fraction of a day (1.0 = 24:00)
        if 0 <= value <= 1:
            minutes = round(value * 24 * 60, 6)
            if abs(minutes - round(minutes)) < 1e-3:
                return round(minutes)
        raise CellError(TIME_EXPECTED)
    s = text(value)
    m = _TIME_RE.match(s)
    if not m:
        raise CellError(TIME_EXPECTED)
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    second = int(m.group(3) or 0)
    ampm = (m.group(4) or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise CellError(TIME_EXPECTED)
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif m.group(2) is None:
        raise CellError(TIME_EXPECTED)  # a bare "9" is ambiguous
    if minute >= 60 or second != 0 or hour > 24 or (hour == 24 and minute):
        raise CellError(TIME_EXPECTED)
    return hour * 60 + minute


_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_ALIASES = {"tues": 1, "wednes": 2, "thur": 3, "thurs": 3}
DAY_EXPECTED = "a day Mon..Sun (or Monday..Sunday)"


def parse_day(value: object) -> int:
    """Day index 0..6 from Mon..Sun or a full name, any case."""
    s = text(value).lower().rstrip(".")
    if s in _DAY_ALIASES:
        return _DAY_ALIASES[s]
    for i, full in enumerate(_FULL_DAYS):
        if s == full or s == full[:3]:
            return i
    raise CellError(DAY_EXPECTED)


_TRUE = {"yes", "y", "true", "t", "1", "x"}
_FALSE = {"no", "n", "false", "f", "0", ""}
BOOL_EXPECTED = "yes/no, true/false, 1/0, y/n or blank"


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    s = text(value).lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise CellError(BOOL_EXPECTED)


def parse_number(value: object, *, integer: bool = False, minimum: float | None = 0) -> float | int:
    """A number from a numeric cell or a number stored as text."""
    expected = "a whole number" if integer else "a number"
    if minimum is not None:
        expected += f" >= {minimum:g}"
    if isinstance(value, bool):
        raise CellError(expected)
    if isinstance(value, (int, float)):
        try:
            x = float(value)
        except OverflowError:  # an integer cell with hundreds of digits
            raise CellError(expected) from None
    else:
        s = text(value).replace(",", ".") if text(value).count(",") == 1 and "." not in text(value) else text(value)
        try:
            x = float(s)
        except ValueError:
            raise CellError(expected) from None
    if x != x or x in (float("inf"), float("-inf")):
        raise CellError(expected)
    if minimum is not None and x < minimum:
        raise CellError(expected)
    if integer:
        if not x.is_integer():
            raise CellError(expected)
        return int(x)
    return int(x) if x.is_integer() else x


# control characters (line breaks, escapes) and bidirectional overrides: never part of an id or list
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def word(value: object, expected: str = "text on one line, without control characters") -> str:
    """Stripped text that may be printed: refuses line breaks and control characters inside."""
    s = text(value)
    if CONTROL_RE.search(s):
        raise CellError(expected)
    return s


def parse_list(value: object) -> tuple[str, ...]:
    """Comma separated list (semicolons accepted too); blanks dropped, order kept."""
    s = word(value, "a comma separated list on one line, without control characters")
    if not s:
        return ()
    items = [x.strip() for x in re.split(r"[,;]", s)]
    return tuple(x for x in items if x)


def parse_days(value: object) -> tuple[int, ...]:
    return tuple(parse_day(x) for x in parse_list(value))


def day_list_text(days) -> str:
    return ", ".join(DAY_NAMES[d] for d in days)


DATE_EXPECTED = "a date such as 2026-11-30 (or an Excel date cell)"


def parse_date(value: object) -> dt.date:
    """A date from an Excel date/datetime cell or YYYY-MM-DD text (also DD.MM.YYYY, MM/DD/YYYY)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    s = text(value)
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise CellError(DATE_EXPECTED)


def monday_of(week_of: str) -> dt.date:
    """The Monday of the ISO week holding `week_of` (--week-of: YYYY-MM-DD, any day of the week)."""
    try:
        day = dt.date.fromisoformat(week_of.strip())
    except ValueError:
        raise InputError(f"--week-of: '{week_of}' is not a date; expected YYYY-MM-DD, any day of the week") from None
    return day - dt.timedelta(days=day.weekday())
