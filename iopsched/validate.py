"""`iopsched validate`: an independent check of any schedule against the rules.

Re-derives every hard rule of SCHEDULING.md (rules 1-8), the requirements (a shortfall
must be listed on the Unmet sheet) and the workbook's own consistency (sizes, Unmet rows,
Summary counts, Attendance columns) from the program and the rules alone. It never
imports the model or the solver, so a bug there cannot hide here.

Every violation is one line a coordinator can act on: the rule, the ids, the day and
times, and what is wrong. Participant names are never printed, only ids.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from iopsched.domain import (
    Commitment,
    Participant,
    Program,
    SessionType,
    Staff,
    day_name,
    hhmm,
)
from iopsched.schedule import Schedule, Session, Unmet

RULES = ("rule1", "rule2", "rule3", "rule4", "rule5", "rule6", "rule7", "rule8",
         "requirement", "referral", "consistency")
EPS = 1e-9  # float tolerance on hour comparisons
UNMET_TOLERANCE = 0.01  # an Unmet row's `scheduled` / `required` may be rounded this much
SUMMARY_COUNTS = ("participants", "sessions", "participants_fully_met")


@dataclass(frozen=True)
class Violation:
    rule: str  # rule1..rule8, requirement, consistency
    message: str
    participant_id: str = ""
    session_id: str = ""
    staff_id: str = ""
    room_id: str = ""
    day: str = ""


# --- formatting ---------------------------------------------------------------------------


def _label(rule: str) -> str:
    return f"rule {rule[4:]}" if rule.startswith("rule") else rule


def _v(rule: str, text: str, **ids: str) -> Violation:
    return Violation(rule, f"{_label(rule)}: {text}", **ids)


def _desc(s: Session) -> str:
    return f"{s.session_id} {s.session_type} {day_name(s.day)} {hhmm(s.start)}-{hhmm(s.end)}"


def _h(minutes: float) -> str:
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".") + " h"


def _n(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _ids(s: Session, **extra: str) -> dict[str, str]:
    return {"session_id": s.session_id, "day": day_name(s.day), **extra}


# --- the schedule, indexed once -------------------------------------------------------------


@dataclass
class Load:
    """What one participant attends in the week."""

    days: set[int] = field(default_factory=set)
    day_minutes: Counter = field(default_factory=Counter)  # minutes counting toward hours
    type_week: Counter = field(default_factory=Counter)
    type_day: Counter = field(default_factory=Counter)  # (type, day) -> sessions

    @property
    def week_minutes(self) -> int:
        return sum(self.day_minutes.values())


@dataclass(frozen=True)
class Shortfall:
    requirement: str  # days | day_hours | week_hours | <session type>
    day: int | None
    required: float
    scheduled: float


def _order(s: Session) -> tuple:
    return (s.day, s.start, s.end, s.session_id)


class Index:
    """Sessions by participant, staff and room (sorted by day and time) and each load."""

    def __init__(self, program: Program, schedule: Schedule):
        self.program = program
        self.rules = program.rules
        self.types = program.type_by_name()
        self.staff = program.staff_by_id()
        self.rooms = program.room_by_id()
        self.people = program.participant_by_id()
        self.sessions = list(schedule.sessions)
        self.members: dict[str, tuple[str, ...]] = {
            s.session_id: tuple(dict.fromkeys(s.participants)) for s in self.sessions
        }
        self.by_participant: dict[str, list[Session]] = defaultdict(list)
        self.by_staff: dict[str, list[Session]] = defaultdict(list)
        self.by_room: dict[str, list[Session]] = defaultdict(list)
        for s in sorted(self.sessions, key=_order):
            for pid in self.members[s.session_id]:
                self.by_participant[pid].append(s)
            if s.staff_id:
                self.by_staff[s.staff_id].append(s)
            if s.co_leader_id and s.co_leader_id != s.staff_id:  # co-leading is running it too
                self.by_staff[s.co_leader_id].append(s)
            if s.room_id:
                self.by_room[s.room_id].append(s)
        # iterate people, staff and rooms by id: the report does not depend on row order
        for index in (self.by_participant, self.by_staff, self.by_room):
            ordered = sorted(index.items())
            index.clear()
            index.update(ordered)
        self.loads = {pid: self._load(ss) for pid, ss in self.by_participant.items()}

    def _load(self, sessions: list[Session]) -> Load:
        load = Load()
        for s in sessions:
            t = self.types.get(s.session_type)
            load.days.add(s.day)
            if t is None or t.counts_toward_hours:
                load.day_minutes[s.day] += s.end - s.start
            load.type_week[s.session_type] += 1
            load.type_day[s.session_type, s.day] += 1
        return load

    def load(self, pid: str) -> Load:
        return self.loads.get(pid) or Load()

    def type_of(self, s: Session) -> SessionType | None:
        return self.types.get(s.session_type)


def _overlapping(sessions: Iterable[Session]) -> Iterator[tuple[Session, Session]]:
    """(earlier, later) pairs that overlap, from sessions sorted by day and start.

    Each session is compared with the latest-ending session before it on its day: one
    pass after the sort, and every session that overlaps an earlier one is reported.
    """
    latest: Session | None = None
    for s in sessions:
        if latest is not None and latest.day == s.day and s.start < latest.end:
            yield latest, s
        if latest is None or latest.day != s.day or s.end > latest.end:
            latest = s


# --- the rules' conditions, from the raw program data ------------------------------------------
# Written here from SCHEDULING.md, not imported: the model prunes its options with helpers of
# iopsched.domain (blocked, eligible, Staff.available, Participant.in_program), and a bug there
# must not pass both.


def _date_outside_program(p: Participant, day: int, week_start: dt.date | None) -> dt.date | None:
    """Rule 1: the date of `day` when it lies before p's start_date or after their end_date
    (dates count only when the week is known)."""
    if week_start is None:
        return None
    date = week_start + dt.timedelta(days=day)
    if (p.start_date is not None and date < p.start_date) or (p.end_date is not None and date > p.end_date):
        return date
    return None


def _commitment_hit(p: Participant, s: Session, buffer: int) -> Commitment | None:
    """Rule 1: the first of p's commitments that session s overlaps once the commitment is
    widened by the travel buffer on both sides."""
    for c in p.commitments:
        if c.day == s.day and s.start < c.end + buffer and s.end > c.start - buffer:
            return c
    return None


def _inside_a_window(staff: Staff, s: Session) -> bool:
    """Rule 3: session s lies wholly inside one of the staff member's availability windows."""
    return any(w.day == s.day and w.start <= s.start and s.end <= w.end for w in staff.windows)


