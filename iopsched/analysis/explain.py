"""Why a requirement is unmet: a sentence a coordinator can act on, derived from the data.

For each shortfall the explanation looks at what the participant could possibly attend
(opening hours, commitments widened by the travel buffer, sessions of eligible types
whose leaders are available) and names the binding cause with its facts. When the
participant's own time allows it, the cause is capacity (full groups, busy leaders or
rooms), and the reason says so.
"""

from __future__ import annotations

from collections import defaultdict

from iopsched.analysis.requirements import Shortfall, shortfalls
from iopsched.domain import (
    DAY_NAMES,
    Participant,
    Program,
    SessionType,
    blocked,
    day_name,
    eligible,
    hhmm,
)
from iopsched.schedule import Schedule, Unmet


def _fmt_hours(h: float) -> str:
    return f"{h:g} h"


def free_windows(program: Program, p: Participant, day: int) -> list[tuple[int, int]]:
    """Opening hours of a day minus the participant's commitments widened by the travel buffer."""
    r = program.rules
    buf = r.travel_buffer_minutes
    return subtract((r.open, r.close), [(c.start - buf, c.end + buf) for c in p.commitments if c.day == day])


def subtract(window: tuple[int, int], covered) -> list[tuple[int, int]]:
    """The parts of `window` outside every interval of `covered`."""
    parts = [window]
    for lo, hi in covered:
        nxt = []
        for a, b in parts:
            if hi <= a or b <= lo:
                nxt.append((a, b))
                continue
            if a < lo:
                nxt.append((a, lo))
            if hi < b:
                nxt.append((hi, b))
        parts = nxt
    return parts


def reachable(program: Program, p: Participant, t: SessionType | None = None):
    """Per day, the session starts p could attend: (type, start, end), where a leader (and, for
    a co-led type, a co-leader who is someone else) is available."""
    r = program.rules
    out: dict[int, list[tuple[SessionType, int, int]]] = defaultdict(list)
    for st in program.session_types:
        if (t is not None and st is not t) or not eligible(p, st):
            continue
        leaders = [s for s in program.staff if st.staff_role in s.roles]
        co_leaders = [s for s in program.staff if st.co_leader_role in s.roles]
        for day in r.days:
            for start in range(r.open, r.close - st.minutes + 1, r.slot_minutes):
                end = start + st.minutes
                if blocked(p, day, start, end, r.travel_buffer_minutes):
                    continue
                here = [s.staff_id for s in leaders if s.available(day, start, end)]
                if here and (st.co_leader_role is None or any(
                        c.available(day, start, end) and [c.staff_id] != here for c in co_leaders)):
                    out[day].append((st, start, end))
    return out


def _union_minutes(intervals) -> int:
    total, cur_lo, cur_hi = 0, None, None
    for lo, hi in sorted(intervals):
        if cur_hi is None or lo > cur_hi:
            if cur_hi is not None:
                total += cur_hi - cur_lo
            cur_lo, cur_hi = lo, hi
        else:
            cur_hi = max(cur_hi, hi)
    if cur_hi is not None:
        total += cur_hi - cur_lo
    return total


def day_capacity_hours(program: Program, p: Participant) -> dict[int, float]:
    """An upper bound of the hours p could attend on each open day (own time and leaders only)."""
    reach = reachable(program, p)
    out = {}
    for day in program.rules.days:
        counted = [(s, e) for st, s, e in reach.get(day, []) if st.counts_toward_hours]
        out[day] = min(_union_minutes(counted) / 60, p.day_hours_max)
    return out


def commitments_text(p: Participant) -> str:
    """'work Mon-Fri 08:00-17:00; caregiving Tue 14:30-16:00' (days with equal times merged)."""
    groups: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    for c in p.commitments:
        groups[c.reason, c.start, c.end].append(c.day)
    parts = []
    for (reason, start, end), days in sorted(groups.items(), key=lambda kv: (min(kv[1]), kv[0][1])):
        parts.append(f"{reason} {_day_ranges(days)} {hhmm(start)}-{hhmm(end)}")
    return "; ".join(parts)


