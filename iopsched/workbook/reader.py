"""The program workbook reader: tables -> validated, immutable `Program`.

Every problem in the file is collected (file, sheet, row, column, value, expected)
and raised together as one `InputError`; warnings are returned beside the program.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import cast

from iopsched.domain import (
    KINDS,
    PREFERRED_TIMES,
    Commitment,
    Participant,
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
    CellError,
    is_blank,
    parse_bool,
    parse_date,
    parse_day,
    parse_days,
    parse_list,
    parse_number,
    parse_time,
    text,
    word,
)
from iopsched.workbook.tables import Table, read_tables

# sheet -> {column: required}; the contract of WORKBOOK.md
SCHEMA: dict[str, dict[str, bool]] = {
    "Staff": {"staff_id": True, "name": False, "roles": True, "max_hours_week": False, "max_hours_day": False},
    "StaffAvailability": {"staff_id": True, "day": True, "start": True, "end": True},
    "Rooms": {"room_id": True, "capacity": True, "kinds": True},
    "SessionTypes": {
        "session_type": True, "kind": True, "minutes": True, "staff_role": True, "min_size": False,
        "max_size": False, "tracks": False, "tags_required": False, "weekly_min": False, "weekly_max": False,
        "daily_max": False, "counts_toward_hours": False,
        # extension (issue 19): co-led types, a second staff member holding this role
        "co_leader_role": False,
    },
    "Participants": {
        "participant_id": True, "name": False, "track": True, "tags": False, "level": False, "days_min": False,
        "days_max": False, "day_hours_min": False, "day_hours_max": False, "week_hours_min": False,
        "week_hours_max": False, "preferred_time": False, "preferred_days": False, "primary_therapist": False,
        "needs_medication": False, "family_sessions": False,
        # extension of the contract (issue 8): admission and discharge dates
        "start_date": False, "end_date": False,
        # extension (issue 18): last day of the current certification (compliance report)
        "certified_until": False,
    },
    "Commitments": {"participant_id": True, "day": True, "start": True, "end": True, "reason": False},
    "Pinned": {"session_type": True, "day": True, "start": True, "staff_id": True, "room_id": True,
               "participants": False},
}
OPTIONAL_SHEETS = {"Pinned"}
# extension (issue 19): referrals waiting to start, an optional sheet of the Participants
# columns plus when they were referred and how urgent they are (1 = most urgent); a workbook
# without it reads as before
EXTRA_SCHEMA: dict[str, dict[str, bool]] = {
    "Referrals": {**SCHEMA["Participants"], "referral_date": True, "priority": True},
}
# sheets a program cannot run without a row of (Commitments and Pinned may be empty)
NONEMPTY_SHEETS = ("Staff", "StaffAvailability", "Rooms", "SessionTypes", "Participants")
# the column naming a row's record, quoted beside the row number in its problems
ID_COLUMNS = {"Staff": ("staff_id", "staff"), "StaffAvailability": ("staff_id", "staff"),
              "Rooms": ("room_id", "room"), "SessionTypes": ("session_type", "session type"),
              "Participants": ("participant_id", "participant"),
              "Commitments": ("participant_id", "participant"),
              "Referrals": ("participant_id", "referral")}
# columns a header may lack entirely (the sheet still reads); required ones must be present
COMMITMENT_REASONS = ("work", "school", "caregiving", "transport", "other")


class _Sheet:
    """Reads the cells of one sheet, collecting problems instead of stopping at the first."""

    def __init__(self, file: str, name: str, table: Table | None, problems: list[Problem]):
        self.file, self.name, self.table, self.problems = file, name, table, problems
        self.ids: dict[str, int] = {}  # id -> row, filled by the sheet's reader
        self._ids_by_row: dict[int, object] | None = None  # row -> its id cell, when a problem needs it
        schema = _schema(name)
        if table is None:
            return
        self.sheet = table.name
        for col, raw in zip(table.columns, table.raw_columns, strict=False):
            if col and col not in schema:
                problems.append(Problem(f"unknown column '{raw}' ignored", file=file, sheet=self.sheet,
                                        warning=True))
        seen = set()
        for col in table.columns:
            if col and col in seen:
                problems.append(Problem(f"column '{col}' appears twice", file=file, sheet=self.sheet, row=1,
                                        column=col, expected="each column once"))
            seen.add(col)
        for col, required in schema.items():
            if required and col not in table.columns:
                problems.append(Problem(f"required column '{col}' is missing", file=file, sheet=self.sheet,
                                        row=1, expected="header: " + ", ".join(c for c, r in schema.items() if r)))

    @property
    def rows(self):
        return self.table.rows if self.table is not None else []

    def problem(self, row: int, column: str, message: str, value: object = None, expected: str = "",
                warning: bool = False) -> None:
        self.problems.append(Problem(message, file=self.file, sheet=self.table.name if self.table else self.name,
                                     row=row, column=column, value=value, expected=expected, warning=warning,
                                     record=self._record(row, column)))

    def _record(self, row: int, column: str) -> str:
        """Whose row it is, from the row's id column ("participant P009"; blank when the
        problem is about that column)."""
        id_column, noun = ID_COLUMNS.get(self.name, ("", ""))
        if not id_column or column == id_column or self.table is None:
            return ""
        if self._ids_by_row is None:
            self._ids_by_row = {r: record.get(id_column) for r, record in self.table.rows}
        value = self._ids_by_row.get(row)
        try:
            return "" if is_blank(value) else f"{noun} {_ident(value)}"
        except CellError:
            return ""

    def cell(self, row: int, record: dict, column: str, parser: Callable, default=None, required=None):
        """Parsed value of a cell; blank gives `default` (or a problem when the column is required)."""
        if required is None:
            required = _schema(self.name)[column]
        value = record.get(column)
        if is_blank(value):
            if required:
                self.problem(row, column, "required value is blank", expected="a value (the column is required)")
            return default
        try:
            return parser(value)
        except CellError as exc:
            self.problem(row, column, "not understood", value=value, expected=exc.expected)
            return default


def _schema(sheet: str) -> dict[str, bool]:
    return SCHEMA[sheet] if sheet in SCHEMA else EXTRA_SCHEMA[sheet]


def _ident(value: object) -> str:
    s = word(value, "an id on one line, without control characters")
    if not s:
        raise CellError("an id")
    return s


def _positive_int(value: object) -> int:
    return int(parse_number(value, integer=True, minimum=1))


def _nonneg_int(value: object) -> int:
    return int(parse_number(value, integer=True, minimum=0))


def _hours(value: object) -> float:
    return parse_number(value, minimum=0)


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
    sheets = {s: _Sheet(file, s, tables.get(s.lower()), problems) for s in SCHEMA}
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
    referral_sheet = _Sheet(file, "Referrals", tables["referrals"], problems) if "referrals" in tables else None
    participants, referrals = _read_participants(sheets["Participants"], sheets["Commitments"], rules, staff,
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


def _unique(sh: _Sheet, row: int, column: str, ident: str | None, seen: dict[str, int]) -> bool:
    if ident is None:
        return False
    if ident in seen:
        sh.problem(row, column, f"duplicate id (first used on row {seen[ident]})", value=ident,
                   expected="an id used on one row only")
        return False
    seen[ident] = row
    return True


def _read_staff(sh: _Sheet, av: _Sheet, rules: Rules) -> dict[str, Staff]:
    staff: dict[str, Staff] = {}
    rows: dict[str, int] = {}
    for row, r in sh.rows:
        sid = sh.cell(row, r, "staff_id", _ident)
        roles = sh.cell(row, r, "roles", parse_list, ())
        wk = sh.cell(row, r, "max_hours_week", _hours)
        dy = sh.cell(row, r, "max_hours_day", _hours)
        if _unique(sh, row, "staff_id", sid, rows):
            staff[sid] = Staff(sid, frozenset(x.lower() for x in roles), name=text(r.get("name")),
                               max_hours_week=wk, max_hours_day=dy)
    windows: dict[str, list[Window]] = defaultdict(list)
    for row, r in av.rows:
        sid = av.cell(row, r, "staff_id", _ident)
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


def _read_rooms(sh: _Sheet) -> dict[str, Room]:
    rooms: dict[str, Room] = {}
    seen: dict[str, int] = {}
    for row, r in sh.rows:
        rid = sh.cell(row, r, "room_id", _ident)
        cap = sh.cell(row, r, "capacity", _positive_int, required=False)
        kinds = sh.cell(row, r, "kinds", parse_list, ())
        kinds = tuple(k.lower() for k in kinds)
        for k in kinds:
            if k not in KINDS:
                sh.problem(row, "kinds", f"unknown session kind '{k}'", expected=", ".join(KINDS))
        if _unique(sh, row, "room_id", rid, seen):
            rooms[rid] = Room(rid, cap, frozenset(k for k in kinds if k in KINDS))
    return rooms


def _read_session_types(sh: _Sheet, rules: Rules) -> dict[str, SessionType]:
    types: dict[str, SessionType] = {}
    seen = sh.ids
    for row, r in sh.rows:
        name = sh.cell(row, r, "session_type", _ident)
        kind = sh.cell(row, r, "kind", lambda v: word(v).lower())
        if kind is not None and kind not in KINDS:
            sh.problem(row, "kind", "unknown session kind", value=r.get("kind"), expected=", ".join(KINDS))
            kind = None
        minutes = sh.cell(row, r, "minutes", _positive_int)
        if minutes is not None and minutes % rules.slot_minutes:
            sh.problem(row, "minutes", f"not a multiple of slot_minutes ({rules.slot_minutes})", value=minutes,
                       expected=f"a multiple of {rules.slot_minutes} minutes")
        role = sh.cell(row, r, "staff_role", lambda v: _ident(v).lower())
        is_group = kind == "group"
        mn = sh.cell(row, r, "min_size", _positive_int, required=is_group)
        mx = sh.cell(row, r, "max_size", _positive_int, required=is_group)
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
        wmin = sh.cell(row, r, "weekly_min", _nonneg_int, 0)
        wmax = sh.cell(row, r, "weekly_max", _nonneg_int)
        dmax = sh.cell(row, r, "daily_max", _nonneg_int, 1)
        if wmin is not None and wmax is not None and wmin > wmax:
            sh.problem(row, "weekly_min", f"weekly_min {wmin} is above weekly_max {wmax}", value=wmin,
                       expected=f"at most weekly_max ({wmax})")
        counts = sh.cell(row, r, "counts_toward_hours", parse_bool, True)
        if is_blank(r.get("counts_toward_hours")):
            counts = True
        if minutes is not None and minutes > rules.close - rules.open:
            sh.problem(row, "minutes", f"longer than the opening hours {hhmm(rules.open)}-{hhmm(rules.close)}",
                       value=minutes, expected=f"at most {rules.close - rules.open} minutes")
        co_role = sh.cell(row, r, "co_leader_role", lambda v: _ident(v).lower())
        if _unique(sh, row, "session_type", name, seen) and None not in (kind, minutes, role, mn, mx):
            types[name] = SessionType(
                name=name, kind=kind, minutes=minutes, staff_role=role, min_size=mn, max_size=mx,
                tracks=frozenset(tracks), tags_required=frozenset(t.lower() for t in tags),
                weekly_min=wmin or 0, weekly_max=wmax, daily_max=dmax if dmax is not None else 1,
                counts_toward_hours=counts, co_leader_role=co_role,
            )
    return types


_LEVEL_COLS = ("days_min", "days_max", "day_hours_min", "day_hours_max", "week_hours_min", "week_hours_max")


def _read_participants(sh: _Sheet, cm: _Sheet, rules: Rules, staff: dict[str, Staff],
                       rf: _Sheet | None = None) -> tuple[dict[str, Participant], dict[str, Referral]]:
    """The Participants sheet, the optional Referrals sheet (the same columns, read by the same
    row parser, plus referral_date and priority) and everyone's Commitments."""
    people: dict[str, Participant] = {}
    seen: dict[str, int] = {}
    for row, r in sh.rows:
        pid, person = _person(sh, row, r, rules, staff)
        if _unique(sh, row, "participant_id", pid, seen) and person is not None:
            people[person.participant_id] = person
    referrals: dict[str, Referral] = {}
    if rf is not None:
        referrals = _read_referrals(rf, rules, staff, seen)
    commitments: dict[str, list[Commitment]] = defaultdict(list)
    for row, r in cm.rows:
        pid = cm.cell(row, r, "participant_id", _ident)
        day = cm.cell(row, r, "day", parse_day)
        start = cm.cell(row, r, "start", parse_time)
        end = cm.cell(row, r, "end", parse_time)
        reason = cm.cell(row, r, "reason", lambda v: word(v).lower(), "other")
        if pid is not None and pid not in seen and (rf is None or pid not in rf.ids):
            cm.problem(row, "participant_id", "unknown participant id", value=pid,
                       expected="a participant_id from sheet Participants"
                       + (" or Referrals" if rf is not None else ""))
            continue
        if start is not None and end is not None and end <= start:
            cm.problem(row, "end", f"end {hhmm(end)} is not after start {hhmm(start)}",
                       expected="an end after the start (split an overnight shift into two rows)")
            continue
        if reason not in COMMITMENT_REASONS:
            cm.problem(row, "reason", f"reason '{reason}' is not one of " + ", ".join(COMMITMENT_REASONS)
                       + "; kept as given", warning=True)
        if None not in (pid, day, start, end) and (pid in people or pid in referrals):
            commitments[pid].append(Commitment(day, start, end, reason))

    def committed(p: Participant) -> Participant:
        cs = tuple(sorted(commitments.get(p.participant_id, []), key=lambda c: (c.day, c.start, c.end)))
        return replace(p, commitments=cs)

    people = {pid: committed(p) for pid, p in people.items()}
    referrals = {rid: replace(x, participant=committed(x.participant)) for rid, x in referrals.items()}
    return people, referrals