def _ineligible(p: Participant, t: SessionType) -> str | None:
    """Rule 5: why p may not attend sessions of type t, or None when they may (the track among
    the type's tracks, matched case-insensitively; every required tag; a medication session only
    when flagged needs_medication, a family session only when flagged family_sessions)."""
    if t.tracks and p.track.casefold() not in {x.casefold() for x in t.tracks}:
        return f"track {p.track} is not among {t.name}'s tracks ({', '.join(sorted(t.tracks))})"
    missing = t.tags_required - p.tags
    if missing:
        return f"lacks the required tag(s) {', '.join(sorted(missing))}"
    if t.kind == "medication" and not p.needs_medication:
        return "is not flagged needs_medication"
    if t.kind == "family" and not p.family_sessions:
        return "is not flagged family_sessions"
    return None


def _weekly_min(p: Participant, t: SessionType) -> int:
    """The type's weekly minimum for p: a requirement only where p may attend the type."""
    return t.weekly_min if _ineligible(p, t) is None else 0


def _by_day(sessions: list[Session]) -> dict[int, list[Session]]:
    days: dict[int, list[Session]] = defaultdict(list)
    for s in sessions:
        days[s.day].append(s)
    return days


# --- rule 1: a participant is never in two places at once --------------------------------------


def check_rule1(ix: Index) -> list[Violation]:
    out = []
    buffer = ix.rules.travel_buffer_minutes
    for pid, sessions in ix.by_participant.items():
        p = ix.people.get(pid)
        for a, b in _overlapping(sessions):
            out.append(_v("rule1", f"{pid} attends {_desc(a)} and {_desc(b)}, which overlap",
                          participant_id=pid, **_ids(b)))
        if p is None:
            continue
        for s in sessions:
            date = _date_outside_program(p, s.day, ix.program.week_start)  # only with --week-of
            if date is not None:
                out.append(_v("rule1", f"{pid} attends {_desc(s)} on {date.isoformat()}, outside their "
                                       f"time in the program ({p.start_date or '…'} to {p.end_date or '…'})",
                              participant_id=pid, **_ids(s)))
                continue
            c = _commitment_hit(p, s, buffer)
            if c is None:
                continue
            if s.start < c.end and c.start < s.end:
                what = f"overlaps {c} (+{buffer} min travel buffer)"
            else:
                what = (f"falls in the travel buffer of {c} (+{buffer} min: "
                        f"{hhmm(max(0, c.start - buffer))}-{hhmm(min(24 * 60, c.end + buffer))})")
            out.append(_v("rule1", f"{pid} attends {_desc(s)}, which {what}", participant_id=pid,
                          **_ids(s)))
    return out