def _day_ranges(days) -> str:
    days = sorted(set(days))
    runs, run = [], [days[0]]
    for d in days[1:]:
        if d == run[-1] + 1:
            run.append(d)
        else:
            runs.append(run)
            run = [d]
    runs.append(run)
    return ", ".join(DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" for r in runs)


def _because(p: Participant) -> str:
    text = commitments_text(p)
    return f" because of {text}" if text else ""


def full_sessions(program: Program, p: Participant, schedule: Schedule | None, days) -> str:
    """' (Process Group Mon 18:00 is full, 12/12; ...)': scheduled groups p could have joined."""
    if schedule is None:
        return ""
    rooms = program.room_by_id()
    types = program.type_by_name()
    r = program.rules
    full = []
    for x in sorted(schedule.sessions, key=lambda x: (x.day, x.start, x.session_type)):
        t = types.get(x.session_type)
        if t is None or not t.is_group or x.day not in days or p.participant_id in x.participants:
            continue
        if not eligible(p, t) or blocked(p, x.day, x.start, x.end, r.travel_buffer_minutes):
            continue
        room = rooms.get(x.room_id)
        seats = t.max_size if room is None or room.capacity is None else min(t.max_size, room.capacity)
        if x.size >= seats:
            full.append(f"{t.name} {day_name(x.day)} {hhmm(x.start)} is full, {x.size}/{seats}")
    if not full:
        return ""
    more = f"; and {len(full) - 3} more" if len(full) > 3 else ""
    return " (" + "; ".join(full[:3]) + more + ")"


NOT_PROVEN = ("not met within the time limit: the search ended before it met this or proved that the "
              "program cannot; a longer --time-limit may meet it")
NO_WEEK_ALONE = ("no schedule can meet this: even with the program to themselves, the sessions open to this "
                 "participant at times they are free{because} cannot make up a week that meets it (compact days, "
                 "daily and weekly maxima)")

AROUND_KEPT = ("not met around the weeks kept from last week: everyone last week fully met keeps that week "
               "(config keep_met_weeks = true), and no week that keeps them meets this; moving some of them "
               "may: set keep_met_weeks = false and solve again")


def explain(program: Program, p: Participant, s: Shortfall, schedule: Schedule | None = None, *,
            capacity_proven: bool = True, hopeless: bool = False, around_kept: bool = False) -> str:
    """The reason for one shortfall. A cause in the participant's own data (their free time,
    leaders' hours when they are free) is named whenever it binds; a capacity cause (full
    sessions, busy leaders or rooms) only when `capacity_proven` (stage 1 proved that no
    schedule meets more participants). Otherwise the reason says the search ran out of time;
    `hopeless`: the participant alone cannot be met (the bound), whatever the data check finds;
    `around_kept`: week to week, the weeks kept from last week (proven) leave them short where
    the program's bound would not."""
    own = own_reason(program, p, s)
    if own is not None:
        return own
    if hopeless:
        return NO_WEEK_ALONE.format(because=_because(p))
    if not capacity_proven:
        return NOT_PROVEN
    if around_kept:
        return AROUND_KEPT
    return _capacity_reason(program, p, s, schedule)


def own_reason(program: Program, p: Participant, s: Shortfall) -> str | None:
    """A cause of the shortfall in the participant's own time and the leaders' hours, or None."""
    caps = day_capacity_hours(program, p)
    possible = [d for d in program.rules.days if caps[d] + 1e-9 >= p.day_hours_min]
    if s.requirement == "days":
        if len(possible) < p.days_min:
            names = ", ".join(day_name(d) for d in possible) or "none"
            return (f"can attend {_fmt_hours(p.day_hours_min)} or more on only {len(possible)} "
                    f"day{'s' if len(possible) != 1 else ''} ({names}){_because(p)}; needs {p.days_min}")
        return None
    if s.requirement == "day_hours":
        d = s.day
        assert d is not None, "a day_hours shortfall names its day"
        if caps.get(d, 0) + 1e-9 < p.day_hours_min:
            free = ", ".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in free_windows(program, p, d)) or "no time"
            return (f"on {day_name(d)} sessions this participant can attend cover at most "
                    f"{_fmt_hours(round(caps.get(d, 0), 2))} (free {free}{_because(p)})")
        return None
    if s.requirement == "week_hours":
        ub = sum(sorted(caps.values(), reverse=True)[: p.days_max])
        if ub + 1e-9 < p.week_hours_min:
            return (f"at most {_fmt_hours(round(ub, 2))} a week fit this participant's free time{_because(p)}; "
                    f"needs {_fmt_hours(p.week_hours_min)}")
        return None
    t = program.type_by_name().get(s.requirement)
    if t is None:
        return "requirement not met"
    if not any(reachable(program, p, t).values()):
        roles = [t.staff_role] if t.co_leader_role is None else [t.staff_role, t.co_leader_role]
        leaders = [st for st in program.staff if set(roles) & st.roles]
        hours = "; ".join(f"{st.staff_id} works " + ", ".join(str(w) for w in st.windows[:6]) for st in leaders)
        free = "; ".join(
            f"{day_name(d)} " + ", ".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in free_windows(program, p, d))
            for d in program.rules.days if free_windows(program, p, d)
        ) or "never inside opening hours"
        who = t.staff_role if t.co_leader_role is None else f"{t.staff_role} with a {t.co_leader_role} beside them"
        return (f"no {who} is available for {t.name} at a time this participant can attend "
                f"({hours or 'no staff member holds the role'}; participant is free {free})")
    return None


