"""The command line: parses arguments and calls library functions. Nothing else lives here."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

import typer

from iopsched import __version__
from iopsched.errors import IopschedError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Weekly timetables for Intensive Outpatient Programs.",
)

# the bundled sample: package data (iopsched/data/program.xlsx, in the source tree a link to
# sample_data/program.xlsx), so that an installed wheel has it too
SAMPLE = Path(__file__).resolve().parent / "data" / "program.xlsx"


# choices, listed by --help (tests/test_cli_solve.py checks them against the library's)
class Freeze(StrEnum):
    participants = "participants"
    sessions = "sessions"


class Who(StrEnum):
    staff = "staff"
    participants = "participants"
    all = "all"


class Size(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"
    xl = "xl"


class Kind(StrEnum):
    classic = "classic"
    mix = "mix"
    evening = "evening"
    adolescent = "adolescent"
    prescriber = "prescriber"
    planted = "planted"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"iopsched {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="print the version and exit")) -> None:
    """Weekly timetables for Intensive Outpatient Programs."""


def _err(text: str) -> None:
    typer.echo(text, err=True)


def _fail(exc: IopschedError) -> NoReturn:
    _err(f"error: {exc}")
    raise typer.Exit(2)


def _sample_or(path: Path | None) -> Path:
    if path is not None:
        return path
    if SAMPLE.exists():
        return SAMPLE
    from iopsched.errors import InputError

    raise InputError("no WORKBOOK given and the bundled sample_data/program.xlsx is not present")


@app.command()
def check(
    workbook: Path | None = typer.Argument(None, help="program workbook (.xlsx or folder of .csv)"),
    config: Path | None = typer.Option(None, "--config", "-c", help="config .toml"),
) -> None:
    """Validate the program workbook and print a short summary of what it holds."""
    from iopsched.analysis.check import check_program
    from iopsched.workbook.config import load_config
    from iopsched.workbook.reader import read_program

    try:
        rules = load_config(config)
        program, warnings = read_program(_sample_or(workbook), rules)
    except IopschedError as exc:
        _fail(exc)
    for w in warnings:
        _err(f"warning: {w}")
    typer.echo(check_program(program))


@app.command()
def template(out: Path = typer.Argument(..., help="where to write the empty workbook (.xlsx)")) -> None:
    """Write an empty program workbook with the contract's sheets, header comments and drop-downs."""
    from iopsched.workbook.template import write_template

    try:
        write_template(out)
    except IopschedError as exc:
        _fail(exc)
    typer.echo(f"wrote {out}")


@app.command()
def solve(
    workbook: Path | None = typer.Argument(None, help="program workbook; default: the bundled sample"),
    config: Path | None = typer.Option(None, "--config", "-c", help="config .toml; default: configs/default.toml"),
    output: Path = typer.Option(Path("schedule.xlsx"), "--output", "-o", help="the timetable workbook to write"),
    time_limit: float | None = typer.Option(
        None, "--time-limit", help="seconds of wall clock for the whole command; default: the config's"),
    workers: int | None = typer.Option(None, "--workers", help="CP-SAT workers, 0 = all cores; default: the config's"),
    seed: int | None = typer.Option(None, "--seed", help="CP-SAT's random seed; default: the config's"),
    previous: Path | None = typer.Option(None, "--previous", help="last week's schedule.xlsx (keeps weeks stable)"),
    freeze: Freeze | None = typer.Option(None, "--freeze", help="with --previous: keep last week's participants' "
                                         "sessions or the sessions themselves as they were"),
    show_names: bool = typer.Option(False, "--show-names", help="participant names in the human sheets"),
    week_of: str | None = typer.Option(None, "--week-of", help="YYYY-MM-DD in the week solved (for start/end dates)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress display"),
    suggest: bool = typer.Option(False, "--suggest", help="look for changes that meet unmet requirements"),
    deterministic: bool = typer.Option(False, "--deterministic",
                                       help="reproducible: the same input, config and seed give the same "
                                            "schedule (a deterministic budget; wall time may differ)"),
    admit: bool = typer.Option(False, "--admit", help="admit referrals (sheet Referrals; also done whenever "
                               "the sheet has rows): the most by priority, nobody in care losing a "
                               "requirement; the rest to the Waitlist sheet"),
    prove: bool = typer.Option(False, "--prove", help="after the requirements, bound each objective term on "
                               "its own (a quarter of the time left at most) and write the bounds to the "
                               "Summary as bound.<term>"),
) -> None:
    """Solve the week and write the timetable workbook (--time-limit: the command's wall clock)."""
    from iopsched import STARTED_AT
    from iopsched.commands.run import run_solve

    try:
        code = run_solve(
            workbook=_sample_or(workbook),
            config=config,
            output=output,
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            previous=previous,
            freeze=freeze.value if freeze is not None else None,
            show_names=show_names,
            progress=not quiet,
            week_of=week_of,
            suggest=suggest,
            deterministic=True if deterministic else None,
            started_at=STARTED_AT,
            admit=admit,
            prove=prove,
        )
    except IopschedError as exc:
        _fail(exc)
    raise typer.Exit(code)