# --- rule 2: opening hours, open days, the grid, the type's minutes ---------------------------


def check_rule2(ix: Index) -> list[Violation]:
    r = ix.rules
    out = []
    for s in ix.sessions:
        def bad(text: str, s: Session = s) -> None:
            out.append(_v("rule2", f"{_desc(s)} {text}", **_ids(s)))

        t = ix.type_of(s)
        if t is None:
            bad(f"has unknown session type '{s.session_type}' (not on sheet SessionTypes)")
        elif s.kind and s.kind != t.kind:
            bad(f"is marked kind '{s.kind}' but {t.name} is {_a(t.kind)} session")
        if s.day not in r.days:
            bad(f"is on {day_name(s.day)}, which is not an open day "
                f"({', '.join(day_name(d) for d in r.days)})")
        if s.start < r.open or s.end > r.close:
            bad(f"lies outside opening hours {hhmm(r.open)}-{hhmm(r.close)}")
        if (s.start - r.open) % r.slot_minutes:
            bad(f"starts off the {r.slot_minutes}-minute grid (from {hhmm(r.open)})")
        if t is not None and s.end - s.start != t.minutes:
            bad(f"lasts {s.end - s.start} min; {t.name} lasts {t.minutes} min")
    return out


# --- rule 3: one qualified, available leader (and co-leader); no double-booking; staff hours -


def check_rule3(ix: Index) -> list[Violation]:
    out = []
    for s in ix.sessions:
        out += _leader(ix, s)
        out += _co_leader(ix, s)
    for sid, sessions in ix.by_staff.items():
        for a, b in _overlapping(sessions):
            second = "" if _runs(sid, a) == _runs(sid, b) else _runs(sid, b) + " "
            out.append(_v("rule3", f"{sid} {_runs(sid, a)} {_desc(a)} and {second}{_desc(b)}, which overlap",
                          staff_id=sid, **_ids(b)))
        staff = ix.staff.get(sid)
        if staff is not None:
            out += _staff_hours(staff, sessions)
    return out


def _leader(ix: Index, s: Session) -> list[Violation]:
    sid = s.staff_id
    ids = _ids(s, staff_id=sid)
    if not sid:
        return [_v("rule3", f"{_desc(s)} has no leader (staff_id is blank)", **ids)]
    if "," in sid or ";" in sid:
        return [_v("rule3", f"{_desc(s)} names more than one leader ({sid}); exactly one leads",
                   **ids)]
    staff = ix.staff.get(sid)
    if staff is None:
        return [_v("rule3", f"{_desc(s)} is led by {sid}, who is not on sheet Staff", **ids)]
    out = []
    t = ix.type_of(s)
    if t is not None and t.staff_role not in staff.roles:
        roles = ", ".join(sorted(staff.roles)) or "none"
        out.append(_v("rule3", f"{_desc(s)} is led by {sid}, who lacks the role '{t.staff_role}' "
                      f"(roles: {roles})", **ids))
    if not _inside_a_window(staff, s):
        windows = ", ".join(str(w) for w in staff.windows if w.day == s.day) or "none that day"
        out.append(_v("rule3", f"{_desc(s)} is led by {sid} outside their availability "
                      f"(windows: {windows})", **ids))
    return out


def _runs(sid: str, s: Session) -> str:
    """What staff member sid does in session s: 'leads' or 'co-leads'."""
    return "co-leads" if s.co_leader_id == sid and s.staff_id != sid else "leads"


