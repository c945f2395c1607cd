"""Seeded, realistic program weeks at the four sizes of SCHEDULING.md's scale table.

`generate_sheets(size, seed)` returns the rows of a program workbook (the sheets of
WORKBOOK.md); the same size and seed always give the same rows. The `classic` kind
(easy programs, the default) is planned in iopsched.generate.classic on the pieces of
iopsched.generate.common; the harder kinds (`mix`, `evening`,
`adolescent`, `prescriber`, `planted`) live in iopsched.generate.kinds and are reached through
the same functions' `kind` argument.

Feasibility is guaranteed by construction: the generator plans a *witness* week
while it invents the program, and only writes what that week can honour.
1. Rooms and staff are made first (shift windows: early 08:00-16:30, middle
   10:00-18:30, late 12:30-21:00; part-time prescribers on two days).
2. Participants come in cohorts of 5-12 who share a time band and three days:
   morning (day track, ~09:00-12:00), afternoon (12:30-15:30, students with morning
   classes, early-shift workers), adolescent (15:30-17:30, after school) and evening
   (17:30-20:30, full-time workers). Each cohort-day books a group room and a leader
   for each of its groups.
3. Each participant's commitments (work, school, school pick-ups, night shifts,
   appointments) are drawn from their band's archetypes and kept clear of the
   cohort's block plus the 30-minute travel buffer.
4. Each participant's Medication Management, Individual Therapy and Family Session
   is booked next to, or in place of one group of, their block with a free staff
   member and room. A medication or family flag that finds no free slot is dropped
   (that participant sees an outside prescriber / has no family involved); an
   individual session that finds none makes the generator start over with a seed
   derived from the given one (rare; still reproducible).
The witness (`generate_with_witness`) is a valid schedule meeting every requirement,
so the solver always has an answer with nothing unmet. The generated sizes use about
30% (small) to 60% (large, xl) of the room-hours and half of the staff hours.

Rooms for xl: the scale table's 15 rooms cannot hold 400 participants' weeks when a
room holds one session at a time (rule 4, telehealth included): ~360 group hours plus
~400 individual, ~100 family and ~70 medication hours need ~925 of the 15 rooms'
1065 open room-hours. xl therefore gets 24 rooms (~55% used).

Names are fake on purpose (first names + surnames such as "Example").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from iopsched.domain import DAY_NAMES
from iopsched.errors import InputError
from iopsched.generate.classic import Planner
from iopsched.generate.common import (
    BUFFER,
    CLOSE,
    KINDS,
    OPEN,
    SIZES,
    SLOT,
    PlanningError,
    Size,
    hhmm,
)
from iopsched.workbook.program_writer import write_program_workbook

__all__ = ["KINDS", "SIZES", "Generated", "Size", "config_text", "generate", "generate_sheets", "generate_with_witness", "write_generated"]


# --- public API ---------------------------------------------------------------------------------

def _check_size(size: str) -> Size:
    if size not in SIZES:
        raise InputError(f"unknown size {size!r}; valid sizes: {', '.join(SIZES)}")
    return SIZES[size]


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    return kind


@dataclass
class Generated:
    """A generated program: its sheets, a witness week (None when `rooms` removed rooms it
    uses) and the planted participants no schedule can fully meet (id -> reason)."""

    sheets: dict[str, list[dict]]
    witness: list[dict] | None
    planted: dict[str, str] = field(default_factory=dict)


def _classic(spec: Size, size: str, seed: int) -> tuple[dict[str, list[dict]], list[dict]]:
    for attempt in range(20):  # a rare unlucky draw is replaced by the next, reproducibly
        try:
            return Planner(spec, seed if attempt == 0 else seed * 7919 + attempt).run()
        except PlanningError:
            continue
    raise PlanningError(f"could not generate a feasible {size} program from seed {seed}")


def generate(size: str, seed: int, kind: str = "classic", rooms: int | None = None) -> Generated:
    """A program of `kind` (KINDS; see iopsched.generate.kinds) with its witness week.

    `rooms` keeps that many rooms once the witness is planned (proportionally, biggest group
    rooms first); with fewer rooms than planned the witness no longer holds and is None.
    """
    spec = _check_size(size)
    if _check_kind(kind) == "classic":
        witness: list[dict] | None
        sheets, witness = _classic(spec, size, seed)
        planted: dict[str, str] = {}
    else:
        from iopsched.generate.kinds import plan_kind

        sheets, witness, planted = plan_kind(kind, size, spec, seed)
    if rooms is not None:
        from iopsched.generate.kinds import resize_rooms

        if not resize_rooms(sheets, rooms):
            witness = None
    return Generated(sheets, witness, planted)


def generate_with_witness(size: str, seed: int, kind: str = "classic", rooms: int | None = None
                          ) -> tuple[dict[str, list[dict]], list[dict] | None]:
    """The program's sheets and a witness week (session rows with their participants)."""
    g = generate(size, seed, kind, rooms)
    return g.sheets, g.witness


def generate_sheets(size: str, seed: int, kind: str = "classic",
                    rooms: int | None = None) -> dict[str, list[dict]]:
    """The rows of a generated program workbook, sheet by sheet (WORKBOOK.md)."""
    return generate(size, seed, kind, rooms).sheets


def config_text(size: str) -> str:
    """A config (TOML) whose open days match the generated program (Mon-Sat for large and xl)."""
    days = ", ".join(f'"{d}"' for d in DAY_NAMES[: _check_size(size).days])
    return (f"# config for a generated {size} program\n"
            f"days = [{days}]\nopen = \"{hhmm(OPEN)}\"\nclose = \"{hhmm(CLOSE)}\"\n"
            f"slot_minutes = {SLOT}\ntravel_buffer_minutes = {BUFFER}\n")


def write_generated(size: str, seed: int, out: Path, kind: str = "classic",
                    rooms: int | None = None, referrals: float = 0.0) -> Path:
    """Write a generated program: to `out` if it ends .xlsx, else to `out/program.xlsx`.
    `referrals`: a Referrals sheet of that many percent of the participants (`referrals.py`).

    In folder mode a matching `config.toml` (open days) is written beside it, and for a kind
    with planted participants `planted.json` (their ids and why no schedule can meet them).
    """
    g = generate(size, seed, kind, rooms)
    if referrals:
        from iopsched.generate.referrals import add_referrals

        add_referrals(g.sheets, referrals, seed)
    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        return write_program_workbook(out, g.sheets)
    out.mkdir(parents=True, exist_ok=True)
    from iopsched.workbook.safe_io import write_text_atomic

    write_text_atomic(out / "config.toml", config_text(size))
    if g.planted:
        import json

        write_text_atomic(out / "planted.json", json.dumps(g.planted, indent=2, sort_keys=True) + "\n")
    return write_program_workbook(out / "program.xlsx", g.sheets)
