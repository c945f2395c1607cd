"""The week as payers and clinical leads see it: compliance and utilisation figures.

Works on any schedule (written by `solve` or edited by hand) and the program it is for.
A *service* is an attended session of a type whose `counts_toward_hours` is true; a
participant's hours are the sum of those sessions' minutes / 60. Each participant is
checked against the rule set of their level of care (config `[compliance]`): hours a week
against `week_hours_min` / `week_hours_max`, each attended day's services against
`day_services_min` and `day_services_high_tier` (the day's payment tier), and a
recertification due within the week (Participants column `certified_until`).

The figures are pandas tables (aggregated with groupby by participant, day, service type,
staff and room); participants appear by id only, never by name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from iopsched.domain import Program, RuleSet, day_name, hhmm
from iopsched.errors import InputError, Problem
from iopsched.schedule import Schedule

# the day's tier (Days table): the rule set's higher tier, the billable day, below it
HIGH, STANDARD, BELOW = "high", "standard", "below"
# flags of a participant (Flags table, the `flags` column)
FLAGS = ("below_week_hours_min", "above_week_hours_max", "day_below_services_min", "recertification_due")
EPS = 1e-9


@dataclass
class Figures:
    """Every figure of the report. Tables are pandas DataFrames, one row per record."""

    participants: pd.DataFrame  # per participant: level, rule set, hours, days, tiers, flags
    days: pd.DataFrame  # per participant and attended day: services, hours, tier
    flags: pd.DataFrame  # one row per problem: participant_id, day, flag, detail
    service_types: pd.DataFrame  # hours by service type
    staff: pd.DataFrame  # staff hours against availability
    room_use: pd.DataFrame  # per room, day and hour: minutes used of 60
    staff_use: pd.DataFrame  # per day and hour: staff minutes leading / available
    program: dict[str, object] = field(default_factory=dict)  # key figures of the program
    week_start: dt.date | None = None
    rule_sets: dict[str, RuleSet] = field(default_factory=dict)  # the rule sets in use


def next_monday(today: dt.date | None = None) -> dt.date:
    today = today or dt.date.today()
    return today + dt.timedelta(days=7 - today.weekday())


def check_matches(program: Program, schedule: Schedule, file: str = "") -> None:
    """InputError when the schedule names participants, session types, staff or rooms the
    program does not have (the schedule is not of this program)."""
    types, staff, rooms = program.type_by_name(), program.staff_by_id(), program.room_by_id()
    people = program.participant_by_id()
    problems: list[Problem] = []

    def bad(what: str, value: str, sid: str, sheet: str = "Sessions", column: str = "") -> None:
        if len(problems) < 20:
            problems.append(Problem(f"{what} is not in the program workbook (is this schedule of "
                                    "another program?)", file=file, sheet=sheet,
                                    row=schedule.source_rows.get(sid), column=column, value=value))

    for s in schedule.sessions:
        if s.session_type not in types:
            bad(f"session {s.session_id}: session type", s.session_type, s.session_id, column="session_type")
        if s.staff_id and s.staff_id not in staff:
            bad(f"session {s.session_id}: staff id", s.staff_id, s.session_id, column="staff_id")
        if s.co_leader_id and s.co_leader_id not in staff:
            bad(f"session {s.session_id}: co-leader id", s.co_leader_id, s.session_id, column="co_leader_id")
        if s.room_id and s.room_id not in rooms:
            bad(f"session {s.session_id}: room id", s.room_id, s.session_id, column="room_id")
        for pid in s.participants:
            if pid not in people:
                problems.append(Problem(f"participant id in session {s.session_id} is not in the program "
                                        "workbook (is this schedule of another program?)", file=file,
                                        sheet="Attendance", column="participant_id", value=pid))
    if problems:
        raise InputError(problems[:20])


def _attendance(program: Program, schedule: Schedule) -> pd.DataFrame:
    types = program.type_by_name()
    rows = [(pid, s.session_id, s.session_type, s.day, s.start, s.end - s.start,
             types[s.session_type].counts_toward_hours if s.session_type in types else True)
            for s in schedule.sessions for pid in dict.fromkeys(s.participants)]
    return pd.DataFrame(rows, columns=["participant_id", "session_id", "session_type", "day", "start",
                                       "minutes", "counts"])


def _tier(services: int, rs: RuleSet | None) -> str:
    if rs is None or (rs.day_services_min is None and rs.day_services_high_tier is None):
        return ""
    if rs.day_services_high_tier is not None and services >= rs.day_services_high_tier:
        return HIGH
    if rs.day_services_min is not None and services < rs.day_services_min:
        return BELOW
    return STANDARD


def _h(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def figures(program: Program, schedule: Schedule, week_start: dt.date | None = None) -> Figures:
    """The compliance and utilisation figures of a schedule of `program`."""
    comp = program.rules.compliance
    week_start = week_start or program.week_start
    att = _attendance(program, schedule)
    svc = att[att["counts"].astype(bool)]
    rs_of = {p.participant_id: comp.rule_set_for(p.level) for p in program.participants}
    per_day, days = _per_day(att, svc, rs_of)
    participants, flags_df = _per_participant(program, svc, per_day, rs_of, week_start)
    staff = _staff(program, schedule)
    room_use = _room_use(program, schedule)
    summary = _summary(schedule, participants, days, flags_df, svc, staff, room_use, week_start)
    used = {p.level for p in program.participants}
    rule_sets = {rs.name: rs for lv in sorted(used) if (rs := comp.rule_set_for(lv)) is not None}
    return Figures(participants, days, flags_df, _service_types(program, schedule, att), staff, room_use,
                   _staff_use(program, schedule), summary, week_start, rule_sets)


def _per_day(att: pd.DataFrame, svc: pd.DataFrame, rs_of: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per participant and attended day: sessions of any kind, services and their hours, the
    day's tier (working frame by day number, and the Days table by day name)."""
    per_day = (att.groupby(["participant_id", "day"])
               .agg(sessions=("session_id", "size")))
    per_day_svc = svc.groupby(["participant_id", "day"]).agg(services=("session_id", "size"),
                                                             minutes=("minutes", "sum"))
    per_day = per_day.join(per_day_svc, how="left").fillna({"services": 0, "minutes": 0})
    per_day = per_day.reset_index().sort_values(["participant_id", "day"])
    per_day["services"] = per_day["services"].astype(int)
    per_day["hours"] = per_day["minutes"] / 60
    per_day["tier"] = [_tier(n, rs_of.get(pid)) for pid, n in zip(per_day["participant_id"],
                                                                   per_day["services"], strict=True)]
    days = pd.DataFrame({
        "participant_id": per_day["participant_id"],
        "day": [day_name(d) for d in per_day["day"]],
        "rule_set": [rs.name if (rs := rs_of.get(pid)) else "" for pid in per_day["participant_id"]],
        "sessions": per_day["sessions"].astype(int),
        "services": per_day["services"],
        "hours": per_day["hours"].round(2),
        "tier": per_day["tier"],
    }).reset_index(drop=True)
    return per_day, days