def _person(sh: _Sheet, row: int, r: dict, rules: Rules, staff: dict[str, Staff]) -> tuple[str | None, Participant | None]:
    """One row of the Participants columns (sheet Participants or Referrals): (its id, the
    participant, or None when a cell is bad; the problems are collected on the sheet)."""
    pid = sh.cell(row, r, "participant_id", _ident)
    track = sh.cell(row, r, "track", _ident)
    tags = sh.cell(row, r, "tags", parse_list, ())
    level_name = sh.cell(row, r, "level", _ident, "IOP")
    level = None
    if level_name is not None:
        level = {k.lower(): v for k, v in rules.levels.items()}.get(level_name.lower())
        if level is None:
            sh.problem(row, "level", "unknown level of care", value=level_name,
                       expected="one of " + ", ".join(rules.levels))
    values = {}
    for col in _LEVEL_COLS:
        parser = _nonneg_int if col.startswith("days") else _hours
        v = sh.cell(row, r, col, parser)
        if v is None and level is not None:
            v = getattr(level, col)
        values[col] = v
    for lo, hi in (("days_min", "days_max"), ("day_hours_min", "day_hours_max"),
                   ("week_hours_min", "week_hours_max")):
        if values[lo] is not None and values[hi] is not None and values[lo] > values[hi]:
            sh.problem(row, lo, f"{lo} {values[lo]:g} is above {hi} {values[hi]:g}", value=values[lo],
                       expected=f"at most {hi} ({values[hi]:g}, from the level or this row)")
    if values["days_max"] is not None and values["days_max"] > 7:
        sh.problem(row, "days_max", "more than 7 days", value=values["days_max"], expected="0..7")
    pt = sh.cell(row, r, "preferred_time", lambda v: word(v).lower())
    if pt is not None and pt not in PREFERRED_TIMES:
        sh.problem(row, "preferred_time", "unknown time of day", value=r.get("preferred_time"),
                   expected="morning, afternoon, evening or blank")
        pt = None
    pdays = sh.cell(row, r, "preferred_days", parse_days, ())
    therapist = sh.cell(row, r, "primary_therapist", _ident)
    if therapist is not None and therapist not in staff:
        sh.problem(row, "primary_therapist", "not a staff id", value=therapist,
                   expected="a staff_id from sheet Staff")
        therapist = None
    med = sh.cell(row, r, "needs_medication", parse_bool, False)
    fam = sh.cell(row, r, "family_sessions", parse_bool, False)
    first = sh.cell(row, r, "start_date", parse_date)
    last = sh.cell(row, r, "end_date", parse_date)
    if first is not None and last is not None and last < first:
        sh.problem(row, "end_date", f"end_date {last} is before start_date {first}",
                   expected="an end_date on or after the start_date")
    certified = sh.cell(row, r, "certified_until", parse_date)
    if track is None or level is None or None in values.values():
        return pid, None
    return pid, Participant(
        participant_id=pid, track=track, level=level.name, name=text(r.get("name")),
        tags=frozenset(t.lower() for t in tags), preferred_time=pt, preferred_days=frozenset(pdays or ()),
        primary_therapist=therapist, needs_medication=bool(med), family_sessions=bool(fam),
        start_date=first, end_date=last, certified_until=certified, **values,
    )


