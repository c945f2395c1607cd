"""The plain result of a solve: sessions, who attends them, unmet requirements, summary.

This is what writers, the validator, exporters and `diff` consume. It knows nothing
about the CP-SAT model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from iopsched.domain import day_name, hhmm
from iopsched.stats import SolveStats

# co_leader_id (issue 19) comes last, so tools reading the columns by position keep working
SESSIONS_COLUMNS = ("session_id", "session_type", "kind", "day", "start", "end", "staff_id", "room_id", "size", "pinned",
                    "co_leader_id")
ATTENDANCE_COLUMNS = ("participant_id", "session_id", "session_type", "day", "start", "end", "staff_id", "room_id")
UNMET_COLUMNS = ("participant_id", "requirement", "day", "required", "scheduled", "reason")
WAITLIST_COLUMNS = ("rank", "referral_id", "priority", "referral_date", "reason")


@dataclass(frozen=True)
class Session:
    session_id: str
    session_type: str
    kind: str
    day: int
    start: int
    end: int
    staff_id: str
    room_id: str
    participants: tuple[str, ...] = ()
    pinned: bool = False
    co_leader_id: str | None = None  # the second staff member of a co-led type's session

    @property
    def staff_ids(self) -> tuple[str, ...]:
        """Everyone running the session: the leader, then the co-leader (if any)."""
        return (self.staff_id,) if self.co_leader_id is None else (self.staff_id, self.co_leader_id)

    def role_of(self, staff_id: str) -> str:
        """'leader' or 'co-leader' (a staff member's own timetable marks which)."""
        return "co-leader" if staff_id == self.co_leader_id and staff_id != self.staff_id else "leader"

    @property
    def size(self) -> int:
        return len(self.participants)

    def row(self) -> dict:
        return {
            "session_id": self.session_id,
            "session_type": self.session_type,
            "kind": self.kind,
            "day": day_name(self.day),
            "start": hhmm(self.start),
            "end": hhmm(self.end),
            "staff_id": self.staff_id,
            "room_id": self.room_id,
            "size": self.size,
            "pinned": "yes" if self.pinned else "no",
            "co_leader_id": self.co_leader_id or "",
        }


@dataclass(frozen=True)
class Unmet:
    participant_id: str
    requirement: str  # days | day_hours | week_hours | <session type name>
    required: float
    scheduled: float
    reason: str
    day: int | None = None

    def row(self) -> dict:
        return {
            "participant_id": self.participant_id,
            "requirement": self.requirement,
            "day": day_name(self.day) if self.day is not None else "",
            "required": _num(self.required),
            "scheduled": _num(self.scheduled),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Waitlisted:
    """A referral who could not start this week (the Waitlist sheet), in order of admission."""

    rank: int
    referral_id: str
    priority: int
    referral_date: dt.date
    reason: str

    def row(self) -> dict:
        return {"rank": self.rank, "referral_id": self.referral_id, "priority": self.priority,
                "referral_date": self.referral_date.isoformat(), "reason": self.reason}


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 2)


@dataclass
class Schedule:
    sessions: list[Session] = field(default_factory=list)
    unmet: list[Unmet] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)
    # filled when read back from a workbook: the `size` column as written, and each session's row
    declared_sizes: dict[str, int | None] = field(default_factory=dict)
    source_rows: dict[str, int] = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)  # checked changes (solve --suggest)
    # referrals (issue 19): those who could not start (the Waitlist sheet; None: the program
    # has no referrals, and the workbook no Waitlist sheet), and the ids of those admitted
    waitlist: list[Waitlisted] | None = None
    admitted: list[str] = field(default_factory=list)
    stats: SolveStats | None = None  # the solve's statistics, typed (the Summary is written from them)

    def attendance_rows(self) -> list[dict]:
        rows = []
        for s in self.sessions:
            for pid in s.participants:
                rows.append(
                    {
                        "participant_id": pid,
                        "session_id": s.session_id,
                        "session_type": s.session_type,
                        "day": day_name(s.day),
                        "start": hhmm(s.start),
                        "end": hhmm(s.end),
                        "staff_id": s.staff_id,
                        "room_id": s.room_id,
                    }
                )
        rows.sort(key=lambda r: (r["participant_id"], r["session_id"]))
        return rows

    def sessions_of(self, participant_id: str) -> list[Session]:
        return [s for s in self.sessions if participant_id in s.participants]