def _per_participant(program: Program, svc: pd.DataFrame, per_day: pd.DataFrame, rs_of: dict,
                     week_start: dt.date | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A row of figures and flags per participant, and the flags as a table of their own."""
    week = svc.groupby("participant_id").agg(services=("session_id", "size"), minutes=("minutes", "sum"))
    n_days = per_day.groupby("participant_id").size()
    flag_rows: list[dict] = []
    rows = []
    for p in sorted(program.participants, key=lambda p: p.participant_id):
        pid = p.participant_id
        rs = rs_of[pid]
        hours = float(week["minutes"].get(pid, 0)) / 60
        mine = per_day[per_day["participant_id"] == pid]
        tiers = list(mine["tier"])
        flags = _flags(p, rs, hours, mine, week_start)
        flag_rows += [{"participant_id": pid, "day": day, "flag": kind, "detail": detail}
                      for kind, detail, day in flags]
        on_schedule = [kind for kind, _detail, _day in flags if kind != "recertification_due"]
        rows.append({
            "participant_id": pid,
            "level": p.level,
            "rule_set": rs.name if rs else "",
            "week_hours": round(hours, 2),
            "week_hours_min": rs.week_hours_min if rs and rs.week_hours_min is not None else "",
            "week_hours_max": rs.week_hours_max if rs and rs.week_hours_max is not None else "",
            "days": int(n_days.get(pid, 0)),
            "services": int(week["services"].get(pid, 0)),
            "services_per_day": ", ".join(f"{day_name(d)} {n}" for d, n in zip(mine["day"], mine["services"],
                                                                               strict=True)),
            "tiers_per_day": ", ".join(f"{day_name(d)} {t}" for d, t in zip(mine["day"], tiers, strict=True)
                                       if t),
            "days_high_tier": tiers.count(HIGH),
            "days_standard_tier": tiers.count(STANDARD),
            "days_below_min": tiers.count(BELOW),
            "certified_until": p.certified_until.isoformat() if p.certified_until else "",
            "meets_rule_set": ("" if rs is None else "no" if on_schedule else "yes"),
            "flags": "; ".join(detail for _kind, detail, _day in flags),
        })
    return pd.DataFrame(rows), pd.DataFrame(flag_rows, columns=["participant_id", "day", "flag", "detail"])


def _flags(p, rs, hours: float, mine: pd.DataFrame, week_start: dt.date | None) -> list[tuple[str, str, str]]:
    """(flag, detail, day name or "") of one participant against their rule set: hours below
    the weekly minimum or above the maximum, a day below the services minimum, a
    recertification due or lapsed within the week."""
    if rs is None:
        return []
    out = []
    if rs.week_hours_min is not None and hours < rs.week_hours_min - EPS:
        out.append(("below_week_hours_min", f"{_h(hours)} h scheduled, below the weekly minimum of "
                    f"{_h(rs.week_hours_min)} h ({rs.name})", ""))
    if rs.week_hours_max is not None and hours > rs.week_hours_max + EPS:
        out.append(("above_week_hours_max", f"{_h(hours)} h scheduled, above the weekly maximum of "
                    f"{_h(rs.week_hours_max)} h ({rs.name})", ""))
    if rs.day_services_min is not None:
        for d, n in zip(mine["day"], mine["services"], strict=True):
            if n < rs.day_services_min:
                out.append(("day_below_services_min", f"{day_name(d)}: {n} service{'s' if n != 1 else ''}, "
                            f"below {rs.day_services_min} ({rs.name})", day_name(d)))
    last_day = (week_start + dt.timedelta(days=6)) if week_start else None
    if rs.recertify_days is not None and p.certified_until is not None and last_day is not None \
            and week_start is not None and p.certified_until <= last_day:
        when = ("lapsed on" if p.certified_until < week_start else "runs out on")
        out.append(("recertification_due", f"certification {when} {p.certified_until.isoformat()}: "
                    f"recertify (at least every {rs.recertify_days} days, {rs.name})",
                    day_name(p.certified_until.weekday()) if p.certified_until >= week_start else ""))
    return out


def _summary(schedule: Schedule, participants: pd.DataFrame, days: pd.DataFrame, flags_df: pd.DataFrame,
             svc: pd.DataFrame, staff: pd.DataFrame, room_use: pd.DataFrame,
             week_start: dt.date | None) -> dict[str, object]:
    """The program's figures (the Summary's compliance.* rows)."""
    checked = participants[participants["rule_set"] != ""]
    return {
        "week_of": week_start.isoformat() if week_start else "",
        "participants": len(participants),
        "participants_with_rule_set": len(checked),
        "participants_meeting_rule_set": int((checked["meets_rule_set"] == "yes").sum()),
        "participants_below_week_hours_min": int((flags_df["flag"] == "below_week_hours_min").sum()),
        "participants_above_week_hours_max": int((flags_df["flag"] == "above_week_hours_max").sum()),
        "recertifications_due": int((flags_df["flag"] == "recertification_due").sum()),
        "attended_days": len(days),
        "days_high_tier": int((days["tier"] == HIGH).sum()),
        "days_standard_tier": int((days["tier"] == STANDARD).sum()),
        "days_below_services_min": int((days["tier"] == BELOW).sum()),
        "days_without_tier": int((days["tier"] == "").sum()),
        "service_hours": round(float(svc["minutes"].sum()) / 60, 2),
        "services": len(svc),
        "sessions": len(schedule.sessions),
        "staff_hours_led": round(float(staff["hours_led"].sum()), 2) if len(staff) else 0,
        "staff_hours_available": round(float(staff["hours_available"].sum()), 2) if len(staff) else 0,
        "room_use": round(float(room_use["minutes_used"].sum() / max(1, room_use["minutes_open"].sum())), 3)
        if len(room_use) else 0,
    }


def _service_types(program: Program, schedule: Schedule, att: pd.DataFrame) -> pd.DataFrame:
    # staff hours: a co-led session takes two staff members' time
    sessions = pd.DataFrame([(s.session_type, (s.end - s.start) * len(s.staff_ids)) for s in schedule.sessions],
                            columns=["session_type", "minutes"])
    by_session = sessions.groupby("session_type").agg(sessions=("minutes", "size"), staff_minutes=("minutes", "sum"))
    by_att = att.groupby("session_type").agg(attendances=("minutes", "size"),
                                             participant_minutes=("minutes", "sum"))
    rows = []
    for t in program.session_types:
        n = int(by_session["sessions"].get(t.name, 0))
        rows.append({
            "session_type": t.name, "kind": t.kind, "counts_toward_hours": "yes" if t.counts_toward_hours else "no",
            "sessions": n, "attendances": int(by_att["attendances"].get(t.name, 0)),
            "participant_hours": round(float(by_att["participant_minutes"].get(t.name, 0)) / 60, 2),
            "staff_hours": round(float(by_session["staff_minutes"].get(t.name, 0)) / 60, 2),
        })
    return pd.DataFrame(rows)


def _open_minutes(program: Program, windows) -> float:
    r = program.rules
    return sum(max(0, min(w.end, r.close) - max(w.start, r.open)) for w in windows if w.day in r.days)


def _staff(program: Program, schedule: Schedule) -> pd.DataFrame:
    """Hours each staff member leads or co-leads (`hours_led`) against their availability."""
    led = pd.DataFrame([(sid, s.end - s.start) for s in schedule.sessions for sid in s.staff_ids if sid],
                       columns=["staff_id", "minutes"])
    by = led.groupby("staff_id").agg(sessions=("minutes", "size"), minutes=("minutes", "sum"))
    rows = []
    for st in sorted(program.staff, key=lambda x: x.staff_id):
        avail = _open_minutes(program, st.windows) / 60
        hours = float(by["minutes"].get(st.staff_id, 0)) / 60
        rows.append({
            "staff_id": st.staff_id, "roles": ", ".join(sorted(st.roles)),
            "sessions": int(by["sessions"].get(st.staff_id, 0)), "hours_led": round(hours, 2),
            "hours_available": round(avail, 2),
            "max_hours_week": st.max_hours_week if st.max_hours_week is not None else "",
            "use_of_available": round(hours / avail, 3) if avail else "",
        })
    return pd.DataFrame(rows)


def hours_of_day(program: Program) -> list[int]:
    """The hours (minutes since midnight, on the hour) the program is open in."""
    r = program.rules
    return list(range(r.open - r.open % 60, r.close, 60))


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def _room_use(program: Program, schedule: Schedule) -> pd.DataFrame:
    r = program.rules
    hours = hours_of_day(program)
    sess = pd.DataFrame([(s.room_id, s.day, s.start, s.end) for s in schedule.sessions if s.room_id],
                        columns=["room_id", "day", "start", "end"])
    rows = []
    for room in sorted(program.rooms, key=lambda x: x.room_id):
        mine = sess[sess["room_id"] == room.room_id]
        for d in sorted(r.days):
            today = mine[mine["day"] == d]
            for h in hours:
                open_min = _overlap(h, h + 60, r.open, r.close)
                used = sum(_overlap(h, h + 60, a, b) for a, b in zip(today["start"], today["end"], strict=True))
                rows.append({"room_id": room.room_id, "day": day_name(d), "hour": hhmm(h),
                             "minutes_used": used, "minutes_open": open_min})
    return pd.DataFrame(rows, columns=["room_id", "day", "hour", "minutes_used", "minutes_open"])


def _staff_use(program: Program, schedule: Schedule) -> pd.DataFrame:
    r = program.rules
    rows = []
    for st in program.staff:
        for w in st.windows:
            if w.day in r.days:
                for h in hours_of_day(program):
                    m = _overlap(h, h + 60, max(w.start, r.open), min(w.end, r.close))
                    if m:
                        rows.append((w.day, h, m, 0))
    for s in schedule.sessions:
        for sid in s.staff_ids:  # the leader, and the co-leader of a co-led session
            if not sid:
                continue
            for h in hours_of_day(program):
                m = _overlap(h, h + 60, s.start, s.end)
                if m:
                    rows.append((s.day, h, 0, m))
    df = pd.DataFrame(rows, columns=["day", "hour", "minutes_available", "minutes_leading"])
    grid = pd.DataFrame([(d, h) for d in sorted(r.days) for h in hours_of_day(program)], columns=["day", "hour"])
    agg = df.groupby(["day", "hour"], as_index=False)[["minutes_available", "minutes_leading"]].sum()
    out = grid.merge(agg, on=["day", "hour"], how="left").fillna(0)
    out["day"] = [day_name(d) for d in out["day"]]
    out["hour"] = [hhmm(h) for h in out["hour"]]
    out[["minutes_available", "minutes_leading"]] = out[["minutes_available", "minutes_leading"]].astype(int)
    return out


def _grid(table: pd.DataFrame, used: str, total: str) -> pd.DataFrame:
    g = table.groupby(["day", "hour"], sort=False)[[used, total]].sum()
    share = (g[used] / g[total].where(g[total] > 0)).fillna(0)
    days = list(dict.fromkeys(table["day"]))  # the program's order, not the alphabet's
    hours = list(dict.fromkeys(table["hour"]))
    return share.unstack("hour").reindex(index=days, columns=hours).fillna(0)


def room_grid(fig: Figures) -> pd.DataFrame:
    """Share of room time in use, days down and hours across (the heat map's values)."""
    return _grid(fig.room_use, "minutes_used", "minutes_open")


def staff_grid(fig: Figures) -> pd.DataFrame:
    """Staff minutes leading sessions / staff minutes available, days down and hours across."""
    return _grid(fig.staff_use, "minutes_leading", "minutes_available")


def summary_lines(fig: Figures) -> list[str]:
    """Two lines for the terminal (ids and counts only, never names)."""
    p = fig.program
    return [
        f"compliance: {p['participants_meeting_rule_set']}/{p['participants_with_rule_set']} participants meet "
        f"their rule set; {p['participants_below_week_hours_min']} below the weekly minimum hours, "
        f"{p['recertifications_due']} recertification(s) due",
        f"days: {p['attended_days']} attended, {p['days_high_tier']} at the higher tier, "
        f"{p['days_standard_tier']} standard, {p['days_below_services_min']} below the services minimum; "
        f"{p['service_hours']:g} service hours; rooms {p['room_use']:.0%} used",
    ]
