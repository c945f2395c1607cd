"""Co-led session types (issue 19): a second staff member beside the leader.

A type naming a `co_leader_role` runs every session with a leader and a co-leader who holds
that role: both available, neither double-booked, both counted in staff hours. Here: the
solve moves a group to the only time its co-leader has, the greedy week and its hint carry
the co-leader, the validator rejects every way a co-leader can be wrong, the reader rejects
a role nobody holds, and the Sessions sheet round-trips `co_leader_id`.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from builders import (
    PROGRAM_COLUMNS,
    make_program,
    make_schedule,
    participant,
    program_sheets,
    t,
    windows,
    write_schedule_xlsx,
    write_sheets,
)
from typer.testing import CliRunner

from iopsched.analysis.conflicts import pinned_conflicts
from iopsched.analysis.diff import diff_schedules, render_text
from iopsched.cli import app
from iopsched.cpsat.model import build
from iopsched.cpsat.values import HintValues
from iopsched.domain import Commitment, Pinned, Room, SessionType, Staff
from iopsched.errors import InputError
from iopsched.heuristic.construction import construct
from iopsched.heuristic.hint import greedy_hint
from iopsched.schedule import SESSIONS_COLUMNS, Schedule, Session
from iopsched.solver.solve import solve
from iopsched.validate import hard_rule_violations, validate_schedule
from iopsched.workbook.config import load_config
from iopsched.workbook.reader import read_program
from iopsched.workbook.schedule_reader import read_schedule
from iopsched.workbook.writer import write_schedule

MON, TUE = 0, 1
PEER = "peer specialist"


def process_group(co_leader_role: str | None = PEER, max_size: int = 10) -> SessionType:
    return SessionType("Process Group", "group", 60, "counselor", 2, max_size, weekly_min=1,
                       co_leader_role=co_leader_role)


def person(pid: str, **kw):
    """A participant who needs one day of an hour and the weekly Process Group; prefers Monday
    mornings."""
    values = dict(days_min=1, day_hours_min=1, week_hours_min=1, preferred_time="morning",
                  preferred_days=frozenset({MON}))
    return participant(pid, "SUD", **(values | kw))


def tuesday_peer_program(co_leader_role: str | None = PEER):
    """The counselor is in all Monday and Tuesday; the only peer specialist only on Tuesday
    13:00-15:00. Everyone prefers Monday mornings."""
    staff = (Staff("C1", frozenset({"counselor"}), windows=windows((MON, TUE), "09:00", "17:00")),
             Staff("SP", frozenset({PEER}), windows=windows((TUE,), "13:00", "15:00")))
    return make_program(staff=staff, rooms=(Room("R1", 10, frozenset({"group"})),),
                        session_types=(process_group(co_leader_role),),
                        participants=tuple(person(f"P{i}") for i in (1, 2, 3)),
                        days=("Mon", "Tue"), open="09:00", close="17:00")


def solved(program) -> Schedule:
    schedule = solve(program, time_limit=3, workers=2, seed=0, deterministic=True)
    assert schedule.summary["status"] in ("OPTIMAL", "FEASIBLE"), schedule.summary
    assert validate_schedule(program, schedule) == []
    return schedule


# --- the solve: the co-leader's availability binds ----------------------------------------------


def test_the_co_leaders_availability_moves_the_group():
    alone = solved(tuesday_peer_program(co_leader_role=None))
    assert [(s.day, s.start < t("12:00"), s.co_leader_id) for s in alone.sessions] == [(MON, True, None)]

    co_led = solved(tuesday_peer_program())
    assert co_led.unmet == []
    [s] = co_led.sessions
    assert (s.day, s.staff_id, s.co_leader_id) == (TUE, "C1", "SP")
    assert t("13:00") <= s.start and s.end <= t("15:00")
    assert set(s.participants) == {"P1", "P2", "P3"}


def test_parallel_co_led_sessions_get_different_co_leaders():
    """Four participants, groups of at most two in one hour: two sessions, two leaders, two
    co-leaders, nobody twice."""
    day = windows((MON,), "09:00", "10:00")
    staff = (Staff("C1", frozenset({"counselor"}), windows=day),
             Staff("C2", frozenset({"counselor"}), windows=day),
             Staff("SP1", frozenset({PEER}), windows=day),
             Staff("SP2", frozenset({PEER, "counselor"}), windows=day))
    rooms = (Room("R1", 10, frozenset({"group"})), Room("R2", 10, frozenset({"group"})))
    program = make_program(staff=staff, rooms=rooms,
                           session_types=(process_group(max_size=2),),
                           participants=tuple(person(f"P{i}") for i in (1, 2, 3, 4)),
                           days=("Mon",), open="09:00", close="10:00")
    schedule = solved(program)
    assert schedule.unmet == [] and len(schedule.sessions) == 2
    people = [x for s in schedule.sessions for x in s.staff_ids]
    assert len(people) == len(set(people)) == 4
    assert all(s.co_leader_id in ("SP1", "SP2") for s in schedule.sessions)


def test_the_greedy_week_and_its_hint_carry_the_co_leader():
    wm = build(tuesday_peer_program())
    g = construct(wm)
    [sess] = g.sessions
    assert (sess.option.day, sess.staff, sess.co_staff) == (TUE, "C1", "SP")
    assert g.staff_minutes_week["SP"] == 60  # the co-leader's hours are counted
    wm = build(tuesday_peer_program())
    hinted = greedy_hint(wm, iterations=5)
    assert hinted.complete and hinted.unmet_units == 0
    values = HintValues(wm)  # the complete hint holds the co-leader's variable
    assert [key for key, var in wm.z.items() if values.value(var)] == [(sess.option.index, "SP")]
    # the greedy counts the objective as the model does (co-led minutes in the staff load)
    assert values.objective_value == hinted.objective


def test_without_co_led_types_the_model_has_no_co_leader_variables():
    wm = build(tuesday_peer_program(co_leader_role=None))
    assert wm.z == {} and all(o.co_staff == () for o in wm.options)


# --- the validator: rule 3 for the co-leader -------------------------------------------------------


def validator_program():
    """C1, C2 counselors; SP a peer specialist (Mon, Tue 09:00-12:00, 1 h a day, 1.5 h a week);
    CP holds both roles."""
    morning = windows((MON, TUE), "09:00", "12:00")
    staff = (Staff("C1", frozenset({"counselor"}), windows=windows((MON, TUE), "09:00", "17:00")),
             Staff("C2", frozenset({"counselor"}), windows=windows((MON, TUE), "09:00", "17:00")),
             Staff("SP", frozenset({PEER}), max_hours_day=1, max_hours_week=1.5, windows=morning),
             Staff("CP", frozenset({PEER, "counselor"}), windows=morning))
    types = (process_group(), SessionType("Skills Group", "group", 60, "counselor", 2, 10))
    return make_program(staff=staff, session_types=types,
                        participants=tuple(person(f"P{i}") for i in (1, 2, 3, 4)),
                        days=("Mon", "Tue"), open="09:00", close="17:00")


def group(sid, day, start, leader, co_leader, room="R1", people=("P1", "P2"), kind="Process Group"):
    return Session(sid, kind, "group", day, t(start), t(start) + 60, leader, room, people, False, co_leader)


def rule3(sessions: list[Session]) -> list[str]:
    schedule = make_schedule(sessions)
    return [v.message for v in hard_rule_violations(validator_program(), schedule) if v.rule == "rule3"]


def test_a_well_co_led_session_passes():
    assert rule3([group("A", MON, "09:00", "C1", "SP")]) == []


@pytest.mark.parametrize("sessions,words", [
    ([group("A", MON, "09:00", "C1", None)], "has no co-leader (co_leader_id is blank)"),
    ([group("A", MON, "09:00", "CP", "CP")], "is co-led by its own leader CP"),
    ([group("A", MON, "09:00", "C1", "C2")], "co-led by C2, who lacks the role 'peer specialist'"),
    ([group("A", MON, "13:00", "C1", "SP")], "co-led by SP outside their availability"),
    ([group("A", MON, "09:00", "C1", "SP"), group("B", MON, "09:00", "C2", "SP", "R2", ("P3", "P4"))],
     "SP co-leads A Process Group Mon 09:00-10:00 and B Process Group Mon 09:00-10:00, which overlap"),
    ([group("A", MON, "09:00", "C1", "CP"), group("B", MON, "09:00", "CP", None, "R2", ("P3", "P4"),
                                                  kind="Skills Group")],
     "CP co-leads A Process Group Mon 09:00-10:00 and leads B Skills Group Mon 09:00-10:00, which overlap"),
    ([group("A", MON, "09:00", "C1", "SP"), group("B", MON, "10:00", "C2", "SP", "R2", ("P3", "P4"))],
     "SP co-leads 2 h on Mon, above max_hours_day 1"),
    ([group("A", MON, "09:00", "C1", "SP"), group("B", TUE, "09:00", "C1", "SP")],
     "SP co-leads 2 h this week, above max_hours_week 1.5"),
    ([group("A", MON, "09:00", "C1", "SP", kind="Skills Group")],
     "names co-leader SP, but Skills Group has no co_leader_role"),
], ids=["missing", "is the leader", "wrong role", "unavailable", "double-booked",
        "co-leads while leading", "daily max", "weekly max", "not a co-led type"])
def test_the_validator_catches_a_bad_co_leader(sessions, words):
    messages = rule3(sessions)
    assert any(words in m for m in messages), messages


# --- the reader ------------------------------------------------------------------------------------


def sheets_with(role: str, type_row: int = 0) -> dict[str, list[dict]]:
    rows = copy.deepcopy(program_sheets(make_program()))
    rows["SessionTypes"][type_row]["co_leader_role"] = role
    return rows


def test_a_co_leader_role_is_read(tmp_path):
    rows = sheets_with("Therapist")
    program, _warnings = read_program(write_sheets(rows, tmp_path / "p.xlsx", PROGRAM_COLUMNS), load_config(None))
    types = program.type_by_name()
    assert types["Process Group"].co_leader_role == "therapist"
    assert types["Skills Group"].co_leader_role is None  # blank: one leader


def test_an_unknown_co_leader_role_is_bad_input(tmp_path):
    path = write_sheets(sheets_with("Peer Specialist"), tmp_path / "p.xlsx", PROGRAM_COLUMNS)
    with pytest.raises(InputError) as exc:
        read_program(path, load_config(None))
    [problem] = exc.value.problems
    text = str(problem)
    for part in ("sheet SessionTypes", "row 2", "session type Process Group", "column co_leader_role",
                 "needs co-leader role 'peer specialist' which no staff member holds",
                 "expected one of the roles in sheet Staff: counselor, prescriber, therapist"):
        assert part in text, text
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "co_leader_role" in result.output and "peer specialist" in result.output


def test_a_co_leader_who_could_only_be_the_leader_is_bad_input(tmp_path):
    """Medication Management (row 8) needs a prescriber, and M1 is the only one."""
    path = write_sheets(sheets_with("prescriber", type_row=6), tmp_path / "p.xlsx", PROGRAM_COLUMNS)
    with pytest.raises(InputError) as exc:
        read_program(path, load_config(None))
    [problem] = exc.value.problems
    assert "M1 is the only staff member holding either" in str(problem)
    assert problem.column == "co_leader_role" and problem.row == 8


# --- the Sessions sheet ----------------------------------------------------------------------------


def co_led_schedule() -> Schedule:
    return make_schedule([group("A", MON, "09:00", "C1", "SP"),
                          group("B", MON, "10:00", "C1", None, kind="Skills Group")])


def test_co_leader_id_is_the_last_sessions_column():
    assert SESSIONS_COLUMNS[-1] == "co_leader_id"
    assert SESSIONS_COLUMNS[:-1] == ("session_id", "session_type", "kind", "day", "start", "end",
                                     "staff_id", "room_id", "size", "pinned")


def test_the_sessions_sheet_round_trips_co_leader_id(tmp_path):
    path = tmp_path / "schedule.xlsx"
    write_schedule(co_led_schedule(), validator_program(), path)
    back = {s.session_id: s.co_leader_id for s in read_schedule(path).sessions}
    assert back == {"A": "SP", "B": None}
    ws = openpyxl.load_workbook(path)["Sessions"]
    assert [c.value for c in ws[1]][-1] == "co_leader_id"
    by_staff = "\n".join(str(c.value) for row in openpyxl.load_workbook(path)["By staff"].iter_rows()
                         for c in row if c.value)
    assert "co-leader with C1" in by_staff  # SP's own timetable marks the session


def test_a_schedule_without_the_column_still_reads(tmp_path):
    path = write_schedule_xlsx(make_schedule(), tmp_path / "old.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Sessions"]
    ws.delete_cols([c.value for c in ws[1]].index("co_leader_id") + 1)
    wb.save(path)
    assert all(s.co_leader_id is None for s in read_schedule(Path(path)).sessions)


def test_exports_show_both_leaders(tmp_path):
    """The co-leader's own calendar and timetable list the session they co-lead, marked; the
    participants' show both staff members."""
    path = tmp_path / "schedule.xlsx"
    write_schedule(co_led_schedule(), validator_program(), path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["export", str(path), "--to", str(out), "--format", "ics,html,xlsx"])
    assert result.exit_code == 0, result.output
    assert "Your role: co-leader" in (out / "staff" / "SP.ics").read_text()
    assert "co-leader" in (out / "staff" / "SP.html").read_text()
    assert "C1 and co-leader SP" in (out / "participants" / "P1.ics").read_text().replace("\r\n ", "")
    ws = openpyxl.load_workbook(out / "staff" / "SP.xlsx").active
    assert "co-leader" in [c.value for row in ws.iter_rows() for c in row]


