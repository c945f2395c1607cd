"""The hard rules of SCHEDULING.md (1-8), each checked from the rules alone."""

from __future__ import annotations

from collections import defaultdict

from iopsched.domain import (
    Staff,
    day_name,
    hhmm,
)
from iopsched.schedule import Session
from iopsched.validate.index import (
    EPS,
    Index,
    Violation,
    by_day,
    commitment_hit,
    date_outside_program,
    describe,
    hours_text,
    ids_of,
    ineligible,
    inside_a_window,
    number_text,
    overlapping,
    violation,
    with_article,
)

# --- rule 1: a participant is never in two places at once --------------------------------------


def check_rule1(ix: Index) -> list[Violation]:
    out = []
    buffer = ix.rules.travel_buffer_minutes
    for pid, sessions in ix.by_participant.items():
        p = ix.people.get(pid)
        for a, b in overlapping(sessions):
            out.append(violation("rule1", f"{pid} attends {describe(a)} and {describe(b)}, which overlap",
                          participant_id=pid, **ids_of(b)))
        if p is None:
            continue
        for s in sessions:
            date = date_outside_program(p, s.day, ix.program.week_start)  # only with --week-of
            if date is not None:
                out.append(violation("rule1", f"{pid} attends {describe(s)} on {date.isoformat()}, outside their "
                                       f"time in the program ({p.start_date or '…'} to {p.end_date or '…'})",
                              participant_id=pid, **ids_of(s)))
                continue
            c = commitment_hit(p, s, buffer)
            if c is None:
                continue
            if s.start < c.end and c.start < s.end:
                what = f"overlaps {c} (+{buffer} min travel buffer)"
            else:
                what = (f"falls in the travel buffer of {c} (+{buffer} min: "
                        f"{hhmm(max(0, c.start - buffer))}-{hhmm(min(24 * 60, c.end + buffer))})")
            out.append(violation("rule1", f"{pid} attends {describe(s)}, which {what}", participant_id=pid,
                          **ids_of(s)))
    return out


# --- rule 2: opening hours, open days, the grid, the type's minutes ---------------------------


def check_rule2(ix: Index) -> list[Violation]:
    r = ix.rules
    out = []
    for s in ix.sessions:
        def bad(text: str, s: Session = s) -> None:
            out.append(violation("rule2", f"{describe(s)} {text}", **ids_of(s)))

        t = ix.type_of(s)
        if t is None:
            bad(f"has unknown session type '{s.session_type}' (not on sheet SessionTypes)")
        elif s.kind and s.kind != t.kind:
            bad(f"is marked kind '{s.kind}' but {t.name} is {with_article(t.kind)} session")
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
        for a, b in overlapping(sessions):
            second = "" if _runs(sid, a) == _runs(sid, b) else _runs(sid, b) + " "
            out.append(violation("rule3", f"{sid} {_runs(sid, a)} {describe(a)} and {second}{describe(b)}, which overlap",
                          staff_id=sid, **ids_of(b)))
        staff = ix.staff.get(sid)
        if staff is not None:
            out += _staff_hours(staff, sessions)
    return out


def _leader(ix: Index, s: Session) -> list[Violation]:
    sid = s.staff_id
    ids = ids_of(s, staff_id=sid)
    if not sid:
        return [violation("rule3", f"{describe(s)} has no leader (staff_id is blank)", **ids)]
    if "," in sid or ";" in sid:
        return [violation("rule3", f"{describe(s)} names more than one leader ({sid}); exactly one leads",
                   **ids)]
    staff = ix.staff.get(sid)
    if staff is None:
        return [violation("rule3", f"{describe(s)} is led by {sid}, who is not on sheet Staff", **ids)]
    t = ix.type_of(s)
    return _role_and_window(s, sid, staff, t.staff_role if t is not None else None, "led", ids)


