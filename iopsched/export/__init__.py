"""`iopsched export`: distribute the week as per-person timetables.

Formats: `ics` (calendar files), `html` (a printable page), `xlsx` (a workbook) and, with
the optional `reportlab` package, `pdf`. Files land in `DIR/staff/<staff_id>.<ext>` and
`DIR/participants/<participant_id>.<ext>`; with `single_workbook` the xlsx output is one
workbook `DIR/timetables-<who>.xlsx` with a sheet per person instead.

Privacy (see people.py): participant files are named by id, hold only that participant's
sessions and never another participant; names appear only with `show_names`, which needs
the program workbook they come from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from iopsched.domain import Program, Rules
from iopsched.errors import IopschedError
from iopsched.export.html import write_html
from iopsched.export.ics import write_ics
from iopsched.export.paths import inside, sheet_titles, unique_stems
from iopsched.export.pdf import require_reportlab, write_pdf
from iopsched.export.people import (
    FOLDERS,
    PARTICIPANT,
    STAFF,
    Directory,
    Page,
    Person,
    build_people,
    make_page,
    week_start,
)
from iopsched.export.xlsx import write_person_workbook, write_single_workbook
from iopsched.schedule import Schedule
from iopsched.workbook.config import load_config
from iopsched.workbook.reader import read_program
from iopsched.workbook.schedule_reader import read_schedule

__all__ = ["FORMATS", "WHO", "ExportResult", "export_schedule", "parse_formats", "parse_who",
           "run_export"]

FORMATS = ("ics", "html", "xlsx", "pdf")
WHO = {"staff": (STAFF,), "participants": (PARTICIPANT,), "all": (STAFF, PARTICIPANT)}


@dataclass
class ExportResult:
    directory: Path
    monday: dt.date
    files: list[Path] = field(default_factory=list)
    staff: int = 0
    participants: int = 0

    def summary(self) -> str:
        sunday = self.monday + dt.timedelta(days=6)
        return (f"wrote {len(self.files)} files for {self.staff} staff and {self.participants} "
                f"participants to {self.directory} (week {self.monday} to {sunday})")


def parse_formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    """`ics,html` -> ('ics', 'html'); unknown names are an error naming the valid ones."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    wanted = [f.strip().lower().lstrip(".") for f in items if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        found = ", ".join(repr(f) for f in unknown) if unknown else "nothing"
        raise IopschedError(f"--format: {found} not understood; valid formats: "
                            + ", ".join(FORMATS) + " (comma separated)")
    return tuple(dict.fromkeys(wanted))


def parse_who(who: str) -> tuple[str, ...]:
    key = (who or "").strip().lower()
    if key not in WHO:
        raise IopschedError(f"--who: {who!r} not understood; expected one of " + ", ".join(WHO))
    return WHO[key]


def run_export(
    schedule: Path,
    to: Path,
    formats: str | Sequence[str] = "ics,xlsx,html",
    week_of: str | None = None,
    who: str = "all",
    config: Path | None = None,
    program: Path | None = None,
    show_names: bool = False,
    single_workbook: bool = False,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ExportResult:
    """Read the schedule workbook (and program workbook, for names) and write the timetables
    (the command prints `result.summary()`)."""
    fmts = parse_formats(formats)
    roles = parse_who(who)
    monday = week_start(week_of, today or dt.date.today())
    if show_names and program is None:
        raise IopschedError("--show-names needs the program workbook the names come from: "
                            "add --program PROGRAM.xlsx")
    if "pdf" in fmts:
        require_reportlab()
    rules = load_config(config)
    sched = read_schedule(Path(schedule))
    prog = read_program(Path(program), rules)[0] if program is not None else None
    return export_schedule(sched, Path(to), fmts, monday, roles, rules, prog, show_names,
                           single_workbook, now=now)


def _prepare(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise IopschedError(f"--to {directory}: exists and is not a folder")
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise IopschedError(f"cannot create folder {directory}: {exc.strerror}") from None


def export_schedule(
    schedule: Schedule,
    to: Path,
    formats: Sequence[str],
    monday: dt.date,
    roles: Sequence[str],
    rules: Rules,
    program: Program | None = None,
    show_names: bool = False,
    single_workbook: bool = False,
    *,
    now: dt.datetime | None = None,
) -> ExportResult:
    """Write every requested format for every person; the library entry point behind run_export."""
    if show_names and program is None:
        raise IopschedError("--show-names needs the program workbook (--program)")
    page = make_page(schedule, rules, program, monday, now)
    people = build_people(schedule, roles, page, Directory.of(program, show_names))
    result = ExportResult(Path(to), monday)
    result.staff = sum(p.role == STAFF for p in people)
    result.participants = sum(p.role == PARTICIPANT for p in people)
    _prepare(result.directory)
    writers = _writers(formats, single_workbook)
    try:
        for role in roles:
            group = [p for p in people if p.role == role]
            folder = result.directory / FOLDERS[role]
            if writers and group:
                _prepare(folder)
            stems = unique_stems(p.person_id for p in group)
            for person in group:
                for ext, write in writers:
                    target = inside(folder, f"{stems[person.person_id]}.{ext}")
                    write(person, page, target)
                    result.files.append(target)
        if single_workbook and "xlsx" in formats:
            titles = sheet_titles(p.person_id for p in people)  # staff first, then participants
            by_key = {(p.role, p.person_id): t for p, t in zip(people, titles, strict=True)}
            who = next((k for k, v in WHO.items() if set(v) == set(roles)), "all")
            target = inside(result.directory, f"timetables-{who}.xlsx")
            write_single_workbook(people, page, target, by_key)
            result.files.append(target)
    except OSError as exc:
        raise IopschedError(f"cannot write {exc.filename or result.directory}: "
                            f"{exc.strerror or exc}") from None
    return result


Writer = Callable[[Person, Page, Path], None]
WRITERS: dict[str, Writer] = {
    "ics": write_ics, "html": write_html, "xlsx": write_person_workbook, "pdf": write_pdf,
}


def _writers(formats: Sequence[str], single_workbook: bool) -> list[tuple[str, Writer]]:
    """(extension, writer) of each per-person file; xlsx is one workbook with single_workbook."""
    return [(f, WRITERS[f]) for f in formats if not (f == "xlsx" and single_workbook)]
