"""The program workbook reader: tables -> validated, immutable `Program`.

Every problem in the file is collected (file, sheet, row, column, value, expected)
and raised together as one `InputError`; warnings are returned beside the program.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import cast

from iopsched.domain import (
    KINDS,
    Pinned,
    Program,
    Referral,
    Room,
    Rules,
    SessionType,
    Staff,
    Window,
    day_name,
    hhmm,
)
from iopsched.errors import InputError, Problem
from iopsched.workbook.parse import (
    is_blank,
    parse_bool,
    parse_day,
    parse_list,
    parse_time,
    text,
    word,
)
from iopsched.workbook.participants import read_participants
from iopsched.workbook.sheet import (
    EXTRA_SCHEMA,
    NONEMPTY_SHEETS,
    OPTIONAL_SHEETS,
    SCHEMA,
    Sheet,
    hours,
    ident,
    nonneg_int,
    positive_int,
    unique,
)
from iopsched.workbook.tables import read_tables


def read_program(path: Path, rules: Rules) -> tuple[Program, list[Problem]]:
    """Read and validate a program workbook (.xlsx or folder of .csv). Raises InputError."""
    path = Path(path)
    tables = read_tables(path)
    file = str(path)
    problems: list[Problem] = []
    notes = tables.pop("__notes__", None)
    if notes:
        problems += [cast(Problem, r["note"]) for _, r in notes.rows]
    known = {s.lower(): s for s in [*SCHEMA, *EXTRA_SCHEMA]}
    for key, t in tables.items():
        if key not in known:
            problems.append(Problem(f"unknown sheet '{t.name}' ignored", file=file, warning=True))
    missing = [s for s in SCHEMA if s.lower() not in tables and s not in OPTIONAL_SHEETS]
    if missing:
        raise InputError(
            [Problem(f"sheet '{s}' is missing", file=file,
                     expected="sheets " + ", ".join(SCHEMA) + " (Pinned optional)") for s in missing] + problems
        )
    sheets = {s: Sheet(file, s, tables.get(s.lower()), problems) for s in SCHEMA}
    for s in NONEMPTY_SHEETS:
        table = sheets[s].table
        if table is not None and any(table.columns) and not sheets[s].rows:
            problems.append(Problem(f"sheet '{s}' has no rows", file=file, sheet=sheets[s].sheet, row=2,
                                    expected="at least one row below the header (a program needs staff, their "
                                    "hours, rooms, session types and participants)"))
    if any(not p.warning for p in problems):
        raise InputError(problems)

    staff = _read_staff(sheets["Staff"], sheets["StaffAvailability"], rules)
    rooms = _read_rooms(sheets["Rooms"])
    types = _read_session_types(sheets["SessionTypes"], rules)
    referral_sheet = Sheet(file, "Referrals", tables["referrals"], problems) if "referrals" in tables else None
    participants, referrals = read_participants(sheets["Participants"], sheets["Commitments"], rules, staff,
                                                 referral_sheet)
    pinned = _read_pinned(sheets["Pinned"], rules, staff, rooms, types, participants)
    _cross_checks(file, rules, staff, rooms, types, participants, problems, sheets["SessionTypes"].ids)

    errors = [p for p in problems if not p.warning]
    if errors:
        raise InputError(problems)
    digest = _sha256(path)
    program = Program(
        rules=rules,
        staff=tuple(staff.values()),
        rooms=tuple(rooms.values()),
        session_types=tuple(types.values()),
        participants=tuple(participants.values()),
        pinned=tuple(pinned),
        referrals=tuple(sorted(referrals.values(), key=Referral.rank_key)),
        source_sha256=digest,
        source_path=file,
    )
    return program, [p for p in problems if p.warning]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    files = sorted(f for f in path.iterdir() if f.suffix.lower() == ".csv") if path.is_dir() else [path]
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()



def _read_staff(sh: Sheet, av: Sheet, rules: Rules) -> dict[str, Staff]:
    staff: dict[str, Staff] = {}
    rows: dict[str, int] = {}
    for row, r in sh.rows:
        sid = sh.cell(row, r, "staff_id", ident)
        roles = sh.cell(row, r, "roles", parse_list, ())
        wk = sh.cell(row, r, "max_hours_week", hours)
        dy = sh.cell(row, r, "max_hours_day", hours)
        if unique(sh, row, "staff_id", sid, rows):
            staff[sid] = Staff(sid, frozenset(x.lower() for x in roles), name=text(r.get("name")),
                               max_hours_week=wk, max_hours_day=dy)
    windows: dict[str, list[Window]] = defaultdict(list)
    for row, r in av.rows:
        sid = av.cell(row, r, "staff_id", ident)
        day = av.cell(row, r, "day", parse_day)
        start = av.cell(row, r, "start", parse_time)
        end = av.cell(row, r, "end", parse_time)
        if sid is not None and sid not in staff:
            av.problem(row, "staff_id", "unknown staff id", value=sid, expected="a staff_id from sheet Staff")
            continue
        if None in (sid, day, start, end):
            continue
        if end <= start:
            av.problem(row, "end", f"end {hhmm(end)} is not after start {hhmm(start)}",
                       expected="an end after the start (split an overnight window into two rows)")
            continue
        if day not in rules.days:
            av.problem(row, "day", f"{day_name(day)} is not an open day of the program; window ignored",
                       warning=True)
        elif start < rules.open or end > rules.close:
            av.problem(row, "start", f"window {hhmm(start)}-{hhmm(end)} reaches outside opening hours "
                       f"{hhmm(rules.open)}-{hhmm(rules.close)}; only the part inside is used", warning=True)
        windows[sid].append(Window(day, start, end))
    for sid, s in list(staff.items()):
        staff[sid] = replace(s, windows=tuple(sorted(windows.get(sid, []), key=lambda w: (w.day, w.start))))
    return staff


def _read_rooms(sh: Sheet) -> dict[str, Room]:
    rooms: dict[str, Room] = {}
    seen: dict[str, int] = {}
    for row, r in sh.rows:
        rid = sh.cell(row, r, "room_id", ident)
        cap = sh.cell(row, r, "capacity", positive_int, required=False)
        kinds = sh.cell(row, r, "kinds", parse_list, ())
        kinds = tuple(k.lower() for k in kinds)
        for k in kinds:
            if k not in KINDS:
                sh.problem(row, "kinds", f"unknown session kind '{k}'", expected=", ".join(KINDS))
        if unique(sh, row, "room_id", rid, seen):
            rooms[rid] = Room(rid, cap, frozenset(k for k in kinds if k in KINDS))
    return rooms


def _read_session_types(sh: Sheet, rules: Rules) -> dict[str, SessionType]:
    types: dict[str, SessionType] = {}
    seen = sh.ids
    for row, r in sh.rows:
        name = sh.cell(row, r, "session_type", ident)
        kind = sh.cell(row, r, "kind", lambda v: word(v).lower())
        if kind is not None and kind not in KINDS:
            sh.problem(row, "kind", "unknown session kind", value=r.get("kind"), expected=", ".join(KINDS))
            kind = None
        minutes = sh.cell(row, r, "minutes", positive_int)
        if minutes is not None and minutes % rules.slot_minutes:
            sh.problem(row, "minutes", f"not a multiple of slot_minutes ({rules.slot_minutes})", value=minutes,
                       expected=f"a multiple of {rules.slot_minutes} minutes")
        role = sh.cell(row, r, "staff_role", lambda v: ident(v).lower())
        is_group = kind == "group"
        mn = sh.cell(row, r, "min_size", positive_int, required=is_group)
        mx = sh.cell(row, r, "max_size", positive_int, required=is_group)
        if not is_group:
            for col, v in (("min_size", mn), ("max_size", mx)) if kind is not None else ():
                if v not in (None, 1):
                    sh.problem(row, col, f"a {kind or 'non-group'} session has exactly 1 participant", value=v,
                               expected="1 or blank")
            mn = mx = 1
        if mn is not None and mx is not None and mn > mx:
            sh.problem(row, "min_size", f"min_size {mn} is above max_size {mx}", value=mn,
                       expected=f"at most max_size ({mx})")
        tracks = sh.cell(row, r, "tracks", parse_list, ())
        tags = sh.cell(row, r, "tags_required", parse_list, ())
        wmin = sh.cell(row, r, "weekly_min", nonneg_int, 0)
        wmax = sh.cell(row, r, "weekly_max", nonneg_int)
        dmax = sh.cell(row, r, "daily_max", nonneg_int, 1)
        if wmin is not None and wmax is not None and wmin > wmax:
            sh.problem(row, "weekly_min", f"weekly_min {wmin} is above weekly_max {wmax}", value=wmin,
                       expected=f"at most weekly_max ({wmax})")
        counts = sh.cell(row, r, "counts_toward_hours", parse_bool, True)
        if is_blank(r.get("counts_toward_hours")):
            counts = True
        if minutes is not None and minutes > rules.close - rules.open:
            sh.problem(row, "minutes", f"longer than the opening hours {hhmm(rules.open)}-{hhmm(rules.close)}",
                       value=minutes, expected=f"at most {rules.close - rules.open} minutes")
        co_role = sh.cell(row, r, "co_leader_role", lambda v: ident(v).lower())
        if unique(sh, row, "session_type", name, seen) and None not in (kind, minutes, role, mn, mx):
            types[name] = SessionType(
                name=name, kind=kind, minutes=minutes, staff_role=role, min_size=mn, max_size=mx,
                tracks=frozenset(tracks), tags_required=frozenset(t.lower() for t in tags),
                weekly_min=wmin or 0, weekly_max=wmax, daily_max=dmax if dmax is not None else 1,
                counts_toward_hours=counts, co_leader_role=co_role,
            )
    return types



def _read_pinned(sh: Sheet, rules: Rules, staff, rooms, types, participants) -> list[Pinned]:
    pinned: list[Pinned] = []
    for row, r in sh.rows:
        tname = sh.cell(row, r, "session_type", ident)
        day = sh.cell(row, r, "day", parse_day)
        start = sh.cell(row, r, "start", parse_time)
        sid = sh.cell(row, r, "staff_id", ident)
        rid = sh.cell(row, r, "room_id", ident)
        pids = sh.cell(row, r, "participants", parse_list, ())
        if pids and len(set(pids)) < len(pids):
            sh.problem(row, "participants", "a participant is listed twice; counted once",
                       value=r.get("participants"), warning=True)
            pids = tuple(dict.fromkeys(pids))
        ok = None not in (tname, day, start, sid, rid)
        t = types.get(tname) if tname is not None else None
        if tname is not None and t is None:
            sh.problem(row, "session_type", "unknown session type", value=tname,
                       expected="a session_type from sheet SessionTypes")
            ok = False
        if sid is not None and sid not in staff:
            sh.problem(row, "staff_id", "unknown staff id", value=sid, expected="a staff_id from sheet Staff")
            ok = False
        if rid is not None and rid not in rooms:
            sh.problem(row, "room_id", "unknown room id", value=rid, expected="a room_id from sheet Rooms")
            ok = False
        for pid in pids or ():
            if pid not in participants:
                sh.problem(row, "participants", "unknown participant id", value=pid,
                           expected="participant_ids from sheet Participants")
                ok = False
        if day is not None and day not in rules.days:
            sh.problem(row, "day", f"{day_name(day)} is not an open day", value=r.get("day"),
                       expected="one of the config's days: " + ", ".join(day_name(x) for x in rules.days))
            ok = False
        if start is not None:
            if (start - rules.open) % rules.slot_minutes:
                sh.problem(row, "start", f"{hhmm(start)} is not on the {rules.slot_minutes}-minute grid",
                           value=r.get("start"),
                           expected=f"a start every {rules.slot_minutes} minutes from {hhmm(rules.open)}")
                ok = False
            elif t is not None and (start < rules.open or start + t.minutes > rules.close):
                sh.problem(row, "start", f"{hhmm(start)}-{hhmm(start + t.minutes)} is outside opening hours "
                           f"{hhmm(rules.open)}-{hhmm(rules.close)}", value=r.get("start"),
                           expected="a session inside opening hours")
                ok = False
        if t is not None and pids and len(pids) > t.max_size:
            sh.problem(row, "participants", f"{len(pids)} participants pinned; {t.name} holds at most {t.max_size}",
                       expected=f"at most {t.max_size} participants")
            ok = False
        if ok:
            pinned.append(Pinned(tname, day, start, sid, rid, tuple(pids or ()), row=row))
    return pinned


def _check_co_leader(file, t: SessionType, staff: dict[str, Staff], roles: set[str], row: int | None,
                     problems: list[Problem]) -> None:
    """A co-led type's co_leader_role is held by some staff member, and by someone other than
    the only possible leader: otherwise no session of the type could ever run (bad input)."""
    def problem(message: str, expected: str) -> None:
        problems.append(Problem(message, file=file, sheet="SessionTypes", row=row, column="co_leader_role",
                                value=t.co_leader_role, expected=expected, record=f"session type {t.name}"))

    if t.co_leader_role not in roles:
        problem(f"session type '{t.name}' needs co-leader role '{t.co_leader_role}' which no staff member holds",
                "one of the roles in sheet Staff: " + ", ".join(sorted(roles)))
        return
    leaders = {sid for sid, s in staff.items() if t.staff_role in s.roles}
    co_leaders = {sid for sid, s in staff.items() if t.co_leader_role in s.roles}
    if leaders and len(leaders | co_leaders) < 2:
        only = next(iter(leaders))
        problem(f"session type '{t.name}' needs a leader ({t.staff_role}) and a different co-leader "
                f"({t.co_leader_role}), but {only} is the only staff member holding either",
                "a role that a second staff member holds, or a blank cell")


def _cross_checks(file, rules, staff, rooms, types, participants, problems, type_rows=None) -> None:
    type_rows = type_rows or {}
    roles = {role for s in staff.values() for role in s.roles}
    kinds = {k for r in rooms.values() for k in r.kinds}
    for t in types.values():
        if t.staff_role not in roles:
            problems.append(Problem(f"session type '{t.name}' needs role '{t.staff_role}' which no staff member "
                                    "holds", file=file, sheet="SessionTypes", row=type_rows.get(t.name),
                                    column="staff_role", value=t.staff_role,
                                    expected="one of the roles in sheet Staff: " + ", ".join(sorted(roles))))
        if t.co_led:
            _check_co_leader(file, t, staff, roles, type_rows.get(t.name), problems)
        if t.kind not in kinds:
            problems.append(Problem(f"no room hosts kind '{t.kind}' needed by session type '{t.name}'",
                                    file=file, sheet="Rooms", column="kinds", warning=True))
        if t.is_group:
            cap = max((r.capacity or 10**6 for r in rooms.values() if "group" in r.kinds), default=0)
            if cap < t.min_size:
                problems.append(Problem(f"no group room seats the minimum size {t.min_size} of '{t.name}'",
                                        file=file, sheet="Rooms", column="capacity", warning=True))
    served = set()
    all_tracks = False
    for t in types.values():
        if t.tracks:
            served |= {x.casefold() for x in t.tracks}
        else:
            all_tracks = True
    for p in participants.values():
        if p.primary_therapist and p.primary_therapist in staff:
            ind_roles = {t.staff_role for t in types.values() if t.kind == "individual"}
            if ind_roles and not (staff[p.primary_therapist].roles & ind_roles):
                problems.append(Problem(f"participant {p.participant_id}: primary therapist "
                                        f"{p.primary_therapist} does not hold the role for individual sessions "
                                        f"({', '.join(sorted(ind_roles))})", file=file, sheet="Participants",
                                        column="primary_therapist", warning=True))
    if not all_tracks:
        for track in sorted({p.track for p in participants.values() if p.track.casefold() not in served}):
            problems.append(Problem(f"no session type serves track '{track}'", file=file, sheet="SessionTypes",
                                    column="tracks", warning=True))