def _read_referrals(rf: _Sheet, rules: Rules, staff: dict[str, Staff],
                    participants: dict[str, int]) -> dict[str, Referral]:
    """The Referrals sheet: a Participants row each, plus referral_date and priority (a whole
    number, 1 = most urgent). An id may not be a participant's too."""
    referrals: dict[str, Referral] = {}
    for row, r in rf.rows:
        rid, person = _person(rf, row, r, rules, staff)
        date = rf.cell(row, r, "referral_date", parse_date)
        priority = rf.cell(row, r, "priority", _positive_int)
        if rid is not None and rid in participants:
            rf.problem(row, "participant_id", f"already a participant (sheet Participants, row {participants[rid]})",
                       value=rid, expected="an id not on sheet Participants (a referral is not yet in care)")
            continue
        if _unique(rf, row, "participant_id", rid, rf.ids) and person is not None and date is not None \
                and priority is not None:
            referrals[person.participant_id] = Referral(person, date, priority, row=row)
    return referrals


def _read_pinned(sh: _Sheet, rules: Rules, staff, rooms, types, participants) -> list[Pinned]:
    pinned: list[Pinned] = []
    for row, r in sh.rows:
        tname = sh.cell(row, r, "session_type", _ident)
        day = sh.cell(row, r, "day", parse_day)
        start = sh.cell(row, r, "start", parse_time)
        sid = sh.cell(row, r, "staff_id", _ident)
        rid = sh.cell(row, r, "room_id", _ident)
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
