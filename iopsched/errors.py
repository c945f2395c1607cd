"""Errors a coordinator can act on.

An `InputError` carries every problem found in a file at once (one pass to fix them);
the CLI prints them and exits 2 without a traceback. Messages never contain
participant names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in an input: where it is and what was expected."""

    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None  # spreadsheet row number (header is row 1)
    column: str = ""
    value: object = None
    expected: str = ""
    warning: bool = False
    record: str = ""  # whose row it is: "participant P009", "staff S01", "room R2", "session type X"

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.sheet:
            where.append(f"sheet {self.sheet}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.record:
            where.append(self.record)
        if self.column:
            where.append(f"column {self.column}")
        text = ", ".join(where)
        text = f"{text}: {self.message}" if text else self.message
        if self.value is not None and self.value != "":
            text += f" (found {_show(self.value)!s})"
        if self.expected:
            text += f"; expected {self.expected}"
        return text.translate(CONTROL_ESCAPES)


# control characters and bidirectional overrides from a hostile file must not reach the terminal
CONTROL_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | {
    c: f"\\u{c:04x}" for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def _show(value: object) -> str:
    s = repr(value) if isinstance(value, str) else str(value)
    return s if len(s) <= 60 else s[:57] + "..."


class IopschedError(Exception):
    """Base of every error the CLI turns into a clean message and exit code 2."""


class InputError(IopschedError):
    """One or more problems in an input file."""

    def __init__(self, problems: list[Problem] | Problem | str, file: str = ""):
        if isinstance(problems, str):
            problems = [Problem(problems, file=file)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = [p for p in problems if not p.warning]
        self.warnings = [p for p in problems if p.warning]
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input:" if n > 1 else ""
        lines = [head] if head else []
        lines += [f"  {p}" if head else str(p) for p in self.problems]
        return "\n".join(lines)


class ConfigError(InputError):
    """A problem in the TOML config (names the key)."""
