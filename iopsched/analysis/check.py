"""`iopsched check`: what the workbook holds, and the cheap necessary conditions before a solve.

- counts of everything read;
- per open day: staff hours by role, room hours by kind;
- demand against supply per role (session hours the participants' weekly minimums need,
  against the staff hours holding that role);
- participants whose free time inside opening hours cannot hold their minimum days and
  hours, or who can reach no leader for a weekly service (with the reason).
"""

from __future__ import annotations

from collections import defaultdict

from iopsched.analysis.explain import day_capacity_hours, explain, reachable
from iopsched.analysis.requirements import Shortfall
from iopsched.domain import Program, day_name, eligible


def _h(minutes: float) -> str:
    return f"{minutes / 60:g} h"


def check_program(program: Program) -> str:
    """`iopsched check`'s report: the program in figures, staff and room hours per day, the
    weekly demand for services against the staff who hold the roles, and the participants
    whose own free time cannot hold their minimums whatever the schedule."""
    r = program.rules
    lines = [
        f"{len(program.participants)} participants, {len(program.staff)} staff, {len(program.rooms)} rooms, "
        f"{len(program.session_types)} session types, {len(program.pinned)} pinned sessions",
        f"open {', '.join(day_name(d) for d in r.days)} {r.open // 60:02d}:{r.open % 60:02d}-"
        f"{r.close // 60:02d}:{r.close % 60:02d}, {r.slot_minutes}-minute slots",
        "",
        "per day: staff hours by role | room hours by kind",
        *_per_day(program),
        "", "weekly demand against supply per role (weekly minimums of non-group services):",
    ]
    role_lines, warnings = _roles(program)
    lines += role_lines
    at_risk = _at_risk(program)
    lines.append("")
    if at_risk:
        lines.append(f"{len(at_risk)} participant(s) cannot meet every requirement whatever the schedule:")
        lines += at_risk
    else:
        lines.append("every participant's free time can hold their minimum days and hours")
    for w in warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


def _per_day(program: Program) -> list[str]:
    """Staff hours by role and room hours by kind, a line per open day."""
    r = program.rules
    lines = []
    for day in r.days:
        roles: dict[str, int] = defaultdict(int)
        for s in program.staff:
            minutes = sum(max(0, min(w.end, r.close) - max(w.start, r.open)) for w in s.windows if w.day == day)
            for role in s.roles:
                roles[role] += minutes
        kinds: dict[str, int] = defaultdict(int)
        for room in program.rooms:
            for k in room.kinds:
                kinds[k] += r.close - r.open
        lines.append(f"  {day_name(day)}: " + ", ".join(f"{k} {_h(v)}" for k, v in sorted(roles.items()))
                     + " | " + ", ".join(f"{k} {_h(v)}" for k, v in sorted(kinds.items())))
    return lines


def _roles(program: Program) -> tuple[list[str], list[str]]:
    """Per role, the weekly minutes of non-group services needed against the staff's hours
    (lines, and a warning where the need is more)."""
    r = program.rules
    supply: dict[str, int] = defaultdict(int)
    for s in program.staff:
        week = sum(max(0, min(w.end, r.close) - max(w.start, r.open)) for w in s.windows if w.day in r.days)
        if s.max_hours_week is not None:
            week = min(week, int(s.max_hours_week * 60))
        for role in s.roles:
            supply[role] += week
    demand: dict[str, int] = defaultdict(int)
    for t in program.session_types:
        if t.is_group:
            continue
        for p in program.participants:
            if eligible(p, t):
                demand[t.staff_role] += t.weekly_min * t.minutes
                if t.co_leader_role is not None:  # a co-led service needs its co-leader's time too
                    demand[t.co_leader_role] += t.weekly_min * t.minutes
    lines, warnings = [], []
    for role in sorted(set(demand) | set(supply)):
        lines.append(f"  {role}: needs {_h(demand[role])}, staff hold {_h(supply[role])} (shared with groups)")
        if demand[role] > supply[role]:
            warnings.append(f"role '{role}': weekly minimums need {_h(demand[role])} but staff holding it are "
                            f"available {_h(supply[role])}")
    return lines, warnings


def _at_risk(program: Program) -> list[str]:
    """A line per participant whose own free time cannot hold their minimums, with the reasons."""
    r = program.rules
    at_risk = []
    for p in program.participants:
        caps = day_capacity_hours(program, p)
        possible = [d for d in r.days if caps[d] + 1e-9 >= p.day_hours_min]
        reasons = []
        if len(possible) < p.days_min:
            reasons.append(explain(program, p, Shortfall(p.participant_id, "days", None, p.days_min, 0)))
        ub = sum(sorted(caps.values(), reverse=True)[: p.days_max])
        if ub + 1e-9 < p.week_hours_min:
            reasons.append(explain(program, p, Shortfall(p.participant_id, "week_hours", None,
                                                         p.week_hours_min, 0)))
        for t in program.session_types:
            if eligible(p, t) and t.weekly_min > 0 and not any(reachable(program, p, t).values()):
                reasons.append(explain(program, p, Shortfall(p.participant_id, t.name, None, t.weekly_min, 0)))
        if reasons:
            at_risk.append(f"  {p.participant_id}: " + "; ".join(reasons))
    return at_risk