def _capacity_reason(program: Program, p: Participant, s: Shortfall, schedule: Schedule | None) -> str:
    """The shortfall put down to capacity: the sessions that fit were full, their leaders or
    rooms busy (only said where stage 1 proved that no schedule meets more participants)."""
    caps = day_capacity_hours(program, p)
    possible = [d for d in program.rules.days if caps[d] + 1e-9 >= p.day_hours_min]
    if s.requirement == "days":
        return (f"free on {len(possible)} days ({', '.join(day_name(d) for d in possible)}) but the sessions "
                f"there were full or their leaders and rooms were taken{full_sessions(program, p, schedule, possible)}"
                "; add a session or a leader on one of them")
    if s.requirement == "day_hours":
        d = s.day
        assert d is not None, "a day_hours shortfall names its day"
        return (f"on {day_name(d)} the sessions that fit were full or their leaders were busy"
                f"{full_sessions(program, p, schedule, [d])}; add a session that day")
    if s.requirement == "week_hours":
        return ("the sessions at times this participant is free were full or their leaders were busy"
                f"{full_sessions(program, p, schedule, possible)}; add a session in their free time")
    t = program.type_by_name()[s.requirement]
    n = sum(len(v) for v in reachable(program, p, t).values())
    return (f"every one of the {n} {t.name} times this participant could attend was taken "
            f"(the {t.staff_role}s or rooms were busy); add {t.staff_role} hours in their free time")


def unmet_rows(program: Program, schedule: Schedule, *, proven: bool = True,
               hopeless: frozenset[str] = frozenset(), around_kept: frozenset[str] = frozenset()) -> list[Unmet]:
    """The Unmet sheet's rows. `proven`: stage 1 proved that no schedule fully meets more
    participants (capacity reasons are true of the program); `hopeless`: participants whose
    own data proves them unmet; `around_kept`: those short only around the weeks kept from
    last week (as far as the bounds tell)."""
    people = program.participant_by_id()
    rows = []
    for s in shortfalls(program, schedule):
        p = people[s.participant_id]
        reason = explain(program, p, s, schedule, capacity_proven=proven,
                         hopeless=s.participant_id in hopeless, around_kept=s.participant_id in around_kept)
        rows.append(Unmet(s.participant_id, s.requirement, s.required, round(s.scheduled, 2), reason, s.day))
    return rows
