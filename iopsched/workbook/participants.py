"""The Participants (and Referrals) sheets and the Commitments: one validated `Participant`
per row, the level's defaults filled in, commitments attached."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from iopsched.domain import (
    PREFERRED_TIMES,
    Commitment,
    Participant,
    Referral,
    Rules,
    Staff,
    hhmm,
)
from iopsched.workbook.parse import (
    parse_bool,
    parse_date,
    parse_day,
    parse_days,
    parse_list,
    parse_time,
    text,
    word,
)
from iopsched.workbook.sheet import (
    COMMITMENT_REASONS,
    Sheet,
    hours,
    ident,
    nonneg_int,
    positive_int,
    unique,
)

_LEVEL_COLS = ("days_min", "days_max", "day_hours_min", "day_hours_max", "week_hours_min", "week_hours_max")


def read_participants(sh: Sheet, cm: Sheet, rules: Rules, staff: dict[str, Staff],
                       rf: Sheet | None = None) -> tuple[dict[str, Participant], dict[str, Referral]]:
    """The Participants sheet, the optional Referrals sheet (the same columns, read by the same
    row parser, plus referral_date and priority) and everyone's Commitments."""
    people: dict[str, Participant] = {}
    seen: dict[str, int] = {}
    for row, r in sh.rows:
        pid, person = _person(sh, row, r, rules, staff)
        if unique(sh, row, "participant_id", pid, seen) and person is not None:
            people[person.participant_id] = person
    referrals: dict[str, Referral] = {}
    if rf is not None:
        referrals = _read_referrals(rf, rules, staff, seen)
    commitments: dict[str, list[Commitment]] = defaultdict(list)
    for row, r in cm.rows:
        pid = cm.cell(row, r, "participant_id", ident)
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


def _person(sh: Sheet, row: int, r: dict, rules: Rules, staff: dict[str, Staff]) -> tuple[str | None, Participant | None]:
    """One row of the Participants columns (sheet Participants or Referrals): (its id, the
    participant, or None when a cell is bad; the problems are collected on the sheet)."""
    pid = sh.cell(row, r, "participant_id", ident)
    track = sh.cell(row, r, "track", ident)
    tags = sh.cell(row, r, "tags", parse_list, ())
    level_name = sh.cell(row, r, "level", ident, "IOP")
    level = None
    if level_name is not None:
        level = {k.lower(): v for k, v in rules.levels.items()}.get(level_name.lower())
        if level is None:
            sh.problem(row, "level", "unknown level of care", value=level_name,
                       expected="one of " + ", ".join(rules.levels))
    values = {}
    for col in _LEVEL_COLS:
        parser = nonneg_int if col.startswith("days") else hours
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
    therapist = sh.cell(row, r, "primary_therapist", ident)
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


def _read_referrals(rf: Sheet, rules: Rules, staff: dict[str, Staff],
                    participants: dict[str, int]) -> dict[str, Referral]:
    """The Referrals sheet: a Participants row each, plus referral_date and priority (a whole
    number, 1 = most urgent). An id may not be a participant's too."""
    referrals: dict[str, Referral] = {}
    for row, r in rf.rows:
        rid, person = _person(rf, row, r, rules, staff)
        date = rf.cell(row, r, "referral_date", parse_date)
        priority = rf.cell(row, r, "priority", positive_int)
        if rid is not None and rid in participants:
            rf.problem(row, "participant_id", f"already a participant (sheet Participants, row {participants[rid]})",
                       value=rid, expected="an id not on sheet Participants (a referral is not yet in care)")
            continue
        if unique(rf, row, "participant_id", rid, rf.ids) and person is not None and date is not None \
                and priority is not None:
            referrals[person.participant_id] = Referral(person, date, priority, row=row)
    return referrals
