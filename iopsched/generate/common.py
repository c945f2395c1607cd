"""What the generated programs share (`generate.classic` and the kinds): the sizes of
SCHEDULING.md's scale table, the classic service catalogue, time bands, and the calendars
of rooms, staff and participants a witness week is planned on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Size:
    participants: int
    staff: int
    rooms: int
    days: int


SIZES: dict[str, Size] = {
    "small": Size(20, 6, 3, 5),
    "medium": Size(60, 12, 5, 5),
    "large": Size(150, 25, 8, 6),
    "xl": Size(400, 60, 24, 6),  # the scale table says 15 rooms: too few, see the module docstring
}

OPEN, CLOSE, SLOT, BUFFER = 8 * 60, 21 * 60, 30, 30  # the config defaults the program relies on
ADULT_TRACKS = ("SUD", "MH", "Dual")
KINDS = ("classic", "mix", "evening", "adolescent", "prescriber", "planted")  # generate/kinds.py


def hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- the catalogue of services ------------------------------------------------------------------

def type_row(name, kind, minutes, role, mn=None, mx=None, tracks="", tags="", wmin=None, wmax=None):
    """A row of the SessionTypes sheet (min_size mn, max_size mx, weekly_min wmin, weekly_max wmax)."""
    return {
        "session_type": name, "kind": kind, "minutes": minutes, "staff_role": role,
        "min_size": mn, "max_size": mx, "tracks": tracks, "tags_required": tags,
        "weekly_min": wmin, "weekly_max": wmax, "daily_max": 1, "counts_toward_hours": True,
    }


ADULT = "SUD, MH, Dual"
SESSION_TYPES: list[dict] = [
    type_row("Process Group", "group", 60, "counselor", 4, 12, ADULT),
    type_row("Relapse Prevention", "group", 60, "counselor", 4, 12, "SUD, Dual"),
    type_row("CBT Skills", "group", 60, "therapist", 3, 12, ADULT),
    type_row("DBT Skills", "group", 60, "therapist", 3, 12, "MH, Dual"),
    type_row("Psychoeducation", "group", 60, "counselor", 3, 12, ADULT),
    type_row("Life Skills", "group", 60, "counselor", 3, 12, ADULT),
    type_row("Women's Group", "group", 60, "counselor", 3, 10, ADULT, tags="women", wmax=2),
    type_row("Spanish Process Group", "group", 60, "bilingual", 3, 10, ADULT, tags="spanish", wmax=2),
    type_row("Teen Process Group", "group", 60, "counselor", 3, 8, "Adolescent"),
    type_row("Teen Skills Group", "group", 60, "therapist", 3, 8, "Adolescent"),
    type_row("Teen Psychoeducation", "group", 60, "counselor", 3, 8, "Adolescent"),
    type_row("Individual Therapy", "individual", 60, "therapist", wmin=1, wmax=1),
    type_row("Family Session", "family", 60, "therapist", wmin=1, wmax=1),
    type_row("Medication Management", "medication", 30, "prescriber", wmin=1, wmax=1),
]
TYPES = {t["session_type"]: t for t in SESSION_TYPES}
# groups every participant of a band may attend: what the witness week uses
WITNESS_GROUPS = {
    "adult": ("Process Group", "CBT Skills", "Psychoeducation", "Life Skills"),
    "teen": ("Teen Process Group", "Teen Skills Group", "Teen Psychoeducation"),
}

FIRST_NAMES = (
    "Alex", "Avery", "Blake", "Casey", "Dana", "Drew", "Emery", "Finley", "Harper", "Jamie",
    "Jordan", "Kai", "Lee", "Morgan", "Noel", "Parker", "Quinn", "Reese", "Riley", "Robin",
    "Rowan", "Sage", "Sam", "Skyler", "Taylor",
)
LAST_NAMES = (
    "Example", "Sample", "Placeholder", "Testcase", "Fictional", "Madeup", "Mockley", "Dummy",
    "Specimen", "Notreal", "Pretend", "Invented", "Imaginary", "Synthetic", "Testwell", "Fakename",
    "Standin", "Mockup", "Anon", "Draft",
)


class PlanningError(RuntimeError):
    """The witness week could not be completed (the generator then tries the next draw)."""


# --- time bands -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Band:
    name: str
    starts: tuple[int, ...]  # candidate block starts, in order of preference
    groups: int  # group hours in the block
    audience: str  # adult | teen
    preferred_time: str
    weekdays_only: bool


BANDS = {
    "morning": Band("morning", tuple(map(hm, ("09:00", "10:00", "09:30", "08:30", "11:00"))), 3,
                    "adult", "morning", False),
    "afternoon": Band("afternoon", (hm("12:30"), hm("13:00")), 3, "adult", "afternoon", True),
    "teen": Band("teen", (hm("15:30"), hm("16:00")), 2, "teen", "afternoon", True),
    "evening": Band("evening", (hm("17:30"), hm("18:00")), 3, "adult", "evening", True),
}
COHORT_TARGET = {"adult": 10, "teen": 7}


def band_counts(size: Size) -> dict[str, int]:
    """How many participants in each time band."""
    n = size.participants
    teen = max(4, round(0.10 * n))
    evening = max(5, round(0.20 * n))
    afternoon = round(0.20 * n) if n >= 60 else 0
    return {"teen": teen, "evening": evening, "afternoon": afternoon,
            "morning": n - teen - evening - afternoon}


# --- calendars of rooms, staff and participants ---------------------------------------------------

N_SLOTS = (CLOSE - OPEN) // SLOT


def _slots(start: int, end: int) -> range:
    return range((start - OPEN) // SLOT, (end - OPEN) // SLOT)


class Busy:
    """Which (who, day, slot) are taken."""

    def __init__(self) -> None:
        self.taken: dict[tuple[str, int], bytearray] = {}

    def free(self, who: str, day: int, start: int, end: int) -> bool:
        row = self.taken.get((who, day))
        return row is None or not any(row[u] for u in _slots(start, end))

    def book(self, who: str, day: int, start: int, end: int) -> None:
        row = self.taken.setdefault((who, day), bytearray(N_SLOTS))
        for u in _slots(start, end):
            assert not row[u], (who, day, start)
            row[u] = 1

    def release(self, who: str, day: int, start: int, end: int) -> None:
        row = self.taken[who, day]
        for u in _slots(start, end):
            row[u] = 0


@dataclass
class StaffMember:
    staff_id: str
    name: str
    roles: tuple[str, ...]
    max_day: int  # hours
    max_week: int
    windows: list[tuple[int, int, int]]  # (day, start, end)
    day_minutes: dict[int, int] = field(default_factory=dict)
    week_minutes: int = 0

    def can(self, day: int, start: int, end: int) -> bool:
        if not any(d == day and s <= start and end <= e for d, s, e in self.windows):
            return False
        m = end - start
        return (self.day_minutes.get(day, 0) + m <= self.max_day * 60
                and self.week_minutes + m <= self.max_week * 60)

    def book(self, day: int, start: int, end: int, sign: int = 1) -> None:
        self.day_minutes[day] = self.day_minutes.get(day, 0) + sign * (end - start)
        self.week_minutes += sign * (end - start)


@dataclass
class RoomSpec:
    room_id: str
    capacity: int | None
    kinds: tuple[str, ...]


@dataclass
class Person:
    pid: str
    name: str
    track: str
    band: Band
    cohort: Cohort
    tags: list[str] = field(default_factory=list)
    commitments: list[tuple[int, int, int, str]] = field(default_factory=list)
    needs_medication: bool = False
    family_sessions: bool = False
    therapist: str | None = None  # leader of the witness individual session
    # witness: day -> [(start, end)] of every session attended, the block's groups included
    sessions: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def blocked(self, day: int, start: int, end: int) -> bool:
        return any(d == day and start < e + BUFFER and s - BUFFER < end
                   for d, s, e, _ in self.commitments)

    def day_minutes(self, day: int) -> int:
        return sum(e - s for s, e in self.sessions.get(day, []))

    def overlaps(self, day: int, start: int, end: int) -> bool:
        return any(start < e and s < end for s, e in self.sessions.get(day, []))


@dataclass
class Group:
    """One group session of the witness week."""

    session_type: str
    day: int
    start: int
    staff_id: str
    room_id: str
    members: list[str] = field(default_factory=list)


@dataclass
class Cohort:
    index: int
    band: Band
    days: tuple[int, ...]
    start: int = 0
    size: int = 0
    groups: dict[tuple[int, int], Group] = field(default_factory=dict)  # (day, start) -> group

    @property
    def end(self) -> int:
        return self.start + 60 * self.band.groups

def every(days, start: str, end: str, reason: str) -> list[tuple[int, int, int, str]]:
    return [(d, hm(start), hm(end), reason) for d in days]
