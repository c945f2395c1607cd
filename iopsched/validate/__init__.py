"""`iopsched validate`: an independent check of any schedule against the rules.

Re-derives every hard rule of SCHEDULING.md (rules 1-8), the requirements (a shortfall
must be listed on the Unmet sheet) and the workbook's own consistency (sizes, Unmet rows,
Summary counts, Attendance columns) from the program and the rules alone. It never
imports the model or the solver, so a bug there cannot hide here.

Every violation is one line a coordinator can act on: the rule, the ids, the day and
times, and what is wrong. Participant names are never printed, only ids.

The package: `index` (violations, their wording, the schedule indexed once, the rules'
conditions from the raw data), `rules` (rules 1-8), `sheets` (requirements, the workbook's
consistency, the Attendance sheet, referrals) and here the entry points.
"""

from __future__ import annotations

from collections import Counter

from iopsched.domain import Program
from iopsched.schedule import Schedule
from iopsched.validate.index import (
    EPS,
    RULES,
    SUMMARY_COUNTS,
    UNMET_TOLERANCE,
    Index,
    Load,
    Shortfall,
    Violation,
)
from iopsched.validate.rules import (
    check_rule1,
    check_rule2,
    check_rule3,
    check_rule4,
    check_rule5,
    check_rule6,
    check_rule7,
    check_rule8,
)
from iopsched.validate.sheets import (
    admitted,
    check_attendance_sheet,
    check_consistency,
    check_referrals,
    check_requirements,
    shortfalls_of,
)

# the validator's interface (the rest of index, rules and sheets is theirs)
__all__ = ["CHECKS", "EPS", "RULES", "SUMMARY_COUNTS", "UNMET_TOLERANCE", "Index", "Load", "Shortfall", "Violation",
           "check_attendance_sheet", "check_consistency", "check_referrals", "check_requirements", "check_rule1",
           "check_rule2", "check_rule3", "check_rule4", "check_rule5", "check_rule6", "check_rule7", "check_rule8",
           "counts", "hard_rule_violations", "shortfalls_of", "validate_schedule", "verdict"]


# --- entry points ----------------------------------------------------------------------------


CHECKS = (check_rule1, check_rule2, check_rule3, check_rule4, check_rule5, check_rule6,
          check_rule7, check_rule8)


def validate_schedule(program: Program, schedule: Schedule) -> list[Violation]:
    """Every violation of the rules, requirements and workbook consistency, in a fixed order."""
    week = admitted(program, schedule)
    ix = Index(week, schedule)
    out: list[Violation] = []
    for check in CHECKS:
        out += check(ix)
    out += check_requirements(ix, schedule.unmet)
    out += check_referrals(program, ix, schedule)
    out += check_consistency(ix, schedule)
    return out


def hard_rule_violations(program: Program, schedule: Schedule) -> list[Violation]:
    """Violations of the hard rules (1-8) alone: the sessions and attendances, not the Unmet
    sheet or the Summary (the solve checks its own week with this before it returns it)."""
    ix = Index(admitted(program, schedule), schedule)
    return [v for check in CHECKS for v in check(ix)]



def counts(violations: list[Violation]) -> dict[str, int]:
    c = Counter(v.rule for v in violations)
    return {rule: c[rule] for rule in RULES if c[rule]}


def verdict(violations: list[Violation], n_sessions: int, n_participants: int) -> str:
    if not violations:
        return f"VALID: {n_sessions} sessions, {n_participants} participants, 0 violations"
    n = len(violations)
    parts = ", ".join(f"{rule}: {k}" for rule, k in counts(violations).items())
    return f"INVALID: {n} violation{'s' if n != 1 else ''} ({parts})"