def _co_leader(ix: Index, s: Session) -> list[Violation]:
    """Rule 3 for a co-led type (SessionTypes.co_leader_role): exactly one co-leader, not the
    leader, holding the role, inside their availability (overlaps and hours: check_rule3)."""
    t = ix.type_of(s)
    cid = s.co_leader_id
    ids = _ids(s, staff_id=cid or s.staff_id)
    if t is None or (t.co_leader_role is None and not cid):
        return []
    if t.co_leader_role is None:
        return [_v("rule3", f"{_desc(s)} names co-leader {cid}, but {t.name} has no co_leader_role "
                   "(one leader)", **ids)]
    if not cid:
        return [_v("rule3", f"{_desc(s)} has no co-leader (co_leader_id is blank); {t.name} is co-led "
                   f"by {_a(t.co_leader_role)}", **ids)]
    if "," in cid or ";" in cid:
        return [_v("rule3", f"{_desc(s)} names more than one co-leader ({cid}); exactly one co-leads", **ids)]
    if cid == s.staff_id:
        return [_v("rule3", f"{_desc(s)} is co-led by its own leader {cid}; the co-leader is someone else",
                   **ids)]
    staff = ix.staff.get(cid)
    if staff is None:
        return [_v("rule3", f"{_desc(s)} is co-led by {cid}, who is not on sheet Staff", **ids)]
    out = []
    if t.co_leader_role not in staff.roles:
        roles = ", ".join(sorted(staff.roles)) or "none"
        out.append(_v("rule3", f"{_desc(s)} is co-led by {cid}, who lacks the role '{t.co_leader_role}' "
                      f"(roles: {roles})", **ids))
    if not _inside_a_window(staff, s):
        windows = ", ".join(str(w) for w in staff.windows if w.day == s.day) or "none that day"
        out.append(_v("rule3", f"{_desc(s)} is co-led by {cid} outside their availability "
                      f"(windows: {windows})", **ids))
    return out


def _staff_hours(staff: Staff, sessions: list[Session]) -> list[Violation]:
    """Hours a staff member leads or co-leads, against their maxima."""
    out = []
    sid = staff.staff_id
    does = {_runs(sid, s) for s in sessions}
    verb = "leads and co-leads" if len(does) > 1 else next(iter(does), "leads")
    week = 0
    for day, ss in sorted(_by_day(sessions).items()):
        minutes = sum(s.end - s.start for s in ss)
        week += minutes
        if staff.max_hours_day is not None and minutes / 60 > staff.max_hours_day + EPS:
            out.append(_v("rule3", f"{sid} {verb} {_h(minutes)} on {day_name(day)}, above "
                          f"max_hours_day {_n(staff.max_hours_day)}", staff_id=sid,
                          day=day_name(day)))
    if staff.max_hours_week is not None and week / 60 > staff.max_hours_week + EPS:
        out.append(_v("rule3", f"{sid} {verb} {_h(week)} this week, above max_hours_week "
                      f"{_n(staff.max_hours_week)}", staff_id=sid))
    return out


# --- rule 4: a fitting room, one session at a time --------------------------------------------


def check_rule4(ix: Index) -> list[Violation]:
    out = []
    for s in ix.sessions:
        rid = s.room_id
        ids = _ids(s, room_id=rid)
        room = ix.rooms.get(rid)
        if room is None:
            what = "has no room (room_id is blank)" if not rid else f"is in {rid}, not on sheet Rooms"
            out.append(_v("rule4", f"{_desc(s)} {what}", **ids))
            continue
        t = ix.type_of(s)
        kind = t.kind if t is not None else s.kind
        if kind and kind not in room.kinds:
            out.append(_v("rule4", f"{_desc(s)} is {_a(kind)} session in {rid}, which hosts only "
                          f"{', '.join(sorted(room.kinds)) or 'nothing'}", **ids))
        size = len(ix.members[s.session_id])
        if not room.fits(size):
            out.append(_v("rule4", f"{_desc(s)} has {size} participants in {rid}, which seats "
                          f"{room.capacity}", **ids))
    for rid, sessions in ix.by_room.items():
        for a, b in _overlapping(sessions):
            out.append(_v("rule4", f"{rid} holds {_desc(a)} and {_desc(b)} at once", room_id=rid,
                          **_ids(b)))
    return out


# --- rule 5: group sizes and who may attend ---------------------------------------------------


