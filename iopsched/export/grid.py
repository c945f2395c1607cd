"""The weekly grid of one person's page (days across, times down), shared by HTML and PDF.

The time axis runs from the hour at or before the person's first session to the hour at
or after their last; sessions are drawn to scale, so a 50-minute session looks like one.
A day with overlapping sessions (possible only in a hand-edited schedule) is split into
lanes so nothing is hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from iopsched.export.people import Entry, Page, Person


@dataclass(frozen=True)
class Placed:
    entry: Entry
    day: int
    lane: int

    @property
    def start(self) -> int:
        return self.entry.session.start

    @property
    def end(self) -> int:
        return self.entry.session.end


@dataclass(frozen=True)
class Grid:
    first: int  # minutes since midnight at the top of the axis (a full hour)
    last: int  # minutes since midnight at the bottom (a full hour)
    days: tuple[int, ...]  # columns
    lanes: dict[int, int]  # day -> lanes (>= 1)
    placed: tuple[Placed, ...]

    @property
    def minutes(self) -> int:
        return self.last - self.first

    def marks(self, every: int = 30) -> list[int]:
        """Times (minutes since midnight) of the axis lines, top to bottom."""
        return list(range(self.first, self.last + 1, every))


def layout(person: Person, page: Page) -> Grid | None:
    """The grid of a person's week; None when they have no sessions."""
    entries = person.entries
    if not entries:
        return None
    first = min(e.session.start for e in entries) // 60 * 60
    last = max(first + 60, math.ceil(max(e.session.end for e in entries) / 60) * 60)
    placed: list[Placed] = []
    lanes: dict[int, int] = {d: 1 for d in page.days}
    for day in sorted({e.session.day for e in entries}):
        busy: list[int] = []  # lane -> end of its last session
        todays = sorted((e for e in entries if e.session.day == day),
                        key=lambda e: (e.session.start, e.session.end))
        for e in todays:
            lane = next((i for i, end in enumerate(busy) if end <= e.session.start), len(busy))
            if lane == len(busy):
                busy.append(0)
            busy[lane] = e.session.end
            placed.append(Placed(e, day, lane))
        lanes[day] = max(1, len(busy))
    days = tuple(sorted(set(page.days) | {e.session.day for e in entries}))
    return Grid(first, last, days, lanes, tuple(placed))
