"""The program workbook's sheets as the reader sees them: the contract's columns (SCHEMA),
a sheet read row by row with every problem kept (`Sheet`), and the cell readers they share."""

from __future__ import annotations

from collections.abc import Callable

from iopsched.errors import Problem
from iopsched.workbook.parse import (
    CellError,
    is_blank,
    parse_number,
    word,
)
from iopsched.workbook.tables import Table

# sheet -> {column: required}; the contract of WORKBOOK.md
SCHEMA: dict[str, dict[str, bool]] = {
    "Staff": {"staff_id": True, "name": False, "roles": True, "max_hours_week": False, "max_hours_day": False},
    "StaffAvailability": {"staff_id": True, "day": True, "start": True, "end": True},
    "Rooms": {"room_id": True, "capacity": True, "kinds": True},
    "SessionTypes": {
        "session_type": True, "kind": True, "minutes": True, "staff_role": True, "min_size": False,
        "max_size": False, "tracks": False, "tags_required": False, "weekly_min": False, "weekly_max": False,
        "daily_max": False, "counts_toward_hours": False,
        # extension (issue 19): co-led types, a second staff member holding this role
        "co_leader_role": False,
    },
    "Participants": {
        "participant_id": True, "name": False, "track": True, "tags": False, "level": False, "days_min": False,
        "days_max": False, "day_hours_min": False, "day_hours_max": False, "week_hours_min": False,
        "week_hours_max": False, "preferred_time": False, "preferred_days": False, "primary_therapist": False,
        "needs_medication": False, "family_sessions": False,
        # extension of the contract (issue 8): admission and discharge dates
        "start_date": False, "end_date": False,
        # extension (issue 18): last day of the current certification (compliance report)
        "certified_until": False,
    },
    "Commitments": {"participant_id": True, "day": True, "start": True, "end": True, "reason": False},
    "Pinned": {"session_type": True, "day": True, "start": True, "staff_id": True, "room_id": True,
               "participants": False},
}
OPTIONAL_SHEETS = {"Pinned"}
# extension (issue 19): referrals waiting to start, an optional sheet of the Participants
# columns plus when they were referred and how urgent they are (1 = most urgent); a workbook
# without it reads as before
EXTRA_SCHEMA: dict[str, dict[str, bool]] = {
    "Referrals": {**SCHEMA["Participants"], "referral_date": True, "priority": True},
}
# sheets a program cannot run without a row of (Commitments and Pinned may be empty)
NONEMPTY_SHEETS = ("Staff", "StaffAvailability", "Rooms", "SessionTypes", "Participants")
# the column naming a row's record, quoted beside the row number in its problems
ID_COLUMNS = {"Staff": ("staff_id", "staff"), "StaffAvailability": ("staff_id", "staff"),
              "Rooms": ("room_id", "room"), "SessionTypes": ("session_type", "session type"),
              "Participants": ("participant_id", "participant"),
              "Commitments": ("participant_id", "participant"),
              "Referrals": ("participant_id", "referral")}
# columns a header may lack entirely (the sheet still reads); required ones must be present
COMMITMENT_REASONS = ("work", "school", "caregiving", "transport", "other")


class Sheet:
    """Reads the cells of one sheet, collecting problems instead of stopping at the first."""

    def __init__(self, file: str, name: str, table: Table | None, problems: list[Problem]):
        self.file, self.name, self.table, self.problems = file, name, table, problems
        self.ids: dict[str, int] = {}  # id -> row, filled by the sheet's reader
        self._ids_by_row: dict[int, object] | None = None  # row -> its id cell, when a problem needs it
        schema = _schema(name)
        if table is None:
            return
        self.sheet = table.name
        for col, raw in zip(table.columns, table.raw_columns, strict=False):
            if col and col not in schema:
                problems.append(Problem(f"unknown column '{raw}' ignored", file=file, sheet=self.sheet,
                                        warning=True))
        seen = set()
        for col in table.columns:
            if col and col in seen:
                problems.append(Problem(f"column '{col}' appears twice", file=file, sheet=self.sheet, row=1,
                                        column=col, expected="each column once"))
            seen.add(col)
        for col, required in schema.items():
            if required and col not in table.columns:
                problems.append(Problem(f"required column '{col}' is missing", file=file, sheet=self.sheet,
                                        row=1, expected="header: " + ", ".join(c for c, r in schema.items() if r)))

    @property
    def rows(self):
        return self.table.rows if self.table is not None else []

    def problem(self, row: int, column: str, message: str, value: object = None, expected: str = "",
                warning: bool = False) -> None:
        self.problems.append(Problem(message, file=self.file, sheet=self.table.name if self.table else self.name,
                                     row=row, column=column, value=value, expected=expected, warning=warning,
                                     record=self._record(row, column)))

    def _record(self, row: int, column: str) -> str:
        """Whose row it is, from the row's id column ("participant P009"; blank when the
        problem is about that column)."""
        id_column, noun = ID_COLUMNS.get(self.name, ("", ""))
        if not id_column or column == id_column or self.table is None:
            return ""
        if self._ids_by_row is None:
            self._ids_by_row = {r: record.get(id_column) for r, record in self.table.rows}
        value = self._ids_by_row.get(row)
        try:
            return "" if is_blank(value) else f"{noun} {ident(value)}"
        except CellError:
            return ""

    def cell(self, row: int, record: dict, column: str, parser: Callable, default=None, required=None):
        """Parsed value of a cell; blank gives `default` (or a problem when the column is required)."""
        if required is None:
            required = _schema(self.name)[column]
        value = record.get(column)
        if is_blank(value):
            if required:
                self.problem(row, column, "required value is blank", expected="a value (the column is required)")
            return default
        try:
            return parser(value)
        except CellError as exc:
            self.problem(row, column, "not understood", value=value, expected=exc.expected)
            return default


def _schema(sheet: str) -> dict[str, bool]:
    return SCHEMA[sheet] if sheet in SCHEMA else EXTRA_SCHEMA[sheet]


def ident(value: object) -> str:
    s = word(value, "an id on one line, without control characters")
    if not s:
        raise CellError("an id")
    return s


def positive_int(value: object) -> int:
    return int(parse_number(value, integer=True, minimum=1))


def nonneg_int(value: object) -> int:
    return int(parse_number(value, integer=True, minimum=0))


def hours(value: object) -> float:
    return parse_number(value, minimum=0)



def unique(sh: Sheet, row: int, column: str, ident: str | None, seen: dict[str, int]) -> bool:
    if ident is None:
        return False
    if ident in seen:
        sh.problem(row, column, f"duplicate id (first used on row {seen[ident]})", value=ident,
                   expected="an id used on one row only")
        return False
    seen[ident] = row
    return True