def check_rule5(ix: Index) -> list[Violation]:
    out = []
    for s in ix.sessions:
        t = ix.type_of(s)
        if t is None:
            continue
        members = ix.members[s.session_id]
        size = len(members)
        if t.is_group and not t.min_size <= size <= t.max_size:
            out.append(_v("rule5", f"{_desc(s)} has {size} participants; {t.name} holds "
                          f"{t.min_size}-{t.max_size}", **_ids(s)))
        elif not t.is_group and size != 1:
            out.append(_v("rule5", f"{_desc(s)} has {size} participants; {_a(t.kind)} session has "
                          "exactly 1", **_ids(s)))
        for pid in members:
            p = ix.people.get(pid)
            why = _ineligible(p, t) if p is not None else None
            if why is not None:
                out.append(_v("rule5", f"{pid} attends {_desc(s)} but {why}", participant_id=pid,
                              **_ids(s)))
    return out


# --- rule 6: participant maxima -----------------------------------------------------------------


def check_rule6(ix: Index) -> list[Violation]:
    out = []
    for pid in ix.by_participant:
        p = ix.people.get(pid)
        if p is None:
            continue
        load = ix.load(pid)

        def bad(text: str, day: int | None = None, pid: str = pid) -> None:
            out.append(_v("rule6", f"{pid} {text}", participant_id=pid,
                          day=day_name(day) if day is not None else ""))

        if len(load.days) > p.days_max:
            days = ", ".join(day_name(d) for d in sorted(load.days))
            bad(f"attends {len(load.days)} days ({days}); days_max is {p.days_max}")
        for day, minutes in sorted(load.day_minutes.items()):
            if minutes / 60 > p.day_hours_max + EPS:
                bad(f"has {_h(minutes)} on {day_name(day)}; day_hours_max is "
                    f"{_n(p.day_hours_max)}", day)
        if load.week_minutes / 60 > p.week_hours_max + EPS:
            bad(f"has {_h(load.week_minutes)} this week; week_hours_max is {_n(p.week_hours_max)}")
        for name, count in sorted(load.type_week.items()):
            t = ix.types.get(name)
            if t is not None and t.weekly_max is not None and count > t.weekly_max:
                bad(f"attends {count} {name} sessions this week; weekly_max is {t.weekly_max}")
        for (name, day), count in sorted(load.type_day.items()):
            t = ix.types.get(name)
            if t is not None and count > t.daily_max:
                bad(f"attends {count} {name} sessions on {day_name(day)}; daily_max is "
                    f"{t.daily_max}", day)
    return out


# --- rule 7: compact days ----------------------------------------------------------------------


def check_rule7(ix: Index) -> list[Violation]:
    out = []
    limit = ix.rules.max_gap_minutes
    for pid, sessions in ix.by_participant.items():
        for day_sessions in _by_day(sessions).values():
            prev = day_sessions[0]
            for s in day_sessions[1:]:
                gap = s.start - prev.end
                if gap > limit:
                    out.append(_v("rule7", f"{pid} waits {gap} min between {_desc(prev)} and "
                                  f"{_desc(s)}; max_gap_minutes is {limit}", participant_id=pid,
                                  **_ids(s)))
                if s.end > prev.end:
                    prev = s
    return out


# --- rule 8: pinned sessions --------------------------------------------------------------------


def check_rule8(ix: Index) -> list[Violation]:
    out = []
    by_key: dict[tuple, list[Session]] = defaultdict(list)
    for s in ix.sessions:
        by_key[s.session_type, s.day, s.start, s.staff_id, s.room_id].append(s)
    matched: set[str] = set()
    for pin in ix.program.pinned:
        what = (f"pinned {pin.session_type} {day_name(pin.day)} {hhmm(pin.start)} with "
                f"{pin.staff_id} in {pin.room_id}")
        where = f" (Pinned row {pin.row})" if pin.row else ""
        ids = {"staff_id": pin.staff_id, "room_id": pin.room_id, "day": day_name(pin.day)}
        candidates = by_key.get((pin.session_type, pin.day, pin.start, pin.staff_id, pin.room_id))
        if not candidates:
            out.append(_v("rule8", f"the {what}{where} is not in the schedule at that time, "
                          "leader and room", **ids))
            continue
        wanted = set(pin.participants)
        s = max(candidates, key=lambda c: (c.pinned, len(wanted & set(c.participants))))
        matched.add(s.session_id)
        ids["session_id"] = s.session_id
        if not s.pinned:
            out.append(_v("rule8", f"{_desc(s)} is the {what}{where} but is not marked pinned",
                          **ids))
        for pid in pin.participants:
            if pid not in s.participants:
                out.append(_v("rule8", f"{pid} is pinned to {_desc(s)}{where} but does not "
                              "attend it", participant_id=pid, **ids))
    for s in ix.sessions:
        if s.pinned and s.session_id not in matched:
            out.append(_v("rule8", f"{_desc(s)} is marked pinned but matches no row of sheet "
                          "Pinned (type, day, start, staff, room)", **_ids(s, staff_id=s.staff_id,
                                                                         room_id=s.room_id)))
    return out


