"""`iopsched report`: the compliance and utilisation figures as a workbook, CSV files and an
HTML page; and the same as the solve's Compliance sheet.

The figures come from `compliance.figures`; this module only lays them out. Participants
appear by id; `show_names` adds a name column to the participants table (never printed).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd

from iopsched.domain import Program
from iopsched.errors import InputError
from iopsched.report.compliance import Figures, check_matches, figures, next_monday, summary_lines
from iopsched.workbook.safe_io import atomic_path, neutralise, write_text_atomic
from iopsched.workbook.writer import ComplianceTables, write_table

# the Compliance sheet of a schedule workbook and the report's Participants table
PARTICIPANT_COLUMNS = (
    "participant_id", "level", "rule_set", "week_hours", "week_hours_min", "week_hours_max", "days",
    "services", "services_per_day", "tiers_per_day", "days_high_tier", "days_standard_tier",
    "days_below_min", "certified_until", "meets_rule_set", "flags",
)
# table -> (sheet name, csv file name)
TABLES = {
    "participants": ("Participants", "participants.csv"),
    "days": ("Days", "days.csv"),
    "flags": ("Flags", "flags.csv"),
    "service_types": ("ServiceTypes", "service_types.csv"),
    "staff": ("Staff", "staff.csv"),
    "room_use": ("RoomUse", "room_use.csv"),
    "staff_use": ("StaffUse", "staff_use.csv"),
}


def records(df: pd.DataFrame) -> list[dict]:
    return df.to_dict("records")


def _with_names(df: pd.DataFrame, program: Program, show_names: bool) -> pd.DataFrame:
    if not show_names:
        return df
    names = {p.participant_id: p.name for p in program.participants}
    out = df.copy()
    out.insert(1, "name", [names.get(pid, "") for pid in out["participant_id"]])
    return out


def program_rows(fig: Figures) -> list[dict]:
    """The Program sheet: key figures, then the rule sets in use with their sources."""
    rows = [{"key": k, "value": v} for k, v in fig.program.items()]
    for rs in fig.rule_sets.values():
        for k in ("week_hours_min", "week_hours_max", "day_services_min", "day_services_high_tier",
                  "recertify_days", "source"):
            v = getattr(rs, k)
            if v not in (None, ""):
                rows.append({"key": f"rule_set.{rs.name}.{k}", "value": v})
    return rows


def write_workbook(fig: Figures, program: Program, path: Path, show_names: bool = False) -> None:
    from openpyxl import Workbook


    wb = Workbook()
    ws = wb.active
    ws.title = "Program"
    write_table(ws, ("key", "value"), program_rows(fig), widths=(40, 70))
    for attr, (sheet, _csv) in TABLES.items():
        df = getattr(fig, attr)
        if attr == "participants":
            df = _with_names(df, program, show_names)
        write_table(wb.create_sheet(sheet), tuple(df.columns), records(df))
    with atomic_path(path) as tmp:
        wb.save(tmp)


def write_csv(fig: Figures, program: Program, folder: Path, show_names: bool = False) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    tables = {"program": pd.DataFrame(program_rows(fig), columns=["key", "value"])}
    tables |= {attr: getattr(fig, attr) for attr in TABLES}
    for attr, df in tables.items():
        if attr == "participants":
            df = _with_names(df, program, show_names)
        df = df.map(neutralise)  # formula-like text is never evaluated by a spreadsheet
        buf = io.StringIO()
        df.to_csv(buf, index=False, lineterminator="\n")
        target = folder / (TABLES[attr][1] if attr in TABLES else "program.csv")
        write_text_atomic(target, buf.getvalue())
        out.append(target)
    return out


def compliance_tables(fig: Figures, program: Program, show_names: bool = False) -> ComplianceTables:
    """What the solve's schedule workbook shows of the figures: Summary rows, the Compliance
    sheet (one row per participant) and a line per participant for "By participant"."""
    df = _with_names(fig.participants, program, show_names)
    return ComplianceTables(summary_rows(fig), tuple(df.columns), records(df), participant_notes(fig))


def participant_notes(fig) -> dict[str, str]:
    """A line per participant for "By participant": hours against their rule set, days,
    services per day with the day's tier, and the flags."""
    out = {}
    for r in fig.participants.to_dict("records"):
        if r["rule_set"]:
            rng = f"min {r['week_hours_min']:g}" if r["week_hours_min"] != "" else ""
            if r["week_hours_max"] != "":
                rng += (", " if rng else "") + f"max {r['week_hours_max']:g}"
            hours = f"{r['week_hours']:g} h ({rng}{'; ' if rng else ''}{r['rule_set']})"
        else:
            hours = f"{r['week_hours']:g} h (no rule set)"
        text = f"{hours} · {r['days']} day{'s' if r['days'] != 1 else ''}"
        if r["services_per_day"]:
            text += f" · services {(r['tiers_per_day'] and _with_tiers(r)) or r['services_per_day']}"
        if r["flags"]:
            text += f" · FLAGS: {r['flags']}"
        out[r["participant_id"]] = text
    return out


def _with_tiers(r: dict) -> str:
    tiers = dict(x.split(" ", 1) for x in r["tiers_per_day"].split(", ") if x)
    parts = []
    for x in r["services_per_day"].split(", "):
        day, n = x.split(" ", 1)
        parts.append(f"{day} {n}" + (f" ({tiers[day]})" if day in tiers else ""))
    return ", ".join(parts)


def summary_rows(fig: Figures) -> dict[str, object]:
    """The program figures as `compliance.<key>` rows of a schedule's Summary."""
    return {f"compliance.{k}": v for k, v in fig.program.items()}


def run_report(schedule: Path, program_path: Path, config: Path | None = None, output: Path | None = None,
               html: Path | None = None, csv: Path | None = None, show_names: bool = False,
               week_of: str | None = None, today: dt.date | None = None) -> tuple[list[str], list[str]]:
    """`iopsched report`: read, compute, write. Returns (lines to print, warnings); raises
    InputError on bad input. Nothing here prints."""
    from iopsched.workbook.config import load_config
    from iopsched.workbook.parse import monday_of
    from iopsched.workbook.reader import read_program
    from iopsched.workbook.schedule_reader import read_schedule

    schedule, program_path = Path(schedule), Path(program_path)
    for src in (schedule, program_path):
        if not src.exists():
            raise InputError(f"{src}: file not found")
    for out in (output, html, csv):
        if out is not None and Path(out).resolve() in (schedule.resolve(), program_path.resolve()):
            raise InputError(f"refused: the output {out} is also an input; choose another path")
    if output is not None and Path(output).suffix.lower() != ".xlsx":
        raise InputError(f"the output {output} must end in .xlsx")
    rules = load_config(config)
    program, warnings = read_program(program_path, rules)
    sched = read_schedule(schedule)
    check_matches(program, sched, str(schedule))
    week_start = monday_of(week_of) if week_of else next_monday(today)
    fig = figures(program, sched, week_start)
    lines = summary_lines(fig)
    if output is not None:
        write_workbook(fig, program, Path(output), show_names)
        lines.append(f"wrote {output}")
    if csv is not None:
        write_csv(fig, program, Path(csv), show_names)
        lines.append(f"wrote {len(TABLES) + 1} CSV files to {csv}")
    if html is not None:
        from iopsched.report.html import write_html

        page = write_html(fig, program, Path(html), show_names)
        lines.append(f"wrote {page}")
    return lines, [str(w) for w in warnings]
