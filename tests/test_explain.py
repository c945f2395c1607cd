"""Planted causes: each unmet requirement's reason names the cause that was planted."""

from __future__ import annotations

from builders import make_program, t, windows, with_participant, with_staff
from typer.testing import CliRunner

from iopsched.analysis.check import check_program
from iopsched.analysis.explain import explain, unmet_rows
from iopsched.analysis.requirements import Shortfall
from iopsched.domain import Commitment
from iopsched.schedule import Schedule
from iopsched.solver.solve import solve

runner = CliRunner()


def work(days, start, end):
    return tuple(Commitment(d, t(start), t(end), "work") for d in days)


def test_prescriber_never_reachable_is_named_with_both_schedules():
    program = with_staff(make_program(), "M1", windows=windows(["Tue"], "09:00", "13:00"))
    program = with_participant(program, "P04", needs_medication=True, commitments=work(range(5), "08:00", "17:00"))
    p = program.participant_by_id()["P04"]
    reason = explain(program, p, Shortfall("P04", "Medication Management", None, 1, 0))
    assert "no prescriber is available" in reason
    assert "M1 works Tue 09:00-13:00" in reason
    assert "free" in reason and "17:30" in reason  # free only after work + travel buffer


def test_too_few_free_days_names_the_days_and_the_commitment():
    program = with_participant(make_program(), "P02", commitments=work([0, 1, 3], "07:00", "21:00"))
    p = program.participant_by_id()["P02"]
    reason = explain(program, p, Shortfall("P02", "days", None, 3, 2))
    assert "on only 2 days (Wed, Fri)" in reason
    assert "work Mon-Tue, Thu 07:00-21:00" in reason
    assert reason.endswith("needs 3")


def test_short_day_names_the_free_window():
    program = with_participant(make_program(), "P03", commitments=work([2], "08:00", "19:30"))
    p = program.participant_by_id()["P03"]
    reason = explain(program, p, Shortfall("P03", "day_hours", 2, 2, 1))
    assert "on Wed" in reason and "20:00-21:00" in reason


def test_capacity_cause_when_time_allows():
    program = make_program()
    p = program.participant_by_id()["P04"]
    reason = explain(program, p, Shortfall("P04", "days", None, 3, 1))
    assert "full" in reason or "taken" in reason


def test_solve_reports_the_planted_cause():
    program = with_staff(make_program(), "M1", windows=windows(["Tue"], "09:00", "13:00"))
    program = with_participant(program, "P04", needs_medication=True, commitments=work(range(5), "07:00", "17:00"))
    s = solve(program, time_limit=3, workers=2, seed=0, deterministic=True)
    rows = [u for u in s.unmet if u.participant_id == "P04"]
    assert [u.requirement for u in rows] == ["Medication Management"]
    assert "no prescriber is available" in rows[0].reason
    assert rows == [u for u in unmet_rows(program, s) if u.participant_id == "P04"]


def test_check_warns_before_any_solve():
    program = with_participant(make_program(), "P02", commitments=work(range(5), "07:00", "21:00"))
    text = check_program(program)
    assert "P02" in text and "cannot meet every requirement" in text
    assert "Alice" not in text and "Bob" not in text  # names never printed


def test_empty_schedule_lists_every_requirement():
    program = make_program()
    rows = unmet_rows(program, Schedule())
    assert {u.participant_id for u in rows} == {"P01", "P02", "P03", "P04"}
    assert all(u.reason for u in rows)


def test_capacity_reason_names_the_full_groups():
    from builders import session

    program = make_program()
    # one Process Group on Mon, full (2 of 2 seats: max_size 2), P04 could have joined it
    program = replace_type_max(program, "Process Group", 2)
    full = session("S1", "Process Group", "Mon", "09:00", "C1", "R1", ["P01", "P02"])
    schedule = Schedule(sessions=[full])
    p = program.participant_by_id()["P04"]
    reason = explain(program, p, Shortfall("P04", "days", None, 3, 0), schedule)
    assert "Process Group Mon 09:00 is full, 2/2" in reason


def replace_type_max(program, name, max_size):
    from builders import with_type

    return with_type(program, name, max_size=max_size)
