"""Harder program kinds for `iopsched generate --kind K`: the regimes coordinators actually have.

`classic` (iopsched.generate.programs's Planner) gives easy programs: cohorts that share a block,
rooms about half used. The kinds here are planned the same way (a *witness* week is
built while the program is invented, and only what that week can honour is written),
but the witness is packed tight, so that a solver must pack too:

- `mix`: a day/evening mix in the style of the reported evening-workers case (its
  catalogue: 90-minute Process Group (weekly minimum 2), DBT Skills and Seeking Safety,
  60-minute skills groups, Life Skills led by peer specialists, family sessions led by
  family therapists, 30-minute medication visits that do not count toward hours). Staff
  work an early shift 08:00-16:30 or a late shift 12:30-21:00 (Saturday mornings for some
  early staff when the program opens then); family therapists are on the late shift; each
  prescriber has a morning window on one day and an afternoon-evening window on another.
  About 40% day track (free mornings: second-shift workers, parents, part-time afternoon
  jobs, night shifts), 45% evening (day-shift workers 07:00-15:30, 08:00-17:00,
  09:00-17:30, some 4x10 Mon-Thu, some also working Saturdays when the program opens then),
  the rest afternoon (morning classes, early shifts) or flexible (free all day).
- `evening`: like the case: about 70% employed day-shift workers on the evening track,
  the rest day track.
- `adolescent`: half Adolescent (level IOP-adolescent, school 08:00-15:00 on weekdays, free
  from 15:30 with the travel buffer; some sports practice or a Saturday job), teen groups
  after school (the busy band is 15:30-18:30); the other half adults as in `mix`.
- `prescriber`: `mix` with exactly one prescriber who comes on one day only (one window,
  08:00-21:00). The flagged participants (needs_medication, 35-45% at small and medium) are
  planned on that day first, each with the visit next to (or instead of one group of) their
  run of groups. The day holds 26 visits, so from large on the flagged share is capped by it
  (about 17% at large, 6% at xl).
- `planted`: `mix` plus about 8% (at least 2) planted participants who cannot be fully met
  by any schedule, each for a reason a coordinator recognises and that their own row,
  commitments and the staff windows prove: works every open day 07:00-20:00; free on only
  two days; needs medication but is at work whenever a prescriber is in; family sessions
  but at work whenever a family therapist is in; days_min above the open days; weekly hours
  above days_max x day_hours_max. Reasons differ until all six are used. They are not in the
  witness; `Generated.planted` maps their ids to the reason (and `write_generated` writes it
  to planted.json beside the program).

How the witness is packed:
1. Lanes. The kind's busiest band (evening 17:00-21:00; teen for `adolescent`) gets a lane
   in every group room on every weekday: back-to-back groups, e.g. 17:30 Process Group 90 +
   Psychoeducation 60 + Life Skills 60, or 18:00 Process Group 90 + DBT Skills 90; shapes
   vary by room and day. The other bands get lanes for ~85% of their demand in seats (at
   least 3 days; evening workers at least every weekday). Each group gets its leader then.
2. Participants. Each has commitments drawn first from their band's archetypes, then a week
   chosen from what those leave free: 2, 3, 4 or 5 days (2-day participants are step-down:
   days_min 2 and a weekly minimum of what they get), on each day a run of groups that may
   change rooms (gaps <= 30 minutes, 2-4 h), chosen to bring groups below their minimum up
   first and otherwise the emptiest, so days differ between participants of one band.
   Individual therapy goes before or after the run or in place of one of its groups, never
   on a day of its own; every attended day holds >= 2 h. Someone who finds no week gets
   another shift, then steps down to two days, then becomes flexible.
3. Repair. A group still under its minimum recruits members who can add it to their day, or
   is dissolved and its members re-planned. Empty groups are dropped.
4. Medication and family sessions are booked next to a run (or instead of one of its groups);
   a flag that finds no slot is dropped (an outside prescriber, no family involved).
5. Staff maxima are set from the witness load (its hours plus 10% and 1-3 h), not lavish.
A draw that cannot be completed is replaced by the next one (seeded from kind, size, seed and
attempt number: reproducible). The busiest band's group rooms come out 75-93% used in the
witness (`band_use`); groups average 9-10 of 12 seats at medium and large in `mix`, fewer
in `evening` (a third group room at medium) and in small programs.

Rooms per size (group rooms, offices, telehealth): chosen so that the witness packs tight but
is found; SIZES' participants, staff and days are kept. A room holds one session at a time,
telehealth included, so evening individual sessions need offices as well as group rooms.

| kind                         | small   | medium  | large    | xl        |
|------------------------------|---------|---------|----------|-----------|
| mix, prescriber, planted     | 1, 1, 1 | 2, 2, 1 | 4, 3, 2  | 10, 7, 5  |
| evening                      | 1, 1, 1 | 3, 2, 2 | 5, 4, 4  | 18, 12, 8 |
| adolescent                   | 1, 1, 1 | 3, 2, 1 | 6, 3, 2  | 15, 8, 5  |

`evening` at medium has three group rooms, not the case's two: 42 day-shift workers need
about 380 seat-hours of evening groups, nearly every seat two rooms have after 17:30.

`--rooms N` (the `rooms` argument of `generate`) keeps N rooms once the witness is planned:
group rooms, offices and telehealth in proportion, the biggest first (xl with 15 rooms). With
fewer rooms than the kind's own the witness no longer holds and `Generated.witness` is None
(the program may have no complete schedule at all); with more, rooms are added and the
witness still holds.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field

from iopsched.domain import DAY_NAMES
from iopsched.errors import InputError
from iopsched.generate.programs import (
    BUFFER,
    CLOSE,
    FIRST_NAMES,
    KINDS,
    LAST_NAMES,
    OPEN,
    SLOT,
    Busy,
    PlanningError,
    RoomSpec,
    Size,
    StaffMember,
    _every,
    _st,
    hhmm,
    hm,
)

__all__ = ["BAND_WINDOWS", "KINDS", "band_use", "plan_kind", "resize_rooms"]
MAX_GAP = 30

# --- the catalogue (in the style of the evening-workers case) -------------------------------------

ADULT = "SUD, MH, Dual"
KIND_TYPES: list[dict] = [
    _st("Process Group", "group", 90, "counselor", 4, 12, ADULT, wmin=2),
    _st("DBT Skills", "group", 90, "therapist", 4, 10, "MH, Dual"),
    _st("Seeking Safety", "group", 90, "counselor", 4, 12, ADULT),
    _st("Relapse Prevention", "group", 60, "counselor", 4, 12, "SUD, Dual"),
    _st("CBT Skills", "group", 60, "therapist", 3, 12, ADULT),
    _st("Psychoeducation", "group", 60, "counselor", 4, 14, ADULT),
    _st("Life Skills", "group", 60, "peer_specialist", 3, 12, ADULT, wmax=3),
    _st("Women's Group", "group", 60, "counselor", 3, 10, ADULT, tags="women", wmax=2),
    _st("Teen Process Group", "group", 90, "counselor", 3, 8, "Adolescent"),
    _st("Teen Skills Group", "group", 60, "therapist", 3, 8, "Adolescent"),
    _st("Teen Psychoeducation", "group", 60, "counselor", 3, 8, "Adolescent"),
    _st("Teen Life Skills", "group", 60, "counselor", 3, 8, "Adolescent"),
    _st("Individual Therapy", "individual", 60, "therapist", wmin=1, wmax=2),
    _st("Family Session", "family", 60, "family_therapist", wmin=1, wmax=1),
    _st("Medication Management", "medication", 30, "prescriber", wmin=1, wmax=1),
]
KIND_TYPES[-1]["counts_toward_hours"] = False
TYPES = {t["session_type"]: t for t in KIND_TYPES}
TEEN_TYPES = {t["session_type"] for t in KIND_TYPES if t["tracks"] == "Adolescent"}
POOL60 = {"adult": ("Psychoeducation", "CBT Skills", "Life Skills", "Relapse Prevention"),
          "teen": ("Teen Skills Group", "Teen Psychoeducation", "Teen Life Skills")}
POOL90 = {"adult": ("Process Group", "DBT Skills", "Seeking Safety"),
          "teen": ("Teen Process Group",)}
LEVELS = {  # the config defaults: days min/max, day hours min/max, week hours min/max (minutes)
    "IOP": (3, 5, 120, 240, 540, 1140),
    "IOP-adolescent": (3, 5, 120, 240, 360, 1140),
}


# --- bands: when a participant can come, and the lanes that serve them -----------------------------

@dataclass(frozen=True)
class KBand:
    name: str
    audience: str  # adult | teen
    window: tuple[int, int]  # the band's hours in the group rooms (lanes, and the use measure)
    shapes: tuple[tuple[int, tuple[int, ...]], ...]  # lane (start, minutes of each group)
    saturday: bool  # also runs on Saturday when the program opens then
    preferred_time: str


def _shapes(*rows: tuple[str, tuple[int, ...]]) -> tuple[tuple[int, tuple[int, ...]], ...]:
    return tuple((hm(s), d) for s, d in rows)


BANDS = {
    "day": KBand("day", "adult", (hm("08:30"), hm("13:30")), _shapes(
        ("09:00", (90, 60, 60)), ("09:30", (60, 90, 60)), ("08:30", (90, 90)),
        ("10:00", (90, 60, 60))), True, "morning"),
    "afternoon": KBand("afternoon", "adult", (hm("12:30"), hm("16:30")), _shapes(
        ("13:00", (90, 60, 60)), ("12:30", (60, 90, 60)), ("13:30", (90, 90))), False,
        "afternoon"),
    "teen": KBand("teen", "teen", (hm("15:30"), hm("18:30")), _shapes(
        ("15:30", (60, 90, 60)), ("16:00", (90, 60)), ("16:00", (90, 60)),
        ("15:30", (60, 90)), ("16:00", (60, 90, 60)), ("15:30", (90, 60))), False, "afternoon"),
    "evening": KBand("evening", "adult", (hm("17:00"), hm("21:00")), _shapes(
        ("17:30", (90, 60, 60)), ("18:00", (90, 90)), ("17:00", (60, 90, 90)),
        ("17:30", (60, 90, 60)), ("18:00", (60, 60, 60)), ("18:30", (90, 60)),
        ("17:30", (90, 60, 60)), ("17:30", (60, 90, 60))), False, "evening"),
}
BAND_WINDOWS = {name: b.window for name, b in BANDS.items()}


@dataclass(frozen=True)
class KindSpec:
    name: str
    shares: dict[str, float]  # band (or "flex") -> share of the participants
    busy: str  # the band whose lanes fill every group room on every weekday
    rooms: dict[str, tuple[int, int, int]]  # size -> (group rooms, offices, telehealth)
    late: float  # share of clinicians on the late shift
    one_prescriber: bool = False
    planted: float = 0.0


MIX_ROOMS = {"small": (1, 1, 1), "medium": (2, 2, 1), "large": (4, 3, 2), "xl": (10, 7, 5)}
MIX_SHARES = {"day": 0.40, "evening": 0.45, "afternoon": 0.08, "flex": 0.07}
SPECS = {
    "mix": KindSpec("mix", MIX_SHARES, "evening", MIX_ROOMS, 0.6),
    "evening": KindSpec("evening", {"day": 0.30, "evening": 0.70}, "evening",
                        {"small": (1, 1, 1), "medium": (3, 2, 2), "large": (5, 4, 4),
                         "xl": (18, 12, 8)}, 0.75),
    "adolescent": KindSpec("adolescent", {"teen": 0.5, "day": 0.2, "evening": 0.2, "flex": 0.1},
                           "teen", {"small": (1, 1, 1), "medium": (3, 2, 1), "large": (6, 3, 2),
                                    "xl": (15, 8, 5)}, 0.7),
    "prescriber": KindSpec("prescriber", MIX_SHARES, "evening", MIX_ROOMS, 0.6,
                           one_prescriber=True),
    "planted": KindSpec("planted", MIX_SHARES, "evening", MIX_ROOMS, 0.6, planted=0.08),
}
PRESCRIBER_DAY_WINDOW = (hm("08:00"), hm("21:00"))


# --- the witness week's objects ---------------------------------------------------------------

@dataclass(eq=False)
class GSession:
    """One group session of the witness."""

    type_name: str
    day: int
    start: int
    end: int
    room_id: str
    staff_id: str
    cap: int
    min_size: int
    members: list[str] = field(default_factory=list)
    alive: bool = True

    @property
    def is_group(self) -> bool:
        return True


@dataclass(eq=False)
class Extra:
    """One individual, family or medication session of the witness."""

    type_name: str
    day: int
    start: int
    end: int
    staff_id: str
    room_id: str
    pid: str

    @property
    def is_group(self) -> bool:
        return False


@dataclass(eq=False)
class KPerson:
    pid: str
    name: str
    track: str
    band: str  # day | afternoon | evening | teen | flex
    level: str
    tags: list[str] = field(default_factory=list)
    commitments: list[tuple[int, int, int, str]] = field(default_factory=list)
    k: int = 3  # days wanted in the witness
    days_min: int = 3
    days_max: int = 5
    dh_min: int = 120
    dh_max: int = 240
    wh_min: int = 540
    wh_max: int = 1140
    needs_medication: bool = False
    family_sessions: bool = False
    med_day: int | None = None  # prescriber kind: the day the visit must be on
    therapist: str | None = None
    planted: str | None = None
    free: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    items: dict[int, list] = field(default_factory=dict)  # day -> [GSession | Extra]

    @property
    def teen(self) -> bool:
        return self.track == "Adolescent"

    def fits(self, day: int, start: int, end: int) -> bool:
        return any(a <= start and end <= b for a, b in self.free.get(day, ()))

    def minutes(self, items) -> int:
        return sum(x.end - x.start for x in items if TYPES[x.type_name]["counts_toward_hours"])

    def week_minutes(self) -> int:
        return sum(self.minutes(v) for v in self.items.values())


def free_windows(commitments, day: int) -> list[tuple[int, int]]:
    """The open hours of `day` that the commitments (widened by the buffer) leave free."""
    blocked = sorted((s - BUFFER, e + BUFFER) for d, s, e, _ in commitments if d == day)
    out, cur = [], OPEN
    for a, b in blocked:
        if a > cur:
            out.append((cur, min(a, CLOSE)))
        cur = max(cur, b)
    if cur < CLOSE:
        out.append((cur, CLOSE))
    return [(a, b) for a, b in out if b > a]


def eligible(p: KPerson, type_name: str) -> bool:
    t = TYPES[type_name]
    tracks = [x.strip() for x in t["tracks"].split(",") if x.strip()]
    tags = [x.strip() for x in t["tags_required"].split(",") if x.strip()]
    if tracks and p.track not in tracks:
        return False
    if any(tag not in p.tags for tag in tags):
        return False
    if t["kind"] == "medication" and not p.needs_medication:
        return False
    return not (t["kind"] == "family" and not p.family_sessions)


def weekly_needs(p: KPerson) -> list[tuple[str, int]]:
    """The group types with a weekly minimum for p."""
    return [(n, t["weekly_min"]) for n, t in TYPES.items()
            if t["kind"] == "group" and t["weekly_min"] and eligible(p, n)]


# --- commitment archetypes ------------------------------------------------------------------------

def _weekdays(open_days) -> tuple[int, ...]:
    return tuple(d for d in open_days if d < 5)


def arch_evening(rng: random.Random, open_days) -> list[tuple[int, int, int, str]]:
    """Day-shift workers: commitments end to end on every weekday."""
    wd = _weekdays(open_days)
    kind = rng.choices(("0700", "0800", "0900", "4x10"), (30, 35, 25, 10))[0]
    if kind == "4x10":
        out = _every(wd[:4], "07:00", "17:30", "work")
    else:
        start, end = {"0700": ("07:00", "15:30"), "0800": ("08:00", "17:00"),
                      "0900": ("09:00", "17:30")}[kind]
        out = _every(wd, start, end, "work")
    if 5 in open_days and rng.random() < 0.3:
        out += _every((5,), "09:00", "15:00", "work")
    return out


def arch_day(rng: random.Random, open_days) -> list[tuple[int, int, int, str]]:
    """Free mornings: second shift, parents, part-time afternoon jobs, night shifts."""
    wd = _weekdays(open_days)
    kind = rng.choices(("second", "parent", "part_time", "night", "free"), (35, 25, 20, 10, 10))[0]
    if kind == "second":
        out = _every(wd, "14:00", "22:00", "work")
        if 5 in open_days and rng.random() < 0.4:
            out += _every((5,), "14:00", "22:00", "work")
        return out
    if kind == "parent":
        out = _every(wd, rng.choice(("14:30", "15:00")), "16:00", "caregiving")
        return out + _every(wd, "07:30", "08:00", "caregiving")
    if kind == "part_time":
        days = [d for d in wd if rng.random() < 0.8] or list(wd[:3])
        return _every(days, rng.choice(("14:00", "14:30")), "19:00", "work")
    if kind == "night":
        out = []
        for d in wd[:4]:
            out += [(d, hm("23:00"), 24 * 60, "work"), (d + 1, 0, hm("07:00"), "work")]
        return out
    return _every(wd, "15:00", "18:00", "transport") if rng.random() < 0.5 else []


def arch_afternoon(rng: random.Random, open_days) -> list[tuple[int, int, int, str]]:
    wd = _weekdays(open_days)
    kind = rng.choices(("student", "early_shift", "toddler"), (50, 30, 20))[0]
    if kind == "student":
        return [(d, hm("08:00"), hm(rng.choice(("11:00", "11:30"))), "school") for d in wd]
    if kind == "early_shift":
        return _every(wd, "06:00", rng.choice(("10:30", "11:00")), "work")
    return _every(wd, "08:00", "11:30", "caregiving")


def arch_flex(rng: random.Random, open_days) -> list[tuple[int, int, int, str]]:
    """Free all day (disability, retired, between jobs), now and then an appointment."""
    wd = _weekdays(open_days)
    if rng.random() < 0.4:
        return [(rng.choice(wd), hm("10:00"), hm("11:00"), "other")]
    return []


def arch_teen(rng: random.Random, open_days) -> list[tuple[int, int, int, str]]:
    wd = _weekdays(open_days)
    out = _every(wd, "08:00", "15:00", "school")
    if rng.random() < 0.3:
        out.append((rng.choice(wd), hm("15:30"), hm("17:30"), "other"))  # sports practice
    if 5 in open_days and rng.random() < 0.3:
        out.append((5, hm("10:00"), hm("14:00"), "work"))  # a Saturday job
    return out


ARCHETYPES = {"day": arch_day, "afternoon": arch_afternoon, "evening": arch_evening,
              "flex": arch_flex, "teen": arch_teen}
# days a week (the witness), by band: 2-day participants are step-down with days_min 2
DAY_COUNTS = {"teen": ((2, 3, 4, 5), (10, 55, 25, 10)),
              "default": ((2, 3, 4, 5), (10, 45, 30, 15))}


# --- planted participants: unmeetable, each for a reason of their own ------------------------------

PLANTED_REASONS = {  # reason code (Generated.planted, planted.json) -> what the coordinator sees
    "works_all_day": "works every open day 07:00-20:00: no 2-hour window on 3 days",
    "two_free_days": "free on only two days",
    "no_prescriber_time": "needs medication but is at work whenever a prescriber is in",
    "no_family_therapist_time": "family sessions, but at work whenever a family therapist is in",
    "days_min_above_open_days": "days_min is above the number of open days",
    "week_hours_above_max": "week_hours_min is above days_max x day_hours_max",
}


# --- the planner -------------------------------------------------------------------------------

class KindPlanner:
    """Invents one program week of a kind together with a tight witness schedule."""

    def __init__(self, kind: str, size_name: str, size: Size, rng: random.Random):
        self.spec = SPECS[kind]
        self.size_name = size_name
        self.size = size
        self.rng = rng
        self.days = tuple(range(size.days))
        self.weekdays = tuple(d for d in self.days if d < 5)
        self.busy = Busy()
        self.staff: list[StaffMember] = []
        self.staff_by_id: dict[str, StaffMember] = {}
        self.rooms: list[RoomSpec] = []
        self.sessions: list[GSession] = []
        self.by_day: dict[int, list[GSession]] = {d: [] for d in self.days}
        self.people: list[KPerson] = []
        self.by_pid: dict[str, KPerson] = {}
        self.extras: list[Extra] = []
        self.med_day: int | None = None
        self.planted_ids: list[str] = []

    # names, rooms and staff --------------------------------------------------------------------
    def names(self, n: int) -> list[str]:
        pairs = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
        self.rng.shuffle(pairs)
        return [f"{f} {last}" for f, last in pairs[:n]]

    def make_rooms(self) -> None:
        group, offices, tele = self.spec.rooms[self.size_name]
        for i in range(group):
            kinds = ("group", "family") if i % 2 == 1 else ("group",)
            self.rooms.append(RoomSpec(f"GR-{i + 1}", self.rng.choice((12, 14)), kinds))
        for i in range(offices):
            self.rooms.append(RoomSpec(f"OFF-{i + 1}", self.rng.choice((3, 4)),
                                       ("individual", "family", "medication")))
        for i in range(tele):
            self.rooms.append(RoomSpec(f"TELE-{i + 1}", None, ("individual", "family", "medication")))

    def make_staff(self) -> None:
        n = self.size.staff
        prescribers = 1 if self.spec.one_prescriber else max(1, round(n / 8))
        clinicians = n - prescribers
        late = min(clinicians - 2, max(2, round(clinicians * self.spec.late)))
        late_roles = (("therapist", "counselor"), ("counselor", "peer_specialist"),
                      ("therapist", "family_therapist"), ("therapist", "counselor"),
                      ("counselor",), ("therapist", "family_therapist", "counselor"),
                      ("therapist",), ("counselor", "peer_specialist"))
        early_roles = (("therapist", "counselor"), ("counselor", "peer_specialist"),
                       ("therapist",), ("counselor",), ("therapist", "counselor"))
        names = self.names(n)
        early_shift, late_shift = (hm("08:00"), hm("16:30")), (hm("12:30"), hm("21:00"))
        for i in range(clinicians):
            is_late = i < late
            j = i if is_late else i - late
            roles = late_roles[j % len(late_roles)] if is_late else early_roles[j % len(early_roles)]
            start, end = late_shift if is_late else early_shift
            windows = [(d, start, end) for d in self.weekdays]
            if 5 in self.days and not is_late and j % 2 == 0:  # Tue-Sat, Saturday morning
                windows = [(d, start, end) for d in self.weekdays[1:]] + [(5, hm("08:00"), hm("14:00"))]
            self.staff.append(StaffMember(f"S{i + 1:02d}", names[i], roles, max_day=8,
                                          max_week=40, windows=windows))
        for k in range(prescribers):  # windows are chosen once the week is known
            i = clinicians + k
            self.staff.append(StaffMember(f"S{i + 1:02d}", "Dr. " + names[i], ("prescriber",),
                                          max_day=12, max_week=12, windows=[]))
        if self.spec.one_prescriber:
            self.med_day = self.rng.choice(self.weekdays[1:4])
            self.staff[-1].windows = [(self.med_day, *PRESCRIBER_DAY_WINDOW)]
        self.staff_by_id = {s.staff_id: s for s in self.staff}

    # free staff and rooms ----------------------------------------------------------------------
    def free_staff(self, role: str, day: int, start: int, end: int,
                   prefer: str | None = None) -> StaffMember | None:
        ok = [s for s in self.staff if role in s.roles and s.can(day, start, end)
              and self.busy.free(s.staff_id, day, start, end)]
        for s in ok:
            if s.staff_id == prefer:
                return s
        return min(ok, key=lambda s: (len(s.roles), s.week_minutes, s.staff_id), default=None)

    def free_room(self, kind: str, day: int, start: int, end: int) -> RoomSpec | None:
        def rank(r: RoomSpec) -> tuple:
            if kind == "group":
                return (0, r.room_id)
            return (2 if "group" in r.kinds else (1 if r.capacity is None else 0), r.room_id)

        for r in sorted((r for r in self.rooms if kind in r.kinds), key=rank):
            if self.busy.free(r.room_id, day, start, end):
                return r
        return None

    def book(self, who: StaffMember, room: RoomSpec, day: int, start: int, end: int) -> None:
        who.book(day, start, end)
        self.busy.book(who.staff_id, day, start, end)
        self.busy.book(room.room_id, day, start, end)

    def release(self, staff_id: str, room_id: str, day: int, start: int, end: int) -> None:
        self.staff_by_id[staff_id].book(day, start, end, sign=-1)
        self.busy.release(staff_id, day, start, end)
        self.busy.release(room_id, day, start, end)

    # participants --------------------------------------------------------------------------
    def band_counts(self, n: int) -> dict[str, int]:
        shares = self.spec.shares
        counts = {b: round(n * s) for b, s in shares.items()}
        main = max(shares, key=lambda b: shares[b])
        counts[main] += n - sum(counts.values())
        adult = [b for b in counts if b in ("day", "evening")]  # (afternoon: evening lanes)
        big = max(adult, key=lambda b: counts[b])
        for b in adult:  # too few for lanes of their own: they come with the biggest adult band
            if b != big and counts[b] < 6:
                counts[big] += counts.pop(b)
        return counts

    def make_people(self) -> None:
        n = self.size.participants
        planted = 0
        if self.spec.planted:
            planted = max(2, round(self.spec.planted * n))
        counts = self.band_counts(n - planted)
        names = self.names(n)
        ids = [f"P{i + 1:03d}" for i in range(n)]
        self.rng.shuffle(ids)
        bands = [b for b, c in counts.items() for _ in range(c)]
        self.planted_ids = ids[len(bands):]
        for pid, band in zip(ids, bands, strict=False):
            self.people.append(self.new_person(pid, names[int(pid[1:]) - 1], band))
        self.by_pid = {p.pid: p for p in self.people}

    def new_person(self, pid: str, name: str, band: str) -> KPerson:
        rng = self.rng
        teen = band == "teen"
        track = "Adolescent" if teen else rng.choices(("SUD", "MH", "Dual"), (35, 30, 35))[0]
        level = "IOP-adolescent" if teen else "IOP"
        p = KPerson(pid, name, track, band, level)
        if not teen and rng.random() < 0.25:
            p.tags.append("women")
        p.commitments = sorted(ARCHETYPES[band](rng, self.days))
        p.free = {d: free_windows(p.commitments, d) for d in self.days}
        (p.days_min, p.days_max, p.dh_min, p.dh_max, p.wh_min, p.wh_max) = LEVELS[level]
        counts, weights = DAY_COUNTS["teen" if teen else "default"]
        p.k = rng.choices(counts, weights)[0]
        if p.k == 2:  # step-down: two days a week
            p.days_min, p.wh_min = 2, (240 if teen else 300)
        p.needs_medication = rng.random() < (0.25 if teen else 0.4)
        p.family_sessions = rng.random() < (0.6 if teen else 0.2)
        return p

    def band_days(self, p: KPerson) -> list[int]:
        return [d for d in self.days if p.free.get(d)]

    # lanes ----------------------------------------------------------------------------------------
    def group_rooms(self) -> list[RoomSpec]:
        return [r for r in self.rooms if "group" in r.kinds]

    def make_lanes(self) -> None:
        busy = BANDS[self.spec.busy]
        for day in self.weekdays:
            for room in self.group_rooms():
                self.place_lane(busy, day, [room])
        demand: dict[str, float] = {}
        for p in self.people:
            band = p.band
            if band == "flex" and busy.audience != "adult":  # the flexible fill adult lanes
                band = "day"
            if band in BANDS and band != busy.name:
                demand[band] = demand.get(band, 0) + 9
        for name in ("teen", "day", "afternoon", "evening"):
            if demand.get(name, 0) < 6 * 9:  # too few for lanes of their own: they join others
                continue
            lane = BANDS[name]
            days = [d for d in self.days if d < 5 or lane.saturday]
            # ~85% of the seats; evening workers need four or five evenings to choose from
            least = len(self.weekdays) if name == "evening" else 3
            lanes = max(least, math.ceil(demand[name] / (3.25 * 11 * 0.85)))
            self.rng.shuffle(days)
            if self.med_day in days:  # the flagged come on the prescriber's day: room for them
                days.remove(self.med_day)
                days = [self.med_day] * len(self.group_rooms()) + days
            placed, misses, i = 0, 0, 0
            while placed < lanes and misses < len(days):  # round the days until all are full
                day = days[i % len(days)]
                i += 1
                if self.place_lane(lane, day, self.group_rooms()):
                    placed, misses = placed + 1, 0
                else:
                    misses += 1

    def place_lane(self, band: KBand, day: int, rooms: list[RoomSpec]) -> bool:
        shapes = list(band.shapes)
        self.rng.shuffle(shapes)
        for room in rooms:
            for start, durs in shapes:
                end = start + sum(durs)
                if not self.busy.free(room.room_id, day, start, end):
                    continue
                made = self.make_lane(band, day, room, start, durs)
                if made:
                    return True
        return False

    def make_lane(self, band: KBand, day: int, room: RoomSpec, start: int, durs) -> bool:
        aud = band.audience
        pool60 = list(POOL60[aud])
        self.rng.shuffle(pool60)
        if aud == "adult" and self.size.participants >= 60 and self.rng.random() < 0.15:
            pool60.insert(0, "Women's Group")
        pool90 = list(POOL90[aud])
        if aud == "adult":  # a lane's second 90-minute group: DBT (MH, Dual) from medium on
            second = ("DBT Skills", "Seeking Safety") if self.size.participants >= 60 else \
                ("Seeking Safety",)
            pool90 = ["Process Group", self.rng.choice(second)]
        made: list[GSession] = []
        s = start
        used: list[str] = []
        for d in durs:
            names = [x for x in (pool90 if d == 90 else pool60) if x not in used]
            chosen = None
            for name in names:
                t = TYPES[name]
                leader = self.free_staff(t["staff_role"], day, s, s + d)
                if leader is not None:
                    leader.book(day, s, s + d)
                    self.busy.book(leader.staff_id, day, s, s + d)
                    chosen = GSession(name, day, s, s + d, room.room_id, leader.staff_id,
                                      min(t["max_size"], room.capacity or t["max_size"]),
                                      t["min_size"])
                    break
            if chosen is None:
                for g in made:
                    self.staff_by_id[g.staff_id].book(day, g.start, g.end, sign=-1)
                    self.busy.release(g.staff_id, day, g.start, g.end)
                return False
            made.append(chosen)
            used.append(chosen.type_name)
            s += d
        self.busy.book(room.room_id, day, start, s)
        self.sessions += made
        self.by_day[day] += made
        return True

    # a participant's week ---------------------------------------------------------------------
    def score(self, g: GSession) -> float:
        n = len(g.members)
        if 0 < n < g.min_size:
            return 10.0
        return 4.0 * (g.cap - n) / g.cap

    def chains(self, p: KPerson, day: int) -> list[tuple[float, list[GSession], int]]:
        """Runs of groups p can attend on `day`: gaps <= 30 min, distinct types, 2-4 h."""
        ok = [g for g in self.by_day[day] if g.alive and len(g.members) < g.cap
              and p.fits(day, g.start, g.end) and eligible(p, g.type_name)]
        ok.sort(key=lambda g: (g.start, g.room_id))
        scores = {id(g): self.score(g) + self.rng.random() for g in ok}
        out: list[tuple[float, list[GSession], int]] = []

        def extend(chain: list[GSession], minutes: int, total: float) -> None:
            if minutes >= p.dh_min:
                out.append((total, chain, minutes))
            if len(chain) == 4:
                return
            last = chain[-1]
            used = {g.type_name for g in chain}
            nxt = [g for g in ok if 0 <= g.start - last.end <= MAX_GAP and g.type_name not in used
                   and minutes + g.end - g.start <= p.dh_max]
            nxt.sort(key=lambda g: -scores[id(g)])
            for g in nxt[:3]:
                extend([*chain, g], minutes + g.end - g.start, total + scores[id(g)])

        for g in ok:
            extend([g], g.end - g.start, scores[id(g)])
        return out

    def plan_week(self, p: KPerson) -> bool:
        cands = {}
        for d in self.band_days(p):
            cs = self.chains(p, d)
            if cs:
                cands[d] = cs
        if len(cands) < p.days_min or (p.med_day is not None and p.med_day not in cands):
            return False
        needs = weekly_needs(p)
        best = {d: max(c[0] for c in cs) + 2 * self.rng.random() for d, cs in cands.items()}
        order = sorted(cands, key=lambda d: -best[d])
        if p.med_day is not None:
            order.remove(p.med_day)
            order.insert(0, p.med_day)
        top = min(p.days_max, len(cands))
        # the prescriber's day: other runs that day, for a free visit next to one of them
        alts = [None] if p.med_day is None else \
            [None, *sorted(cands[p.med_day], key=lambda c: -c[0])[:8]]
        for k in list(range(max(p.k, p.days_min), top + 1)) + list(range(p.days_min, p.k)):
            chosen = sorted(order[:k])
            for alt in alts:
                plan = self.pick_chains(p, chosen, cands, needs, {p.med_day: alt} if alt else {})
                if plan is None:
                    continue
                for d, chain in plan.items():
                    p.items[d] = list(chain)
                    for g in chain:
                        g.members.append(p.pid)
                if self.place_extra(p, "Individual Therapy", chosen, fresh=True) and (
                        p.med_day is None
                        or self.place_extra(p, "Medication Management", [p.med_day], fresh=True)):
                    return True
                self.unplan(p)
        return False

    def pick_chains(self, p: KPerson, days: list[int], cands, needs, fixed) -> dict | None:
        plan: dict[int, list[GSession]] = {}
        acc = 0
        have = {name: 0 for name, _ in needs}
        for i, d in enumerate(days):
            left = len(days) - i
            need = max(p.dh_min, math.ceil((p.wh_min - acc) / left / 30) * 30)
            short = [name for name, m in needs if m - have[name] >= left]
            options = [c for c in cands[d] if all(any(g.type_name == n for g in c[1]) for n in short)]
            options = [fixed[d]] if d in fixed else (options or cands[d])
            long_enough = [c for c in options if c[2] >= need]
            # the best-scored run that is long enough, without taking seats it does not need
            if long_enough:
                pick = max(long_enough, key=lambda c, need=need: c[0] - (c[2] - need) / 10)  # type: ignore[misc]
            else:
                pick = max(options, key=lambda c: (c[2], c[0]))
            plan[d] = pick[1]
            acc += pick[2]
            for g in pick[1]:
                if g.type_name in have:
                    have[g.type_name] += 1
        if acc < p.wh_min or acc > p.wh_max or any(have[n] < m for n, m in needs):
            return None
        return plan

    def unplan(self, p: KPerson) -> None:
        for items in p.items.values():
            for x in items:
                if isinstance(x, GSession):
                    x.members.remove(p.pid)
                else:
                    self.release(x.staff_id, x.room_id, x.day, x.start, x.end)
                    self.extras.remove(x)
        p.items = {}

    # checks of one day and of the week -------------------------------------------------------
    def day_ok(self, p: KPerson, items: list) -> bool:
        items = sorted(items, key=lambda x: x.start)
        for a, b in itertools.pairwise(items):
            if b.start < a.end or b.start - a.end > MAX_GAP:
                return False
        names = [x.type_name for x in items]
        return len(names) == len(set(names)) and p.dh_min <= p.minutes(items) <= p.dh_max

    def week_ok(self, p: KPerson, day: int, items: list) -> bool:
        other = {d: v for d, v in p.items.items() if d != day}
        if items:
            other[day] = items
        week = sum(p.minutes(v) for v in other.values())
        if not (p.wh_min <= week <= p.wh_max and p.days_min <= len(other) <= p.days_max):
            return False
        counts: dict[str, int] = {}
        for v in other.values():
            for x in v:
                counts[x.type_name] = counts.get(x.type_name, 0) + 1
        for name, c in counts.items():
            wmax = TYPES[name]["weekly_max"]
            if wmax is not None and c > wmax:
                return False
        return all(counts.get(name, 0) >= m for name, m in weekly_needs(p))

    # individual, medication and family sessions -------------------------------------------------
    def place_extra(self, p: KPerson, type_name: str, days: list[int], fresh: bool = False) -> bool:
        """Book a session of `type_name` next to p's chain on one of `days`, or instead of one
        (or, for a 30-minute visit, part of one) of its groups; the day stays >= 2 h. `fresh`:
        p has just been put in those groups, so leaving one cannot break its minimum."""
        t = TYPES[type_name]
        m = t["minutes"]
        days = [d for d in days if d in p.items]
        self.rng.shuffle(days)
        for day in days:
            items = p.items[day]
            lo = min(x.start for x in items)
            hi = max(x.end for x in items)
            xs = list(range(lo - m - MAX_GAP, hi + MAX_GAP + 1, SLOT))
            self.rng.shuffle(xs)
            xs.sort(key=lambda x: 0 if x in (hi, lo - m) else (2 if x in (hi + 30, lo - m - 30) else 1))
            for x in xs:
                y = x + m
                if x < OPEN or y > CLOSE or not p.fits(day, x, y):
                    continue
                hit = [g for g in items if g.start < y and x < g.end]
                if any(not g.is_group or (len(g.members) <= g.min_size and not fresh)
                       for g in hit):
                    continue
                new = Extra(type_name, day, x, y, "", "", p.pid)
                rest = [g for g in items if g not in hit] + [new]
                if not self.day_ok(p, rest) or not self.week_ok(p, day, rest):
                    continue
                leader = self.free_staff(t["staff_role"], day, x, y, prefer=p.therapist)
                room = self.free_room(t["kind"], day, x, y)
                if leader is None or room is None:
                    continue
                self.book(leader, room, day, x, y)
                new.staff_id, new.room_id = leader.staff_id, room.room_id
                for g in hit:
                    g.members.remove(p.pid)
                p.items[day] = sorted(rest, key=lambda g: g.start)
                self.extras.append(new)
                if type_name == "Individual Therapy":
                    p.therapist = leader.staff_id
                return True
        return False

    # filling, repair ----------------------------------------------------------------------------
    def fill(self) -> None:
        def slack(p: KPerson) -> float:
            free = sum(b - a for d in self.days for a, b in p.free.get(d, ()))
            return free + (10_000 if p.band == "flex" else 0) + 600 * self.rng.random()

        order = sorted(self.people, key=slack)
        failed = []
        for p in order:
            if self.plan_week(p):
                continue
            if p.med_day is not None:  # no visit on the prescriber's day: no medication
                p.med_day, p.needs_medication = None, False
                if self.plan_week(p):
                    continue
            failed.append(p)
        for p in failed:  # redraw their commitments (another shift), step down to two days a
            for attempt in range(5):  # week, then make them flexible
                if attempt == 3:
                    p.k, p.days_min, p.wh_min = 2, 2, (240 if p.teen else 300)
                if attempt == 4:
                    p.band = "flex"
                if attempt != 3:
                    p.commitments = sorted(ARCHETYPES[p.band](self.rng, self.days))
                    p.free = {d: free_windows(p.commitments, d) for d in self.days}
                if self.plan_week(p):
                    break
            else:
                raise PlanningError(f"no week for {p.pid} ({p.band})")

    def repair(self) -> None:
        for _ in range(10 * len(self.sessions) + 10):
            under = [g for g in self.sessions if g.alive and 0 < len(g.members) < g.min_size]
            if not under:
                return
            g = min(under, key=lambda g: (len(g.members), g.day, g.start, g.room_id))
            if self.recruit(g):
                continue
            g.alive = False
            hit = [self.by_pid[pid] for pid in list(g.members)]
            for p in hit:
                self.unplan(p)
            for p in hit:
                if not self.plan_week(p):
                    raise PlanningError(f"no week for {p.pid} after dissolving a group")
        raise PlanningError("group sizes did not settle")

    def recruit(self, g: GSession) -> bool:
        people = [p for p in self.people if g.day in p.items and p.pid not in g.members
                  and eligible(p, g.type_name) and p.fits(g.day, g.start, g.end)]
        self.rng.shuffle(people)
        for p in people:
            if len(g.members) >= g.min_size:
                return True
            items = p.items[g.day]
            hit = [x for x in items if x.start < g.end and g.start < x.end]
            if any(not x.is_group or len(x.members) <= x.min_size for x in hit):
                continue
            rest = [x for x in items if x not in hit] + [g]
            if not self.day_ok(p, rest) or not self.week_ok(p, g.day, rest):
                continue
            for x in hit:
                x.members.remove(p.pid)
            g.members.append(p.pid)
            p.items[g.day] = sorted(rest, key=lambda x: x.start)
        return len(g.members) >= g.min_size

    def drop_empty(self) -> None:
        for g in self.sessions:
            if g.alive and not g.members:
                g.alive = False
            if not g.alive:
                self.staff_by_id[g.staff_id].book(g.day, g.start, g.end, sign=-1)
                self.busy.release(g.staff_id, g.day, g.start, g.end)
                self.busy.release(g.room_id, g.day, g.start, g.end)
        self.sessions = [g for g in self.sessions if g.alive]
        self.by_day = {d: [g for g in self.by_day[d] if g.alive] for d in self.days}

    # medication and family ---------------------------------------------------------------------
    def schedule_prescribers(self) -> None:
        """Each prescriber: a morning window on one day, an afternoon-evening one on another,
        where the participants who need medication attend."""
        windows = {"am": (hm("08:30"), hm("13:00")), "pm": (hm("15:00"), hm("21:00"))}
        demand = {(d, h): 0.0 for d in self.days for h in windows}
        for p in self.people:
            if p.needs_medication:
                for d, items in p.items.items():
                    h = "am" if min(x.start for x in items) < hm("13:00") else "pm"
                    demand[d, h] += 1 / len(p.items)
        for s in self.staff:
            if "prescriber" not in s.roles:
                continue
            chosen: list[tuple[int, str]] = []
            for h in windows:
                d = max((d for d in self.days if all(d != c for c, _ in chosen)),
                        key=lambda d, h=h: (demand[d, h], -d))  # type: ignore[misc]
                demand[d, h] -= 9
                chosen.append((d, h))
            s.windows = sorted((d, *windows[h]) for d, h in chosen)

    def place_services(self) -> None:
        people = list(self.people)
        self.rng.shuffle(people)
        order = {"evening": 0, "teen": 1, "afternoon": 2, "flex": 3, "day": 4}
        people.sort(key=lambda p: order[p.band])
        for p in people:
            if p.needs_medication and p.med_day is None:
                p.needs_medication = self.place_extra(p, "Medication Management", list(p.items))
        for p in people:
            if p.family_sessions:
                p.family_sessions = self.place_extra(p, "Family Session", list(p.items))

    # planted participants ----------------------------------------------------------------------
    def make_planted(self) -> None:
        reasons = list(PLANTED_REASONS)
        self.rng.shuffle(reasons)
        names = self.names(self.size.participants)
        for i, pid in enumerate(sorted(self.planted_ids)):
            reason = reasons[i % len(reasons)]
            band = "day" if reason in ("no_family_therapist_time",) else "flex"
            p = self.new_person(pid, names[int(pid[1:]) - 1], band)
            p.k, p.days_min, p.wh_min = 3, 3, 540 if not p.teen else 360
            p.planted = reason
            p.needs_medication = reason == "no_prescriber_time"
            p.family_sessions = reason == "no_family_therapist_time"
            p.commitments = self.planted_commitments(reason)
            if reason == "days_min_above_open_days":
                p.days_min = p.days_max = len(self.days) + 1
            if reason == "week_hours_above_max":
                p.wh_min = p.wh_max = (min(p.days_max, len(self.days)) * p.dh_max) + 120
            self.people.append(p)
            self.by_pid[pid] = p

    def planted_commitments(self, reason: str) -> list[tuple[int, int, int, str]]:
        days = list(self.days)
        if reason == "works_all_day":
            return _every(days, "07:00", "20:00", "work")
        if reason == "two_free_days":
            free = sorted(self.rng.sample(days, 2))
            return [(d, hm("07:00"), hm("21:30"), "caregiving") for d in days if d not in free]
        role = {"no_prescriber_time": "prescriber", "no_family_therapist_time": "family_therapist"}
        if reason in role:
            out = []
            for d in days:
                ws = [(a, b) for s in self.staff if role[reason] in s.roles
                      for dd, a, b in s.windows if dd == d]
                if ws:
                    out.append((d, min(a for a, _ in ws), max(b for _, b in ws), "work"))
            return out
        return _every(self.weekdays, "14:00", "22:00", "work")  # the level reasons: a day track

    # output -------------------------------------------------------------------------------------
    def run(self) -> tuple[dict[str, list[dict]], list[dict], dict[str, str]]:
        self.make_rooms()
        self.make_staff()
        self.make_people()
        if self.spec.one_prescriber:
            self.choose_medication()
        self.make_lanes()
        self.fill()
        self.repair()
        self.drop_empty()
        if not self.spec.one_prescriber:
            self.schedule_prescribers()
        self.place_services()
        if self.spec.one_prescriber:
            self.trim_medication()
        self.make_planted()
        self.tighten_staff()
        planted = {p.pid: p.planted for p in self.people if p.planted}
        return self.sheets(), self.witness(), planted

    def choose_medication(self) -> None:
        """Prescriber kind: the participants who will need medication must come on its day."""
        for p in self.people:
            p.needs_medication = False
        # the visit is next to a run of groups: evening workers who come at 17:30 or later
        # compete for the few evening half-hours, so the flagged are mostly day and flexible
        med = self.med_day
        assert med is not None, "the prescriber kind has a prescriber's day"
        people = [p for p in self.people if p.free.get(med)]
        weight = {p.pid: self.rng.random() * (0.35 if min(
            a for a, _ in p.free[med]) >= hm("17:00") else 1.0) for p in people}
        people.sort(key=lambda p: -weight[p.pid])
        a, b = PRESCRIBER_DAY_WINDOW
        want = min(round(0.5 * len(self.people)), (b - a) // 30 + 4)  # some find no slot
        for p in people[:want]:
            p.needs_medication = True
            p.med_day = self.med_day

    def trim_medication(self) -> None:
        """At most 45% flagged (visits at the end of a day are given back); from medium down
        at least 35%, else this draw is replaced."""
        med = self.med_day
        assert med is not None, "the prescriber kind has a prescriber's day"
        flagged = [p for p in self.people if p.needs_medication]
        self.rng.shuffle(flagged)
        extra = len(flagged) - int(0.45 * len(self.people))
        for p in flagged:
            if extra <= 0:
                break
            items = p.items[med]
            visit = next(x for x in items if x.type_name == "Medication Management")
            if visit in (items[0], items[-1]) and self.day_ok(p, [x for x in items if x is not visit]):
                items.remove(visit)
                self.extras.remove(visit)
                self.release(visit.staff_id, visit.room_id, visit.day, visit.start, visit.end)
                p.needs_medication, p.med_day = False, None
                extra -= 1
        share = sum(p.needs_medication for p in self.people) / len(self.people)
        if self.size.participants <= 60 and not 0.35 <= share <= 0.45:
            raise PlanningError(f"medication share {share:.0%} outside 35-45%")

    def tighten_staff(self) -> None:
        """Maxima from the witness load: its hours plus ~10% and 1-3 h, never lavish."""
        for s in self.staff:
            if "prescriber" in s.roles:
                hours = sum(b - a for _, a, b in s.windows) / 60
                s.max_day = math.ceil(max((b - a for _, a, b in s.windows), default=0) / 60)
                s.max_week = math.ceil(hours)
                continue
            load = s.week_minutes / 60
            s.max_week = max(6, min(40, math.ceil(load * 1.1) + self.rng.choice((1, 2, 3))))
            peak = max(s.day_minutes.values(), default=0) / 60
            s.max_day = max(4, min(8, math.ceil(peak) + self.rng.choice((0, 1))))

    def witness(self) -> list[dict]:
        rows = []
        for g in sorted(self.sessions, key=lambda g: (g.day, g.start, g.room_id)):
            rows.append({"session_type": g.type_name, "kind": "group", "day": DAY_NAMES[g.day],
                         "start": hhmm(g.start), "end": hhmm(g.end), "staff_id": g.staff_id,
                         "room_id": g.room_id, "participants": sorted(g.members)})
        for x in sorted(self.extras, key=lambda x: (x.day, x.start, x.room_id)):
            rows.append({"session_type": x.type_name, "kind": TYPES[x.type_name]["kind"],
                         "day": DAY_NAMES[x.day], "start": hhmm(x.start), "end": hhmm(x.end),
                         "staff_id": x.staff_id, "room_id": x.room_id, "participants": [x.pid]})
        return rows

    def sheets(self) -> dict[str, list[dict]]:
        rng = self.rng
        teen = any(p.teen for p in self.people)
        types = [dict(t) for t in KIND_TYPES if teen or t["session_type"] not in TEEN_TYPES]
        staff = [{"staff_id": s.staff_id, "name": s.name, "roles": ", ".join(s.roles),
                  "max_hours_week": s.max_week, "max_hours_day": s.max_day} for s in self.staff]
        avail = [{"staff_id": s.staff_id, "day": DAY_NAMES[d], "start": hhmm(a), "end": hhmm(b)}
                 for s in self.staff for d, a, b in sorted(s.windows)]
        rooms = [{"room_id": r.room_id, "capacity": r.capacity, "kinds": ", ".join(r.kinds)}
                 for r in self.rooms]
        people, commitments = [], []
        for p in sorted(self.people, key=lambda x: x.pid):
            level = LEVELS[p.level]
            week = p.week_minutes()
            row: dict[str, object] = {"participant_id": p.pid, "name": p.name, "track": p.track,
                                      "tags": ", ".join(p.tags), "level": p.level}
            if p.days_min != level[0]:
                row["days_min"] = p.days_min
            if p.days_max != level[1]:
                row["days_max"] = p.days_max
            if p.planted == "week_hours_above_max":
                row["week_hours_min"] = row["week_hours_max"] = p.wh_min // 60
            elif p.wh_min != level[4] and not p.planted:
                row["week_hours_min"] = min(level[4] // 60, week // 60)
            band = BANDS.get(p.band)
            starts = [min(x.start for x in v) for v in p.items.values()]
            if band and starts and rng.random() < 0.35:
                lo, hi = {"morning": (0, 720), "afternoon": (720, 1020), "evening": (1020, 1440)}[
                    band.preferred_time]
                if all(lo <= s < hi for s in starts):
                    row["preferred_time"] = band.preferred_time
            if p.items and rng.random() < 0.2:
                row["preferred_days"] = ", ".join(DAY_NAMES[d] for d in sorted(p.items))
            if p.therapist and rng.random() < 0.6:
                row["primary_therapist"] = p.therapist
            row["needs_medication"] = p.needs_medication
            row["family_sessions"] = p.family_sessions
            people.append(row)
            for d, s, e, reason in p.commitments:
                commitments.append({"participant_id": p.pid, "day": DAY_NAMES[d],
                                    "start": hhmm(s), "end": hhmm(e), "reason": reason})
        return {"Staff": staff, "StaffAvailability": avail, "Rooms": rooms, "SessionTypes": types,
                "Participants": people, "Commitments": commitments, "Pinned": []}


# --- measures ---------------------------------------------------------------------------------

def band_use(sheets: dict[str, list[dict]], witness: list[dict], n_days: int) -> dict[str, float]:
    """Share of each band's room-hours in the group rooms that the witness uses (any session
    in a group room counts), over the band's days: weekdays, and Saturday for the day band."""
    group = [r["room_id"] for r in sheets["Rooms"] if "group" in (r["kinds"] or "")]
    out = {}
    for name, (a, b) in BAND_WINDOWS.items():
        days = [DAY_NAMES[d] for d in range(n_days) if d < 5 or BANDS[name].saturday]
        used = 0
        for s in witness:
            if s["room_id"] in group and s["day"] in days:
                used += max(0, min(b, hm(s["end"])) - max(a, hm(s["start"])))
        out[name] = used / (len(group) * len(days) * (b - a)) if group else 0.0
    return out


