"""Safe file names and sheet titles from ids that come from a spreadsheet.

An id is data, not a path: `../x`, `a/b`, `CON` or `P1` next to `p1` must neither escape the
output folder nor overwrite another person's file. Ids that are already safe keep their exact
spelling; any other gets its sanitised form plus a short hash of the original, so two
different ids never share a file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from iopsched.errors import IopschedError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_STEM = 80
# names Windows reserves whatever the extension
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{p}{i}" for p in ("COM", "LPT") for i in range(10))}

SHEET_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def safe_stem(ident: str) -> str:
    """A file name stem for `ident`: letters, digits, `.`, `_`, `-`; never `.`/`..`-like."""
    stem = _UNSAFE.sub("_", ident).strip("._-")[:MAX_STEM] or "id"
    if stem != ident or stem.upper().split(".")[0] in _RESERVED:
        stem = f"{stem}-{_digest(ident)}"
    return stem


def unique_stems(ids: Iterable[str]) -> dict[str, str]:
    """id -> stem, unique even on case-insensitive file systems (macOS, Windows)."""
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for ident in ids:
        stem = safe_stem(ident)
        if stem.casefold() in taken:
            stem = f"{stem}-{_digest(ident)}"
        n = 2
        while stem.casefold() in taken:  # a hash collision: practically never
            stem = f"{safe_stem(ident)}-{_digest(ident)}-{n}"
            n += 1
        taken.add(stem.casefold())
        stems[ident] = stem
    return stems


def inside(folder: Path, name: str) -> Path:
    """folder/name, refusing anything that would land outside folder."""
    target = folder / name
    if target.resolve().parent != folder.resolve():
        raise IopschedError(f"refusing to write outside {folder}: {name!r}")
    return target


def sheet_titles(ids: Iterable[str]) -> list[str]:
    """A valid, unique Excel sheet title per id, in order (<= 31 chars, none of []:*?/\\,
    not History); a repeated id (a staff member and a participant may share one) gets `~2`."""
    titles: list[str] = []
    taken: set[str] = set()
    for ident in ids:
        base = _SHEET_FORBIDDEN.sub("_", ident)[:SHEET_MAX].strip("'") or "sheet"
        if base.casefold() == "history":  # reserved by Excel
            base = "_" + base
        title, n = base, 2
        while title.casefold() in taken:
            suffix = f"~{n}"
            title = base[: SHEET_MAX - len(suffix)] + suffix
            n += 1
        taken.add(title.casefold())
        titles.append(title)
    return titles
