"""Immutable domain objects of a program week.

Everything the reader produces and the model, validator and writers consume.
Times are minutes since midnight; days are indices 0 (Mon) .. 6 (Sun).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
KINDS = ("group", "individual", "family", "medication")
PREFERRED_TIMES = ("morning", "afternoon", "evening")
# preferred_time windows (start of a session), minutes since midnight
PREFERRED_WINDOWS = {"morning": (0, 12 * 60), "afternoon": (12 * 60, 17 * 60), "evening": (17 * 60, 24 * 60)}


def day_name(day: int) -> str:
    return DAY_NAMES[day]


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Window:
    """A time window on one day: [start, end) in minutes since midnight."""

    day: int
    start: int
    end: int

    def overlaps(self, day: int, start: int, end: int) -> bool:
        return self.day == day and start < self.end and self.start < end

    def contains(self, day: int, start: int, end: int) -> bool:
        return self.day == day and self.start <= start and end <= self.end

    @property
    def minutes(self) -> int:
        return self.end - self.start

    def __str__(self) -> str:
        return f"{day_name(self.day)} {hhmm(self.start)}-{hhmm(self.end)}"


@dataclass(frozen=True)
class Staff:
    staff_id: str
    roles: frozenset[str]
    name: str = ""
    max_hours_week: float | None = None
    max_hours_day: float | None = None
    windows: tuple[Window, ...] = ()

    def available(self, day: int, start: int, end: int) -> bool:
        return any(w.contains(day, start, end) for w in self.windows)


@dataclass(frozen=True)
class Room:
    room_id: str
    capacity: int | None  # None: unlimited (telehealth)
    kinds: frozenset[str]

    def fits(self, size: int) -> bool:
        return self.capacity is None or self.capacity >= size


@dataclass(frozen=True)
class SessionType:
    name: str
    kind: str  # one of KINDS
    minutes: int
    staff_role: str
    min_size: int = 1
    max_size: int = 1
    tracks: frozenset[str] = frozenset()  # empty: every track
    tags_required: frozenset[str] = frozenset()
    weekly_min: int = 0
    weekly_max: int | None = None
    daily_max: int = 1
    counts_toward_hours: bool = True
    # co-led types (issue 19): a second staff member holding this role runs every session
    # beside the leader (None: one leader, as before)
    co_leader_role: str | None = None

    @property
    def is_group(self) -> bool:
        return self.kind == "group"

    @property
    def co_led(self) -> bool:
        return self.co_leader_role is not None


@dataclass(frozen=True)
class Commitment:
    day: int
    start: int
    end: int
    reason: str = "other"

    def __str__(self) -> str:
        return f"{self.reason} {day_name(self.day)} {hhmm(self.start)}-{hhmm(self.end)}"


@dataclass(frozen=True)
class Level:
    """A level of care: the participant minimums and maximums (hours may be fractional)."""

    name: str
    days_min: int
    days_max: int
    day_hours_min: float
    day_hours_max: float
    week_hours_min: float
    week_hours_max: float


@dataclass(frozen=True)
class Participant:
    participant_id: str
    track: str
    level: str = "IOP"
    name: str = ""  # protected health information: never printed or logged
    tags: frozenset[str] = frozenset()
    # per-participant values, already resolved against the level (overrides applied)
    days_min: int = 3
    days_max: int = 5
    day_hours_min: float = 2
    day_hours_max: float = 4
    week_hours_min: float = 9
    week_hours_max: float = 19
    preferred_time: str | None = None
    preferred_days: frozenset[int] = frozenset()
    primary_therapist: str | None = None
    needs_medication: bool = False
    family_sessions: bool = False
    commitments: tuple[Commitment, ...] = ()
    start_date: dt.date | None = None  # first day in the program (admission)
    end_date: dt.date | None = None  # last day in the program (discharge)
    certified_until: dt.date | None = None  # last day of the current certification (compliance report)

    def in_program(self, day: int, week_start: dt.date | None) -> bool:
        """Is the participant admitted and not yet discharged on this day of the week?"""
        if week_start is None or (self.start_date is None and self.end_date is None):
            return True
        date = week_start + dt.timedelta(days=day)
        return (self.start_date is None or self.start_date <= date) and (
            self.end_date is None or date <= self.end_date)

    def __repr__(self) -> str:  # keep names out of tracebacks and logs
        return f"Participant({self.participant_id!r}, track={self.track!r})"


@dataclass(frozen=True)
class Referral:
    """A person referred to the program, not yet in care (the optional Referrals sheet): their
    row of the Participants columns, when they were referred and how urgent they are."""

    participant: Participant  # the Participants columns (and their commitments)
    referral_date: dt.date
    priority: int  # 1 = most urgent; a larger number waits behind a smaller one
    row: int = 0  # spreadsheet row, for messages

    @property
    def referral_id(self) -> str:
        return self.participant.participant_id

    def rank_key(self) -> tuple[int, dt.date, str]:
        """The order of admission: priority (1 first), then the earlier referral, then id."""
        return (self.priority, self.referral_date, self.referral_id)


@dataclass(frozen=True)
class Pinned:
    session_type: str
    day: int
    start: int
    staff_id: str
    room_id: str
    participants: tuple[str, ...] = ()
    row: int = 0  # spreadsheet row, for messages


@dataclass(frozen=True)
class SolverSettings:
    time_limit_seconds: float = 60.0
    workers: int = 0  # 0 = all cores
    seed: int = 0
    # true: CP-SAT stops on a deterministic budget (the same input, config and seed give the
    # same schedule); false: --time-limit is the command's wall clock
    deterministic: bool = False


DEFAULT_WEIGHTS: dict[str, int] = {
    # in decreasing default priority (SCHEDULING.md "Preferences")
    "unmet": 1000,  # per unit of shortfall: a day, an hour-slot, a session
    "stability": 100,  # per change against last week's schedule
    "routine": 10,  # per extra distinct start time across a participant's days
    "time_preference": 4,  # per session outside the participant's preferred time of day
    "day_preference": 4,  # per attended day outside the participant's preferred days
    "continuity": 4,  # per individual session not with the primary therapist
    "day_services": 2,  # per missing service below day_services_min on an attended day
    "group_sessions": 2,  # per group session run (fuller groups, fewer sessions)
    "staff_balance": 1,  # per slot of the busiest staff member's weekly load
    # per attended day below its payer's higher tier (e.g. Medicare's 4 or more services);
    # 0: the term is not in the model and default schedules do not change
    "day_tier": 0,
}


@dataclass(frozen=True)
class RuleSet:
    """A payer's or certifier's rules for one level of care (config [compliance.rule_sets.X]).

    Every figure is optional: None means the rule set does not check it.
    """

    name: str
    week_hours_min: float | None = None  # hours of services a week (certification)
    week_hours_max: float | None = None
    day_services_min: int | None = None  # services for a day to be billable (lower tier)
    day_services_high_tier: int | None = None  # services for the higher day rate
    recertify_days: int | None = None  # a certification lasts at most this many days
    source: str = ""  # where the figures come from (shown in the report)


@dataclass(frozen=True)
class Compliance:
    """The payer rule sets and which level of care follows which (config [compliance])."""

    rule_sets: dict[str, RuleSet] = field(default_factory=dict, hash=False)
    levels: dict[str, str] = field(default_factory=dict, hash=False)  # level -> rule set ("" none)

    def rule_set_for(self, level: str) -> RuleSet | None:
        name = self.levels.get(level)
        if name is None:  # levels match case-insensitively, like the Participants sheet
            name = {k.casefold(): v for k, v in self.levels.items()}.get(level.casefold())
        return self.rule_sets.get(name) if name else None


MEDICARE_2024 = "CMS CY2024 OPPS final rule (88 FR 81540, Nov 2023)"
ASAM = "The ASAM Criteria, 3rd ed. (2013), levels 2.1 and 2.5"
BUILTIN_RULE_SETS: dict[str, RuleSet] = {
    "medicare_iop": RuleSet("medicare_iop", week_hours_min=9, day_services_min=3, day_services_high_tier=4,
                            recertify_days=60, source=MEDICARE_2024 + ": IOP"),
    "medicare_php": RuleSet("medicare_php", week_hours_min=20, day_services_min=3, day_services_high_tier=4,
                            source=MEDICARE_2024 + ": PHP"),
    "asam_2_1_adult": RuleSet("asam_2_1_adult", week_hours_min=9, week_hours_max=19, source=ASAM + ": 2.1 adult"),
    "asam_2_1_adolescent": RuleSet("asam_2_1_adolescent", week_hours_min=6, week_hours_max=19,
                                   source=ASAM + ": 2.1 adolescent"),
    "asam_2_5": RuleSet("asam_2_5", week_hours_min=20, source=ASAM + ": 2.5"),
}
BUILTIN_COMPLIANCE_LEVELS: dict[str, str] = {
    "IOP": "medicare_iop", "IOP-adolescent": "asam_2_1_adolescent", "PHP": "medicare_php"}


def builtin_compliance() -> Compliance:
    return Compliance(dict(BUILTIN_RULE_SETS), dict(BUILTIN_COMPLIANCE_LEVELS))


@dataclass(frozen=True)
class Rules:
    """Program-wide rules from the config."""

    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    open: int = 8 * 60
    close: int = 21 * 60
    slot_minutes: int = 30
    travel_buffer_minutes: int = 30
    max_gap_minutes: int = 30
    day_services_min: int | None = None
    # week to week (--previous): a participant fully met last week keeps that week exactly
    # while it can still run; the others are planned around them (README, "Week to week")
    keep_met_weeks: bool = True
    levels: dict[str, Level] = field(default_factory=dict, hash=False, compare=False)
    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS), hash=False, compare=False)
    solver: SolverSettings = SolverSettings()
    compliance: Compliance = field(default_factory=builtin_compliance, hash=False, compare=False)
    program_name: str = "Intensive Outpatient Program"
    timezone: str = "America/New_York"


@dataclass(frozen=True)
class Program:
    """One validated program week: everything a solve needs."""

    rules: Rules
    staff: tuple[Staff, ...]
    rooms: tuple[Room, ...]
    session_types: tuple[SessionType, ...]
    participants: tuple[Participant, ...]
    pinned: tuple[Pinned, ...] = ()
    source_sha256: str = ""
    source_path: str = ""
    week_start: dt.date | None = None  # the Monday of the week being scheduled (dates matter only then)
    # referrals waiting to start (the Referrals sheet): not participants until admitted
    referrals: tuple[Referral, ...] = ()

    def staff_by_id(self) -> dict[str, Staff]:
        return {s.staff_id: s for s in self.staff}

    def room_by_id(self) -> dict[str, Room]:
        return {r.room_id: r for r in self.rooms}

    def type_by_name(self) -> dict[str, SessionType]:
        return {t.name: t for t in self.session_types}

    def participant_by_id(self) -> dict[str, Participant]:
        return {p.participant_id: p for p in self.participants}

    def admitting(self, referral_ids) -> Program:
        """The program with these referrals among its participants (they start this week) and
        no referrals left waiting: what the preference stage, the writer and the report see."""
        ids = set(referral_ids)
        admitted = tuple(r.participant for r in self.referrals if r.referral_id in ids)
        return replace(self, participants=self.participants + admitted, referrals=())


def eligible(p: Participant, t: SessionType) -> bool:
    """May participant p attend sessions of type t at all (track, tags, flags)?"""
    if t.tracks and p.track.casefold() not in {x.casefold() for x in t.tracks}:
        return False  # tracks match case-insensitively, like roles, tags and kinds
    if not t.tags_required <= p.tags:
        return False
    if t.kind == "medication" and not p.needs_medication:
        return False
    return not (t.kind == "family" and not p.family_sessions)


def weekly_min_for(p: Participant, t: SessionType) -> int:
    """The weekly minimum of type t that applies to participant p (0 when not eligible)."""
    return t.weekly_min if eligible(p, t) else 0


def blocked(p: Participant, day: int, start: int, end: int, buffer: int) -> Commitment | None:
    """The commitment (widened by the travel buffer) a session [start, end) on day would hit."""
    for c in p.commitments:
        if c.day == day and start < c.end + buffer and c.start - buffer < end:
            return c
    return None