@app.command()
def validate(
    workbook: Path = typer.Argument(..., help="program workbook"),
    schedule: Path = typer.Argument(..., help="schedule workbook to check"),
    config: Path | None = typer.Option(None, "--config", "-c", help="config .toml; default: configs/default.toml"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable report"),
    week_of: str | None = typer.Option(None, "--week-of",
                                       help="YYYY-MM-DD, any day of the schedule's week: check admission "
                                            "and discharge dates"),
) -> None:
    """Re-check a schedule against every rule; exit 0 valid, 1 invalid, 2 unreadable."""
    from iopsched.commands.validate import run_validate

    try:
        code = run_validate(workbook, schedule, config, as_json, week_of)
    except IopschedError as exc:
        _fail(exc)
    raise typer.Exit(code)


@app.command()
def report(
    schedule: Path = typer.Argument(..., help="schedule workbook (written by solve or edited by hand)"),
    workbook: Path = typer.Option(..., "--program", help="the program workbook the schedule is of"),
    config: Path | None = typer.Option(None, "--config", "-c", help="config .toml; default: configs/default.toml"),
    output: Path | None = typer.Option(None, "--output", "-o", help="report workbook (.xlsx) to write"),
    html: Path | None = typer.Option(None, "--html", help="folder for report.html (charts)"),
    csv: Path | None = typer.Option(None, "--csv", help="folder for the figures as CSV files"),
    show_names: bool = typer.Option(False, "--show-names", help="participant names in the written files"),
    week_of: str | None = typer.Option(None, "--week-of", help="YYYY-MM-DD, any day of the schedule's week "
                                       "(recertification dates); default: the week from next Monday"),
) -> None:
    """Compliance and utilisation: hours, days and services per participant against their payer's rules."""
    from iopsched.report.files import run_report

    try:
        lines, warnings = run_report(schedule, workbook, config, output, html, csv, show_names, week_of)
    except IopschedError as exc:
        _fail(exc)
    for w in warnings:
        _err(f"warning: {w}")
    for line in lines:
        typer.echo(line)


@app.command()
def export(
    schedule: Path = typer.Argument(..., help="schedule workbook"),
    to: Path = typer.Option(..., "--to", help="output folder"),
    formats: str = typer.Option("ics,xlsx,html", "--format", help="comma list of ics,xlsx,html,pdf"),
    week_of: str | None = typer.Option(None, "--week-of", help="YYYY-MM-DD, any day of the week"),
    who: Who = typer.Option(Who.all, "--who", help="whose timetables"),
    config: Path | None = typer.Option(None, "--config", "-c", help="config .toml; default: configs/default.toml"),
    workbook: Path | None = typer.Option(None, "--program", help="program workbook (for names)"),
    show_names: bool = typer.Option(False, "--show-names", help="participant names (needs --program)"),
    single_workbook: bool = typer.Option(False, "--single-workbook", help="one xlsx, a sheet per person"),
) -> None:
    """Write per-person timetables: calendar files, printable pages, workbooks."""
    from iopsched.export import run_export

    try:
        result = run_export(
            schedule=schedule,
            to=to,
            formats=formats,
            week_of=week_of,
            who=who.value,
            config=config,
            program=workbook,
            show_names=show_names,
            single_workbook=single_workbook,
        )
    except IopschedError as exc:
        _fail(exc)
    typer.echo(result.summary())


@app.command()
def generate(
    size: Size = typer.Option(Size.small, "--size", help="participants: small 20, medium 60, large 150, xl 400"),
    seed: int = typer.Option(0, "--seed", help="the same size, kind and seed give the same program"),
    out: Path = typer.Option(..., "-o", "--out", help="output folder (program.xlsx is written in it) or .xlsx path"),
    kind: Kind = typer.Option(
        Kind.classic, "--kind",
        help="classic (easy, the default) | mix (day/evening, packed) | evening (70% day-shift "
             "workers) | adolescent (half teens after school) | prescriber (one prescriber, one "
             "day) | planted (mix + participants no schedule can meet, listed in planted.json)"),
    rooms: int | None = typer.Option(
        None, "--rooms", min=1,
        help="keep N rooms (group rooms, offices, telehealth in proportion, biggest first); "
             "fewer than the kind plans for can make the week infeasible"),
    referrals: float = typer.Option(
        0.0, "--referrals", min=0.0,
        help="add a Referrals sheet of PCT %% of the participants (people like those in care, "
             "priorities 1-3), e.g. 10"),
) -> None:
    """Generate a realistic program workbook of a given size and kind."""
    from iopsched.generate.programs import write_generated

    try:
        path = write_generated(size.value, seed, out, kind=kind.value, rooms=rooms, referrals=referrals)
    except IopschedError as exc:
        _fail(exc)
    typer.echo(f"wrote {path}")


@app.command()
def diff(
    last: Path = typer.Argument(..., help="last week's schedule"),
    this: Path = typer.Argument(..., help="this week's schedule"),
) -> None:
    """What changed between two schedules, per participant and per staff member."""
    from iopsched.analysis.diff import run_diff

    try:
        typer.echo(run_diff(last, this))
    except IopschedError as exc:
        _fail(exc)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