def test_a_pinned_co_led_session_without_a_co_leader_is_named():
    """The Process Group is pinned on Monday at 09:00; the peer specialist comes on Tuesday."""
    program = replace(tuesday_peer_program(), pinned=(Pinned("Process Group", MON, t("09:00"), "C1", "R1", (), row=2),))
    [problem] = pinned_conflicts(program)
    assert problem.row == 2 and "no one holding that role besides C1 is available Mon 09:00-10:00" in str(problem)
    assert pinned_conflicts(replace(program, pinned=(replace(program.pinned[0], day=TUE, start=t("13:00")),))) == []


def test_diff_names_a_changed_co_leader():
    last = make_schedule([group("A", MON, "09:00", "C1", "SP")])
    this = make_schedule([group("A", MON, "09:00", "C1", "CP")])
    text = render_text(diff_schedules(last, this))
    assert "P1: Process Group Mon 09:00-10:00 now co-led by CP (was SP)" in text
    assert "C1: Process Group Mon 09:00-10:00 now co-led by CP (was SP)" in text
    assert "SP: no longer co-leads Process Group Mon 09:00-10:00 (with C1 in R1)" in text
    assert "CP: now co-leads Process Group Mon 09:00-10:00 (with C1 in R1)" in text


def test_an_unmet_co_led_minimum_names_the_co_leader():
    """The participants work all Tuesday, the only day the peer specialist comes."""
    program = tuesday_peer_program()
    work = (Commitment(TUE, t("08:00"), t("18:00"), "work"),)
    program = replace(program, participants=tuple(replace(p, commitments=work) for p in program.participants))
    schedule = solved(program)
    reasons = {u.reason for u in schedule.unmet if u.requirement == "Process Group"}
    assert len(reasons) == 1
    [reason] = reasons
    assert reason.startswith("no counselor with a peer specialist beside them is available for Process Group")
    assert "SP works Tue 13:00-15:00" in reason