# --- requirements ---------------------------------------------------------------------------


def shortfalls_of(program: Program, p: Participant, load: Load) -> list[Shortfall]:
    """Every requirement of p that the scheduled load falls short of."""
    out = []
    if len(load.days) < p.days_min:
        out.append(Shortfall("days", None, p.days_min, len(load.days)))
    for day in sorted(load.days):
        hours = load.day_minutes.get(day, 0) / 60
        if hours + EPS < p.day_hours_min:
            out.append(Shortfall("day_hours", day, p.day_hours_min, hours))
    week = load.week_minutes / 60
    if week + EPS < p.week_hours_min:
        out.append(Shortfall("week_hours", None, p.week_hours_min, week))
    for t in program.session_types:
        need = _weekly_min(p, t)
        if load.type_week.get(t.name, 0) < need:
            out.append(Shortfall(t.name, None, need, load.type_week.get(t.name, 0)))
    return out


def _unmet_key(requirement: str, day: int | None) -> tuple[str, int | None]:
    req = requirement.strip().casefold()
    return req, day if req == "day_hours" else None


def _describe_requirement(req: str, day: int | None) -> str:
    if req == "day_hours":
        return f"day_hours on {day_name(day)}" if day is not None else "day_hours"
    return req


def check_requirements(ix: Index, unmet: list[Unmet]) -> list[Violation]:
    listed = {(u.participant_id, *_unmet_key(u.requirement, u.day)) for u in unmet}
    out = []
    for p in ix.program.participants:
        pid = p.participant_id
        for sf in shortfalls_of(ix.program, p, ix.load(pid)):
            if (pid, *_unmet_key(sf.requirement, sf.day)) in listed:
                continue
            day = day_name(sf.day) if sf.day is not None else ""
            out.append(_v("requirement", f"{pid} falls short of "
                          f"{_describe_requirement(sf.requirement, sf.day)}: scheduled "
                          f"{_n(sf.scheduled)}, required {_n(sf.required)}, and sheet Unmet does "
                          "not list it", participant_id=pid, day=day))
    return out


# --- consistency of the workbook with itself -----------------------------------------------------


def check_consistency(ix: Index, schedule: Schedule) -> list[Violation]:
    return _sessions_consistency(ix, schedule) + _unmet_consistency(ix, schedule.unmet) \
        + _summary_consistency(ix, schedule.summary)


def _sessions_consistency(ix: Index, schedule: Schedule) -> list[Violation]:
    out = []
    for s in ix.sessions:
        for pid, n in Counter(s.participants).items():
            if pid not in ix.people:
                out.append(_v("consistency", f"{pid} attends {_desc(s)} but is not on sheet "
                              "Participants of the program", participant_id=pid, **_ids(s)))
            if n > 1:
                out.append(_v("consistency", f"{pid} is listed {n} times in {_desc(s)}",
                              participant_id=pid, **_ids(s)))
        declared = schedule.declared_sizes.get(s.session_id)
        if declared is not None and declared != len(s.participants):
            out.append(_v("consistency", f"{_desc(s)} has size {declared} on sheet Sessions but "
                          f"{len(s.participants)} rows on sheet Attendance", **_ids(s)))
    return out


