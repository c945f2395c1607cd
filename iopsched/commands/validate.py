"""`iopsched validate`: load the program and a schedule, check it, print the violations."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

import typer

from iopsched.validate import RULES, check_attendance_sheet, validate_schedule, verdict
from iopsched.workbook.config import load_config
from iopsched.workbook.parse import monday_of
from iopsched.workbook.reader import read_program
from iopsched.workbook.schedule_reader import read_schedule


def run_validate(workbook: Path, schedule: Path, config: Path | None, as_json: bool,
                 week_of: str | None = None) -> int:
    """Load, check and report. Returns 0 when valid, 1 when not; IopschedError propagates.
    With `week_of` (any day of the schedule's week) admission and discharge dates are checked."""
    rules = load_config(config)
    program, warnings = read_program(Path(workbook), rules)
    if week_of is not None:
        program = replace(program, week_start=monday_of(week_of))
    sched = read_schedule(Path(schedule))
    for w in warnings:
        typer.echo(f"warning: {w}", err=True)
    violations = validate_schedule(program, sched) + check_attendance_sheet(Path(schedule), sched)
    violations.sort(key=lambda v: RULES.index(v.rule))  # stable: grouped by rule
    if as_json:
        tally = Counter(v.rule for v in violations)
        typer.echo(json.dumps({
            "valid": not violations,
            "violations": [asdict(v) for v in violations],
            "counts": {rule: tally[rule] for rule in RULES},
            "sessions": len(sched.sessions),
            "participants": len(program.participants),
        }, indent=2))
    else:
        for v in violations:
            typer.echo(v.message)
        typer.echo(verdict(violations, len(sched.sessions), len(program.participants)))
    return 0 if not violations else 1
