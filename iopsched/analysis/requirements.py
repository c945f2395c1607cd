"""What a schedule gives each participant, and which requirements fall short.

Shared by the solve (to write the Unmet sheet and count participants fully met) and the
explanations. The validator re-derives the same facts on its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from iopsched.domain import Participant, Program, weekly_min_for
from iopsched.schedule import Schedule

EPS = 1e-9


@dataclass
class Attended:
    """One participant's week as scheduled."""

    day_minutes: dict[int, int] = field(default_factory=dict)  # counting toward hours
    days: set[int] = field(default_factory=set)
    type_counts: dict[str, int] = field(default_factory=dict)

    @property
    def week_hours(self) -> float:
        return sum(self.day_minutes.values()) / 60


@dataclass(frozen=True)
class Shortfall:
    participant_id: str
    requirement: str  # days | day_hours | week_hours | <session type>
    day: int | None
    required: float
    scheduled: float


def attended(program: Program, schedule: Schedule) -> dict[str, Attended]:
    types = program.type_by_name()
    out: dict[str, Attended] = {p.participant_id: Attended() for p in program.participants}
    for s in schedule.sessions:
        t = types.get(s.session_type)
        for pid in s.participants:
            a = out.setdefault(pid, Attended())
            a.days.add(s.day)
            a.day_minutes.setdefault(s.day, 0)
            if t is None or t.counts_toward_hours:
                a.day_minutes[s.day] += s.end - s.start
            a.type_counts[s.session_type] = a.type_counts.get(s.session_type, 0) + 1
    return out


def shortfalls_of(program: Program, p: Participant, a: Attended) -> list[Shortfall]:
    pid = p.participant_id
    out = []
    if len(a.days) < p.days_min:
        out.append(Shortfall(pid, "days", None, p.days_min, len(a.days)))
    for day in sorted(a.days):
        hours = a.day_minutes.get(day, 0) / 60
        if hours + EPS < p.day_hours_min:
            out.append(Shortfall(pid, "day_hours", day, p.day_hours_min, hours))
    if a.week_hours + EPS < p.week_hours_min:
        out.append(Shortfall(pid, "week_hours", None, p.week_hours_min, a.week_hours))
    for t in program.session_types:
        need = weekly_min_for(p, t)
        have = a.type_counts.get(t.name, 0)
        if have < need:
            out.append(Shortfall(pid, t.name, None, need, have))
    return out


def shortfalls(program: Program, schedule: Schedule) -> list[Shortfall]:
    att = attended(program, schedule)
    out: list[Shortfall] = []
    for p in program.participants:
        out += shortfalls_of(program, p, att[p.participant_id])
    return out


def minutes_by_day(schedule: Schedule, participant_id: str) -> dict[int, list[tuple[int, int]]]:
    days: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for s in schedule.sessions_of(participant_id):
        days[s.day].append((s.start, s.end))
    return days