def _actual(ix: Index, p: Participant, req: str, day: int | None) -> tuple[float, float] | str:
    """(required, scheduled) of one requirement of p, or why there is no such requirement."""
    load = ix.load(p.participant_id)
    if req == "days":
        return p.days_min, len(load.days)
    if req == "day_hours":
        if day is None:
            return "the row names no day"
        if day not in load.days:
            return f"{day_name(day)} is not an attended day, so no daily minimum applies"
        return p.day_hours_min, load.day_minutes.get(day, 0) / 60
    if req == "week_hours":
        return p.week_hours_min, load.week_minutes / 60
    types = {t.name.casefold(): t for t in ix.program.session_types}
    t = types.get(req)
    if t is None:
        return "it is not days, day_hours, week_hours or a session type"
    need = _weekly_min(p, t)
    if need == 0:
        return f"{t.name} has no weekly minimum for this participant"
    return need, load.type_week.get(t.name, 0)


def _unmet_consistency(ix: Index, unmet: list[Unmet]) -> list[Violation]:
    out = []
    seen: set[tuple] = set()
    for u in unmet:
        pid = u.participant_id
        day = day_name(u.day) if u.day is not None else ""
        label = f"Unmet row {pid} {u.requirement}" + (f" {day}" if day else "")

        def bad(text: str, pid: str = pid, day: str = day, label: str = label) -> None:
            out.append(_v("consistency", f"{label}: {text}", participant_id=pid, day=day))

        key = (pid, *_unmet_key(u.requirement, u.day))
        if key in seen:
            bad("is listed twice")
            continue
        seen.add(key)
        p = ix.people.get(pid)
        if p is None:
            bad(f"{pid} is not on sheet Participants of the program")
            continue
        actual = _actual(ix, p, key[1], u.day)
        if isinstance(actual, str):
            bad(f"lists a requirement that does not apply: {actual}")
            continue
        required, scheduled = actual
        if scheduled + EPS >= required:
            bad(f"is listed as unmet but is met (scheduled {_n(scheduled)}, required "
                f"{_n(required)})")
            continue
        if abs(u.scheduled - scheduled) > UNMET_TOLERANCE:
            bad(f"says scheduled {_n(u.scheduled)} but the schedule gives {_n(scheduled)}")
        if abs(u.required - required) > UNMET_TOLERANCE:
            bad(f"says required {_n(u.required)} but the participant requires {_n(required)}")
    return out


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _summary_consistency(ix: Index, summary: dict[str, object]) -> list[Violation]:
    fully_met = sum(1 for p in ix.program.participants
                    if not shortfalls_of(ix.program, p, ix.load(p.participant_id)))
    truth = {"participants": len(ix.program.participants), "sessions": len(ix.sessions),
             "participants_fully_met": fully_met}
    out = []
    for key in SUMMARY_COUNTS:
        value = summary.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        number = _as_number(value)
        if number is None:
            out.append(_v("consistency", f"Summary {key} is '{value}', not a number (expected "
                          f"{truth[key]})"))
        elif abs(number - truth[key]) > EPS:
            out.append(_v("consistency", f"Summary {key} is {_n(number)} but the schedule has "
                          f"{truth[key]}"))
    return out


# --- the Attendance sheet's copies of the session columns ------------------------------------


def check_attendance_sheet(path: Path, schedule: Schedule) -> list[Violation]:
    """Attendance rows whose session_type/day/start/end/staff_id/room_id disagree with Sessions."""
    from iopsched.workbook.parse import CellError, is_blank, parse_day, parse_time, text

    table = _attendance_table(Path(path))
    if table is None:
        return []
    sessions = {s.session_id: s for s in schedule.sessions}
    parsers = {"session_type": (text, lambda s: s.session_type),
               "day": (parse_day, lambda s: s.day), "start": (parse_time, lambda s: s.start),
               "end": (parse_time, lambda s: s.end), "staff_id": (text, lambda s: s.staff_id),
               "room_id": (text, lambda s: s.room_id)}
    show: dict[str, Callable[[Any], str]] = {"day": day_name, "start": hhmm, "end": hhmm}
    out = []
    for row, rec in table.rows:
        s = sessions.get(text(rec.get("session_id")))
        if s is None:
            continue
        pid = text(rec.get("participant_id"))
        wrong = []
        for col, (parse, want) in parsers.items():
            value = rec.get(col)
            if col not in table.columns or is_blank(value):
                continue
            try:
                got = parse(value)
            except CellError:
                wrong.append(f"{col} '{value}' is not understood")
                continue
            if got != want(s):
                fmt: Callable[[Any], str] = show.get(col, str)
                wrong.append(f"{col} {fmt(got)} (Sessions: {fmt(want(s))})")
        if wrong:
            out.append(_v("consistency", f"Attendance row {row} ({pid} in {s.session_id}) "
                          f"disagrees with sheet Sessions: {'; '.join(wrong)}",
                          participant_id=pid, **_ids(s)))
    return out


