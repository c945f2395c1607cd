"""Week to week: last week's schedule as a hint and a stability term, and what changed.

A participant's week *changed* when the set of (session type, day, start) they attend
differs from last week's. The change is put down to the *input* when one of last week's
sessions can no longer hold for them (their commitments, dates, eligibility or the
leaders' availability changed), otherwise to the *solver* (moved to make room).
"""

from __future__ import annotations

from pathlib import Path

from iopsched.domain import Program
from iopsched.errors import InputError
from iopsched.schedule import Schedule
from iopsched.workbook.schedule_reader import read_schedule

FREEZE_MODES = ("participants", "sessions")


def prepare_previous(program: Program, previous: Path | None, freeze: str | None):
    """Read last week's schedule for `solve --previous` (and check --freeze)."""
    if freeze is not None and freeze not in FREEZE_MODES:
        raise InputError(f"--freeze must be one of {', '.join(FREEZE_MODES)} (found {freeze!r})")
    if freeze is not None and previous is None:
        raise InputError("--freeze needs --previous LAST_WEEK.xlsx: it keeps last week's assignments")
    return program, (read_schedule(previous) if previous is not None else None)


def _week(schedule: Schedule, pid: str) -> set[tuple[str, int, int]]:
    return {(s.session_type, s.day, s.start) for s in schedule.sessions if pid in s.participants}


def last_weeks(wm, previous: Schedule) -> dict[str, set[int]]:
    """Continuing participants whose sessions of last week can all run for them again, each
    with the model's option indices of those sessions (the weeks a solve can keep as they were)."""
    by_key = wm.option_by_key
    people = {p.participant_id for p in wm.program.participants}
    last: dict[str, set[int]] = {}
    for s in previous.sessions:
        o = by_key.get((s.session_type, s.day, s.start))
        for pid in s.participants:
            if pid in people:
                last.setdefault(pid, set()).add(o.index if o is not None else -1)
    return {pid: opts for pid, opts in last.items() if -1 not in opts and all((pid, oi) in wm.a for oi in opts)}


def kept_weeks(wm, previous: Schedule, schedule: Schedule) -> dict[str, set[int]]:
    """`last_weeks` of the participants whose week in `schedule` is exactly last week's."""
    return {pid: opts for pid, opts in last_weeks(wm, previous).items()
            if _week(schedule, pid) == _week(previous, pid)}


def week_changes(wm, previous: Schedule, schedule: Schedule) -> dict[str, object]:
    """Summary rows: how many participants' weeks changed, and why."""
    people = {p.participant_id for p in wm.program.participants}
    before = {pid for s in previous.sessions for pid in s.participants}
    can_run = last_weeks(wm, previous)
    continuing = sorted(people & before)
    changed, by_input = [], []
    for pid in continuing:
        if _week(previous, pid) == _week(schedule, pid):
            continue
        changed.append(pid)
        if pid not in can_run:  # one of last week's sessions can no longer hold for them
            by_input.append(pid)
    solver = [pid for pid in changed if pid not in by_input]
    return {
        "previous.participants_continuing": len(continuing),
        "previous.participants_new": len(people - before),
        "previous.participants_discharged": len(before - people),
        "previous.weeks_changed": len(changed),
        "previous.changed_input": len(by_input),
        "previous.changed_by_solver": len(solver),
        "previous.changed_by_solver_ids": ", ".join(solver),
    }