def _role_and_window(s: Session, sid: str, staff, role: str | None, verb: str, ids: dict) -> list[Violation]:
    """A leader (verb "led") or co-leader ("co-led") holds the role (None: not checked) and
    works at the session's time."""
    out = []
    if role is not None and role not in staff.roles:
        roles = ", ".join(sorted(staff.roles)) or "none"
        out.append(violation("rule3", f"{describe(s)} is {verb} by {sid}, who lacks the role '{role}' "
                             f"(roles: {roles})", **ids))
    if not inside_a_window(staff, s):
        windows = ", ".join(str(w) for w in staff.windows if w.day == s.day) or "none that day"
        out.append(violation("rule3", f"{describe(s)} is {verb} by {sid} outside their availability "
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
    ids = ids_of(s, staff_id=cid or s.staff_id)
    if t is None or (t.co_leader_role is None and not cid):
        return []
    if t.co_leader_role is None:
        return [violation("rule3", f"{describe(s)} names co-leader {cid}, but {t.name} has no co_leader_role "
                   "(one leader)", **ids)]
    if not cid:
        return [violation("rule3", f"{describe(s)} has no co-leader (co_leader_id is blank); {t.name} is co-led "
                   f"by {with_article(t.co_leader_role)}", **ids)]
    if "," in cid or ";" in cid:
        return [violation("rule3", f"{describe(s)} names more than one co-leader ({cid}); exactly one co-leads", **ids)]
    if cid == s.staff_id:
        return [violation("rule3", f"{describe(s)} is co-led by its own leader {cid}; the co-leader is someone else",
                   **ids)]
    staff = ix.staff.get(cid)
    if staff is None:
        return [violation("rule3", f"{describe(s)} is co-led by {cid}, who is not on sheet Staff", **ids)]
    return _role_and_window(s, cid, staff, t.co_leader_role, "co-led", ids)


def _staff_hours(staff: Staff, sessions: list[Session]) -> list[Violation]:
    """Hours a staff member leads or co-leads, against their maxima."""
    out = []
    sid = staff.staff_id
    does = {_runs(sid, s) for s in sessions}
    verb = "leads and co-leads" if len(does) > 1 else next(iter(does), "leads")
    week = 0
    for day, ss in sorted(by_day(sessions).items()):
        minutes = sum(s.end - s.start for s in ss)
        week += minutes
        if staff.max_hours_day is not None and minutes / 60 > staff.max_hours_day + EPS:
            out.append(violation("rule3", f"{sid} {verb} {hours_text(minutes)} on {day_name(day)}, above "
                          f"max_hours_day {number_text(staff.max_hours_day)}", staff_id=sid,
                          day=day_name(day)))
    if staff.max_hours_week is not None and week / 60 > staff.max_hours_week + EPS:
        out.append(violation("rule3", f"{sid} {verb} {hours_text(week)} this week, above max_hours_week "
                      f"{number_text(staff.max_hours_week)}", staff_id=sid))
    return out


# --- rule 4: a fitting room, one session at a time --------------------------------------------


def check_rule4(ix: Index) -> list[Violation]:
    out = []
    for s in ix.sessions:
        rid = s.room_id
        ids = ids_of(s, room_id=rid)
        room = ix.rooms.get(rid)
        if room is None:
            what = "has no room (room_id is blank)" if not rid else f"is in {rid}, not on sheet Rooms"
            out.append(violation("rule4", f"{describe(s)} {what}", **ids))
            continue
        t = ix.type_of(s)
        kind = t.kind if t is not None else s.kind
        if kind and kind not in room.kinds:
            out.append(violation("rule4", f"{describe(s)} is {with_article(kind)} session in {rid}, which hosts only "
                          f"{', '.join(sorted(room.kinds)) or 'nothing'}", **ids))
        size = len(ix.members[s.session_id])
        if not room.fits(size):
            out.append(violation("rule4", f"{describe(s)} has {size} participants in {rid}, which seats "
                          f"{room.capacity}", **ids))
    for rid, sessions in ix.by_room.items():
        for a, b in overlapping(sessions):
            out.append(violation("rule4", f"{rid} holds {describe(a)} and {describe(b)} at once", room_id=rid,
                          **ids_of(b)))
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
            out.append(violation("rule5", f"{describe(s)} has {size} participants; {t.name} holds "
                          f"{t.min_size}-{t.max_size}", **ids_of(s)))
        elif not t.is_group and size != 1:
            out.append(violation("rule5", f"{describe(s)} has {size} participants; {with_article(t.kind)} session has "
                          "exactly 1", **ids_of(s)))
        for pid in members:
            p = ix.people.get(pid)
            why = ineligible(p, t) if p is not None else None
            if why is not None:
                out.append(violation("rule5", f"{pid} attends {describe(s)} but {why}", participant_id=pid,
                              **ids_of(s)))
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
            out.append(violation("rule6", f"{pid} {text}", participant_id=pid,
                          day=day_name(day) if day is not None else ""))

        if len(load.days) > p.days_max:
            days = ", ".join(day_name(d) for d in sorted(load.days))
            bad(f"attends {len(load.days)} days ({days}); days_max is {p.days_max}")
        for day, minutes in sorted(load.day_minutes.items()):
            if minutes / 60 > p.day_hours_max + EPS:
                bad(f"has {hours_text(minutes)} on {day_name(day)}; day_hours_max is "
                    f"{number_text(p.day_hours_max)}", day)
        if load.week_minutes / 60 > p.week_hours_max + EPS:
            bad(f"has {hours_text(load.week_minutes)} this week; week_hours_max is {number_text(p.week_hours_max)}")
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
        for day_sessions in by_day(sessions).values():
            prev = day_sessions[0]
            for s in day_sessions[1:]:
                gap = s.start - prev.end
                if gap > limit:
                    out.append(violation("rule7", f"{pid} waits {gap} min between {describe(prev)} and "
                                  f"{describe(s)}; max_gap_minutes is {limit}", participant_id=pid,
                                  **ids_of(s)))
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
            out.append(violation("rule8", f"the {what}{where} is not in the schedule at that time, "
                          "leader and room", **ids))
            continue
        wanted = set(pin.participants)
        s = max(candidates, key=lambda c: (c.pinned, len(wanted & set(c.participants))))
        matched.add(s.session_id)
        ids["session_id"] = s.session_id
        if not s.pinned:
            out.append(violation("rule8", f"{describe(s)} is the {what}{where} but is not marked pinned",
                          **ids))
        for pid in pin.participants:
            if pid not in s.participants:
                out.append(violation("rule8", f"{pid} is pinned to {describe(s)}{where} but does not "
                              "attend it", participant_id=pid, **ids))
    for s in ix.sessions:
        if s.pinned and s.session_id not in matched:
            out.append(violation("rule8", f"{describe(s)} is marked pinned but matches no row of sheet "
                          "Pinned (type, day, start, staff, room)", **ids_of(s, staff_id=s.staff_id,
                                                                         room_id=s.room_id)))
    return out
