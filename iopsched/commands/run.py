"""`iopsched solve` end to end: read, solve with a progress display, write, one-line result."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

from iopsched.errors import InputError
from iopsched.report.compliance import figures, next_monday, summary_lines
from iopsched.report.files import compliance_tables
from iopsched.solver.solve import Progress, solve
from iopsched.workbook.config import load_config
from iopsched.workbook.parse import monday_of
from iopsched.workbook.reader import read_program
from iopsched.workbook.writer import write_schedule

EXIT_OK, EXIT_NO_SCHEDULE, EXIT_INTERRUPTED = 0, 1, 130


class ProgressLine:
    """Requirements first (participants fully met, and at most how many can be), then the
    preference stage's objective, bound and gap (stderr)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last = 0.0
        self.upper: int | None = None

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last < 1.0:
            return
        self.last = now
        if p.fully_met_bound is not None:
            self.upper = p.fully_met_bound
        met = f"fully met {p.fully_met}/{p.participants}"
        if self.upper is not None:
            met += f" (at most {self.upper} possible)"
        if p.phase == "requirements":
            text = f"{p.elapsed:6.1f}s  requirements  {met}"
        elif p.phase == "admissions":
            text = f"{p.elapsed:6.1f}s  admissions  admitted {p.admitted} of {p.referrals} referrals"
        else:
            local = p.phase == "local search"  # before CP-SAT: its weeks, and the counting bound only
            text = (f"{p.elapsed:6.1f}s  {met}  preferences{' (local search)' if local else ''}: "
                    f"objective {p.objective:,.0f}{_bound_note(p.bound, p.gap)}"
                    f"{'' if local else f'  solutions {p.solutions}'}")
        if self.tty:
            self.stream.write("\r" + text + "\033[K")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _bound_note(bound, gap: float) -> str:
    """The preference stage's bound, when it says something: a bound of 0 (CP-SAT's, on a large
    model, with the counting bound not binding) would show a gap of 100% on a week that may
    well be good, which reads as a failure to a coordinator (issue 15)."""
    if not isinstance(bound, (int, float)) or bound <= 0:
        return " (no lower bound known)"
    return f" (lower bound {bound:,.0f}, gap {gap:.1%})"