def _attendance_table(path: Path):
    """Only the Attendance sheet (the human sheets of a big schedule take seconds to read).

    Called after `read_schedule` has read and vetted the same file.
    """
    from iopsched.errors import InputError
    from iopsched.workbook.tables import _table, norm, read_tables

    if path.is_dir() or path.suffix.lower() not in (".xlsx", ".xlsm"):
        return read_tables(path).get("attendance")
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_vba=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise InputError(f"{path}: cannot read the workbook ({exc.__class__.__name__})") from None
    try:
        for ws in wb.worksheets:
            if norm(ws.title) == "attendance":
                return _table(str(path), ws.title, ws.iter_rows(values_only=True))
    finally:
        wb.close()
    return None


# --- entry points ----------------------------------------------------------------------------


CHECKS = (check_rule1, check_rule2, check_rule3, check_rule4, check_rule5, check_rule6,
          check_rule7, check_rule8)


def validate_schedule(program: Program, schedule: Schedule) -> list[Violation]:
    """Every violation of the rules, requirements and workbook consistency, in a fixed order."""
    week = _admitted(program, schedule)
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
    ix = Index(_admitted(program, schedule), schedule)
    return [v for check in CHECKS for v in check(ix)]


# --- referrals (issue 19) ----------------------------------------------------------------------


def _admitted(program: Program, schedule: Schedule) -> Program:
    """The program of the week: a referral with a session in the schedule is admitted, so a
    participant of the week (checked by every rule like the others); the rest stay out."""
    if not program.referrals:
        return program
    attending = {pid for s in schedule.sessions for pid in s.participants}
    admitted = tuple(r.participant for r in program.referrals if r.referral_id in attending)
    return replace(program, participants=program.participants + admitted, referrals=())


def check_referrals(program: Program, ix: Index, schedule: Schedule) -> list[Violation]:
    """An admitted referral (one with any session) is fully met; a referral on the Waitlist has
    no session; the Waitlist names referrals only, each once."""
    out = []
    referrals = {r.referral_id: r for r in program.referrals}
    for rid in sorted(referrals):
        if rid not in ix.by_participant:
            continue
        p = ix.people[rid]
        for sf in shortfalls_of(ix.program, p, ix.load(rid)):
            day = day_name(sf.day) if sf.day is not None else ""
            out.append(_v("referral", f"referral {rid} is admitted (has sessions) but falls short of "
                          f"{_describe_requirement(sf.requirement, sf.day)}: scheduled {_n(sf.scheduled)}, "
                          f"required {_n(sf.required)}; an admitted referral must be fully met",
                          participant_id=rid, day=day))
    listed: Counter = Counter()
    for w in schedule.waitlist or []:
        listed[w.referral_id] += 1
        if w.referral_id not in referrals:
            out.append(_v("referral", f"Waitlist row {w.referral_id}: not on sheet Referrals of the program",
                          participant_id=w.referral_id))
        elif w.referral_id in ix.by_participant:
            first = ix.by_participant[w.referral_id][0]
            out.append(_v("referral", f"referral {w.referral_id} is on the Waitlist but attends "
                          f"{_desc(first)}", participant_id=w.referral_id, **_ids(first)))
    for rid, n in sorted(listed.items()):
        if n > 1:
            out.append(_v("referral", f"referral {rid} is on the Waitlist {n} times", participant_id=rid))
    return out


def counts(violations: list[Violation]) -> dict[str, int]:
    c = Counter(v.rule for v in violations)
    return {rule: c[rule] for rule in RULES if c[rule]}


def verdict(violations: list[Violation], n_sessions: int, n_participants: int) -> str:
    if not violations:
        return f"VALID: {n_sessions} sessions, {n_participants} participants, 0 violations"
    n = len(violations)
    parts = ", ".join(f"{rule}: {k}" for rule, k in counts(violations).items())
    return f"INVALID: {n} violation{'s' if n != 1 else ''} ({parts})"