# --- rooms override ---------------------------------------------------------------------------

def _category(r: dict) -> int:
    kinds = r["kinds"] or ""
    return 0 if "group" in kinds else (2 if r["capacity"] is None else 1)


def resize_rooms(sheets: dict[str, list[dict]], n: int) -> bool:
    """Keep n rooms: group rooms, offices and telehealth in proportion, the biggest group rooms
    (and offices) first; add rooms (copies of each category's first) when n is larger. Returns
    whether every room of the planned week is still there (the witness still holds)."""
    rooms = sheets["Rooms"]
    if n < 1:
        raise InputError(f"--rooms must be at least 1, got {n}")
    if n == len(rooms):
        return True
    cats: list[list[dict]] = [[], [], []]
    for r in rooms:
        cats[_category(r)].append(r)
    for c in cats[:2]:
        c.sort(key=lambda r: -(r["capacity"] or 0))  # stable: by id among equal capacities
    total = len(rooms)
    quota = [len(c) * n / total for c in cats]
    keep = [int(q) for q in quota]
    for i in sorted(range(3), key=lambda i: (-(quota[i] - keep[i]), i))[: n - sum(keep)]:
        keep[i] += 1
    for i in range(3):  # every category that existed keeps a room when there is one to give
        if cats[i] and keep[i] == 0:
            j = max(range(3), key=lambda j: keep[j])
            if keep[j] > 1:
                keep[j] -= 1
                keep[i] += 1
    if n < total:
        kept = {id(r) for i, c in enumerate(cats) for r in c[: keep[i]]}
        sheets["Rooms"] = [r for r in rooms if id(r) in kept]
        return False
    ids = {r["room_id"] for r in rooms}
    prefix = ("GR-", "OFF-", "TELE-")
    for i, c in enumerate(cats):
        template = c[0] if c else {"capacity": (12, 4, None)[i], "kinds": (
            "group", "individual, family, medication", "individual, family, medication")[i]}
        k = len(c)
        for _ in range(keep[i] - len(c)):
            while f"{prefix[i]}{k + 1}" in ids:
                k += 1
            ids.add(f"{prefix[i]}{k + 1}")
            rooms.append({"room_id": f"{prefix[i]}{k + 1}", "capacity": template["capacity"],
                          "kinds": template["kinds"]})
    return True


# --- entry point --------------------------------------------------------------------------------

def plan_kind(kind: str, size_name: str, size: Size, seed: int):
    """(sheets, witness, planted) of a kind other than classic."""
    for attempt in range(30):  # an unlucky draw is replaced by the next, reproducibly
        rng = random.Random(f"{kind}:{size_name}:{seed}:{attempt}")
        try:
            return KindPlanner(kind, size_name, size, rng).run()
        except PlanningError:
            continue
    raise PlanningError(f"could not generate a feasible {kind} {size_name} program from seed {seed}")
