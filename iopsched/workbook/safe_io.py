"""Output safety shared by every writer: no formula injection, atomic replace, owner-only files.

- Text that begins with = + - @ (or a tab / carriage return) is written as text, never as a
  formula (OWASP CSV injection guidance): in xlsx it is stored as a string cell, in CSV and
  HTML it is prefixed with a single quote.
- Files are written to a temporary file beside the target and renamed into place, so an
  interrupted run leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DEFAULT_MODE = 0o600  # owner-only: outputs hold protected health information


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise(value: object) -> object:
    """For CSV/HTML/plain text: prefix formula-like text with a quote so no program evaluates it."""
    if is_formula_like(value):
        return "'" + value  # type: ignore[operator]
    return value


def set_cell(ws, row: int, column: int, value: object):
    """Write a value to an openpyxl worksheet cell; formula-like text stays text."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"
    return cell


def append_row(ws, values, row: int | None = None) -> None:
    """ws.append() that never turns text into a formula. Give `row` when it is known:
    openpyxl counts a sheet's cells to find its last row (quadratic over a long table)."""
    if row is None:
        row = ws.max_row + 1 if ws.max_row > 1 or ws.cell(1, 1).value is not None else 1
    for j, v in enumerate(values, start=1):
        set_cell(ws, row, j, v)


@contextlib.contextmanager
def atomic_path(target: Path, mode: int = DEFAULT_MODE) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success rename it over `target`."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(target: Path, data: str | bytes, mode: int = DEFAULT_MODE) -> None:
    with atomic_path(target, mode) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
