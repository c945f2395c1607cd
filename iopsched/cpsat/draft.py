"""A session being drafted, before it is a `schedule.Session`: its option, leader, room class
and members (and co-leader, pinned flag, concrete room). The heuristic's week in progress
(`heuristic.state.WeekState`) and the extraction from a solve's values (`cpsat.extract`)
both build their sessions as these."""

from __future__ import annotations

from dataclasses import dataclass, field

from iopsched.cpsat.options import Option


@dataclass
class DraftSession:
    option: Option
    staff: str  # the leader
    ci: int  # the index of its room class (`WeekModel.classes`)
    members: list[str] = field(default_factory=list)  # participant ids
    pinned: bool = False  # a session of the Pinned sheet (rule 8)
    co_staff: str | None = None  # the co-leader of a co-led type's session (issue 19)
    room: str | None = None  # the concrete room (extraction: pinned, or given by `_assign_rooms`)
