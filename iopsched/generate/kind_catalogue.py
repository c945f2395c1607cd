"""The generated kinds' catalogue: session types, bands and lanes, kind specifications, the
witness week's objects, commitment archetypes and planted reasons (`generate.kinds`)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from iopsched.generate.common import (
    BUFFER,
    CLOSE,
    OPEN,
    every,
    hm,
    type_row,
)

MAX_GAP = 30

# --- the catalogue (in the style of the evening-workers case) -------------------------------------

ADULT = "SUD, MH, Dual"
KIND_TYPES: list[dict] = [
    type_row("Process Group", "group", 90, "counselor", 4, 12, ADULT, wmin=2),
    type_row("DBT Skills", "group", 90, "therapist", 4, 10, "MH, Dual"),
    type_row("Seeking Safety", "group", 90, "counselor", 4, 12, ADULT),
    type_row("Relapse Prevention", "group", 60, "counselor", 4, 12, "SUD, Dual"),
    type_row("CBT Skills", "group", 60, "therapist", 3, 12, ADULT),
    type_row("Psychoeducation", "group", 60, "counselor", 4, 14, ADULT),
    type_row("Life Skills", "group", 60, "peer_specialist", 3, 12, ADULT, wmax=3),
    type_row("Women's Group", "group", 60, "counselor", 3, 10, ADULT, tags="women", wmax=2),
    type_row("Teen Process Group", "group", 90, "counselor", 3, 8, "Adolescent"),
    type_row("Teen Skills Group", "group", 60, "therapist", 3, 8, "Adolescent"),
    type_row("Teen Psychoeducation", "group", 60, "counselor", 3, 8, "Adolescent"),
    type_row("Teen Life Skills", "group", 60, "counselor", 3, 8, "Adolescent"),
    type_row("Individual Therapy", "individual", 60, "therapist", wmin=1, wmax=2),
    type_row("Family Session", "family", 60, "family_therapist", wmin=1, wmax=1),
    type_row("Medication Management", "medication", 30, "prescriber", wmin=1, wmax=1),
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
        out = every(wd[:4], "07:00", "17:30", "work")
    else:
        start, end = {"0700": ("07:00", "15:30"), "0800": ("08:00", "17:00"),
                      "0900": ("09:00", "17:30")}[kind]
        out = every(wd, start, end, "work")
    if 5 in open_days and rng.random() < 0.3:
        out += every((5,), "09:00", "15:00", "work")
    return out


def arch_day(rng: random.Random, open_days) -> list[tuple[int, int, int, str]]:
    """Free mornings: second shift, parents, part-time afternoon jobs, night shifts."""
    wd = _weekdays(open_days)
    kind = rng.choices(("second", "parent", "part_time", "night", "free"), (35, 25, 20, 10, 10))[0]
    if kind == "second":
        out = every(wd, "14:00", "22:00", "work")
        if 5 in open_days and rng.random() < 0.4:
            out += every((5,), "14:00", "22:00", "work")
        return out
    if kind == "parent":
        out = every(wd, rng.choice(("14:30", "15:00")), "16:00", "caregiving")
        return out + every(wd, "07:30", "08:00", "caregiving")
    if kind == "part_time":
        days = [d for d in wd if rng.random() < 0.8] or list(wd[:3])
        return every(days, rng.choice(("14:00", "14:30")), "19:00", "work")
    if kind == "night":
        out = []
        for d in wd[:4]:
            out += [(d, hm("23:00"), 24 * 60, "work"), (d + 1, 0, hm("07:00"), "work")]
        return out
    return every(wd, "15:00", "18:00", "transport") if rng.random() < 0.5 else []


def arch_afternoon(rng: random.Random, open_days) -> list[tuple[int, int, int, str]]:
    wd = _weekdays(open_days)
    kind = rng.choices(("student", "early_shift", "toddler"), (50, 30, 20))[0]
    if kind == "student":
        return [(d, hm("08:00"), hm(rng.choice(("11:00", "11:30"))), "school") for d in wd]
    if kind == "early_shift":
        return every(wd, "06:00", rng.choice(("10:30", "11:00")), "work")
    return every(wd, "08:00", "11:30", "caregiving")


def arch_flex(rng: random.Random, open_days) -> list[tuple[int, int, int, str]]:
    """Free all day (disability, retired, between jobs), now and then an appointment."""
    wd = _weekdays(open_days)
    if rng.random() < 0.4:
        return [(rng.choice(wd), hm("10:00"), hm("11:00"), "other")]
    return []


def arch_teen(rng: random.Random, open_days) -> list[tuple[int, int, int, str]]:
    wd = _weekdays(open_days)
    out = every(wd, "08:00", "15:00", "school")
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