def admissions_line(s: dict) -> str:
    """'admissions: admitted 3 of 7 referrals (R02, R05, R01), 4 on the Waitlist (proven)'."""
    ids = f" ({s['admissions.admitted_ids']})" if s["admissions.admitted_ids"] else ""
    proof = ("proven: no week admits more by priority" if s["admissions.status"] == "OPTIMAL"
             else "not proven: a longer --time-limit may admit more")
    return (f"admissions: admitted {s['admissions.admitted']} of {s['admissions.referrals']} referrals{ids}, "
            f"{s['admissions.waitlisted']} on the Waitlist ({proof})")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def run_solve(*, workbook: Path, config: Path | None, output: Path, time_limit: float | None,
              workers: int | None, seed: int | None, previous: Path | None = None, freeze: str | None = None,
              show_names: bool = False, progress: bool = True, week_of: str | None = None,
              suggest: bool = False, suggest_time_limit: float = 10.0, deterministic: bool | None = None,
              started_at: float | None = None, admit: bool = False, prove: bool = False) -> int:
    """`iopsched solve`. The time limit counts from `started_at` (the start of the command).

    Long on purpose: the command end to end (read, solve, suggest, write, print), each step a
    library call, in the order a coordinator sees them."""
    started = time.monotonic() if started_at is None else started_at
    for src in [workbook, config, previous]:
        if src is not None and _same_file(Path(src), Path(output)):
            raise InputError(f"refused: the output {output} is also an input; choose another -o path")
    if output.suffix.lower() != ".xlsx":
        raise InputError(f"the output {output} must end in .xlsx")
    if time_limit is not None and time_limit <= 0:
        raise InputError("--time-limit must be a positive number of seconds")
    if workers is not None and workers < 0:
        raise InputError("--workers must be 0 (all cores) or more")
    rules = load_config(config)
    program, warnings = read_program(workbook, rules)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if admit and not program.referrals:
        raise InputError(f"--admit: {workbook} has no referrals to admit; add a Referrals sheet (the "
                         "Participants columns plus referral_date and priority, 1 = most urgent) with a row "
                         "per referral")
    last_week = None
    if previous is not None or freeze is not None:
        from iopsched.solver.continuity import prepare_previous

        program, last_week = prepare_previous(program, previous, freeze)
    if week_of is not None:
        program = replace(program, week_start=monday_of(week_of))
    line = ProgressLine() if progress else None
    schedule = solve(program, time_limit=time_limit, workers=workers, seed=seed, progress=line,
                     previous=last_week, freeze=freeze, interruptible=True, deterministic=deterministic,
                     started_at=started, prove=prove)
    if line:
        line.done()
    s = schedule.summary
    status = s["status"]
    if status not in ("OPTIMAL", "FEASIBLE"):
        print(f"{status}: no schedule found in {s['solve_seconds']} s; {output} was not written. "
              "Run `iopsched check` for input conflicts, or allow more time with --time-limit.",
              file=sys.stderr)
        return EXIT_INTERRUPTED if s.get("stopped_by") == "interrupt" else EXIT_NO_SCHEDULE
    if s.get("hard_rule_violations"):
        # never hand out a week the validator rejects (a defect of the search, not of the input)
        print(f"DEFECT: the week found breaks {s['hard_rule_violations']} hard rule(s) by the independent "
              f"validator; {output} was not written. Please report this with the workbook and config "
              "(`iopsched solve --deterministic` repeats the run).", file=sys.stderr)
        return EXIT_NO_SCHEDULE
    if program.referrals:  # the week's program: the admitted referrals are participants now
        program = program.admitting(schedule.admitted)
    if suggest and schedule.unmet:
        from iopsched.solver.suggest import suggest as find_suggestions

        suggest_time_limit = min(suggest_time_limit, time_limit or suggest_time_limit)
        print(f"looking for changes that meet the {len(schedule.unmet)} unmet requirement(s) "
              f"(each checked by a {suggest_time_limit:g} s re-solve)...", file=sys.stderr)
        found = find_suggestions(program, schedule, time_limit=suggest_time_limit, max_candidates=3)
        schedule.suggestions = [f"{x.text}" + ("" if x.verified else " (not checked: nothing to re-solve)")
                                for x in found]
        for line_ in schedule.suggestions:
            print(f"suggestion: {line_}")
    compliance = figures(program, schedule, program.week_start or next_monday())
    write_schedule(schedule, program, output, show_names=show_names,
                   compliance=compliance_tables(compliance, program, show_names))
    unmet = len(schedule.unmet)
    proof = "proven" if s["requirements_status"] == "OPTIMAL" else "not proven"
    objective = s["objective"]
    preferences = (f"preferences objective {objective:g}{_bound_note(s['best_bound'], s['gap'])}"
                   if isinstance(objective, (int, float)) and isinstance(s["gap"], float)
                   else "preferences not optimised")
    print(f"{status} in {time.monotonic() - started:.1f} s: {s['participants_fully_met']}/{s['participants']} "
          f"participants fully met (at most {s['upper_bound_fully_met']} possible, {proof}), {unmet} unmet "
          f"requirement{'s' if unmet != 1 else ''}, {s['sessions']} sessions, {preferences} -> {output}")
    for line_ in summary_lines(compliance):  # two lines: the week as payers see it
        print(line_)
    if schedule.waitlist is not None:
        print(admissions_line(s))
        print(f"free group seats (day: before 17:00): {s['admissions.free_group_seats']}")
    if s.get("stopped_by") == "interrupt":
        print("interrupted: the best schedule found so far was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK
