"""`iopsched diff`: what changed between two weeks, per participant and per staff member.

Schedules come from tests/builders.py (the default week: Process Group Mon/Tue/Thu 09:00
S<d>1 C1 R1 [P01, P02] and S<d>2 C2 R2 [P03, P04], Skills Group 10:00 S<d>3 C1 R1,
Relapse Prevention 11:00 S<d>4 C2 R2, Individual Therapy with T1 in O1).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from builders import (
    edit_session,
    make_schedule,
    replace_sessions,
    session,
    write_schedule_xlsx,
)
from typer.testing import CliRunner

from iopsched.analysis.diff import diff_schedules, render_text, run_diff
from iopsched.cli import app
from iopsched.errors import IopschedError
from iopsched.schedule import Schedule, Unmet


def lines(text: str) -> dict[str, str]:
    """'P01: ...' lines of a notice by id."""
    return {line.split(":", 1)[0]: line.split(": ", 1)[1] for line in text.splitlines()
            if ": " in line}


def section(text: str, title: str) -> dict[str, str]:
    parts = text.split("\n\n")
    found = [p for p in parts if p.startswith(title + "\n")]
    return lines(found[0]) if found else {}


def add(schedule: Schedule, *new) -> Schedule:
    return replace_sessions(schedule, [*schedule.sessions, *new])


def without(schedule: Schedule, *sids: str) -> Schedule:
    return replace_sessions(schedule, [s for s in schedule.sessions if s.session_id not in sids])


def renumbered(schedule: Schedule) -> Schedule:
    """The same week with every session_id recomputed and the sessions in another order."""
    sessions = [replace(s, session_id=f"X{i:03d}")
                for i, s in enumerate(reversed(schedule.sessions))]
    return replace_sessions(schedule, sessions)


# --- no changes ----------------------------------------------------------------------------------


def test_identical_schedules_say_no_changes():
    week = make_schedule()
    report = diff_schedules(week, week)
    assert report.empty
    assert render_text(report) == "No changes."


def test_session_ids_do_not_matter():
    week = make_schedule()
    assert render_text(diff_schedules(week, renumbered(week))) == "No changes."


def test_another_participant_joining_a_group_is_not_a_change_for_the_others():
    last = make_schedule()
    this = edit_session(last, "S11", participants=("P01", "P02", "P03"))
    this = without(this, "S12")  # P03, P04 leave their Mon Process Group
    report = diff_schedules(last, this)
    assert [p.person_id for p in report.participants] == ["P03", "P04"]
    p03 = report.participants[0]
    assert not p03.dropped and not p03.added
    assert p03.leader_changed and p03.room_changed and not p03.moved
    p04 = report.participants[1]
    assert [s.session_type for s in p04.dropped] == ["Process Group"]


# --- per participant -----------------------------------------------------------------------------


def test_a_moved_session():
    last = make_schedule()
    this = edit_session(last, "S11", day="Wed", start="13:00")
    report = diff_schedules(last, this)
    assert [p.person_id for p in report.participants] == ["P01", "P02"]
    p01 = report.participants[0]
    assert not p01.dropped and not p01.added
    (change,) = p01.moved
    assert change.before.session_type == change.after.session_type == "Process Group"
    assert not change.leader_changed and not change.room_changed
    text = render_text(report)
    assert lines(text)["P01"] == "Process Group moved Mon 09:00-10:00 -> Wed 13:00-14:00"
    assert section(text, "Staff") == {
        "C1": "Process Group moved Mon 09:00-10:00 -> Wed 13:00-14:00"}


def test_a_move_is_matched_to_the_nearest_session_of_the_same_type():
    last = make_schedule()
    # P01/P02's Tuesday group moves to Wednesday; Mon and Thu stay put
    this = edit_session(last, "S21", day="Wed")
    p01 = diff_schedules(last, this).participants[0]
    assert [(c.before.day, c.after.day) for c in p01.moved] == [(1, 2)]


def test_a_changed_duration_is_a_move():
    last = make_schedule()
    this = edit_session(last, "I3", end="13:30")
    assert lines(render_text(diff_schedules(last, this)))["P02"] == (
        "Individual Therapy moved Tue 12:00-13:00 -> Tue 12:00-13:30")


def test_a_leader_change():
    last = make_schedule()
    this = edit_session(last, "I2", staff_id="T2")
    report = diff_schedules(last, this)
    (p01,) = report.participants
    assert p01.person_id == "P01" and len(p01.leader_changed) == 1 and not p01.moved
    text = render_text(report)
    assert lines(text)["P01"] == "Individual Therapy Mon 12:00-13:00 now with T2 (was T1)"
    staff = section(text, "Staff")
    assert staff["T1"] == "no longer leads Individual Therapy Mon 12:00-13:00 (in O1), now T2"
    assert staff["T2"] == "now leads Individual Therapy Mon 12:00-13:00 (in O1), from T1"


def test_a_room_change():
    last = make_schedule()
    this = edit_session(last, "S43", room_id="TH")
    report = diff_schedules(last, this)
    assert [p.person_id for p in report.participants] == ["P01", "P02", "P03", "P04"]
    assert all(len(p.room_changed) == 1 and not p.leader_changed for p in report.participants)
    text = render_text(report)
    assert lines(text)["P03"] == "Skills Group Thu 10:00-11:00 now in TH (was R1)"
    assert section(text, "Staff")["C1"] == "Skills Group Thu 10:00-11:00 now in TH (was R1)"


def test_a_move_with_a_new_leader_and_room_is_one_change():
    last = make_schedule()
    this = edit_session(last, "I4", day="Fri", start="15:00", staff_id="T2", room_id="TH")
    assert lines(render_text(diff_schedules(last, this)))["P03"] == (
        "Individual Therapy moved Thu 12:00-13:00 -> Fri 15:00-16:00, now with T2 (was T1), "
        "now in TH (was O1)")


def test_a_participant_added_to_and_dropped_from_sessions():
    last = make_schedule()
    this = edit_session(last, "S14", participants=("P01", "P02", "P03"))  # P04 dropped
    this = add(this, session("N1", "SUD Education", "Wed", "10:00", "C3", "R1", ("P04", "P01")))
    report = diff_schedules(last, this)
    p04 = next(p for p in report.participants if p.person_id == "P04")
    assert [s.session_type for s in p04.dropped] == ["Relapse Prevention"]
    assert [s.session_type for s in p04.added] == ["SUD Education"]
    assert not p04.changed
    text = render_text(report)
    assert lines(text)["P04"] == (
        "dropped Relapse Prevention Mon 11:00-12:00 (with C2 in R2); "
        "added SUD Education Wed 10:00-11:00 (with C3 in R1)")
    assert lines(text)["P01"] == "added SUD Education Wed 10:00-11:00 (with C3 in R1)"
    assert section(text, "Staff") == {"C3": "now leads SUD Education Wed 10:00-11:00 (in R1)"}


def test_changes_are_listed_in_week_order():
    last = make_schedule()
    this = edit_session(last, "S43", room_id="TH")  # Thu
    this = without(this, "S24")  # Tue
    this = edit_session(this, "S11", start="08:00")  # Mon
    p01 = lines(render_text(diff_schedules(last, this)))["P01"]
    assert p01.index("Mon") < p01.index("Tue") < p01.index("Thu")


def test_a_new_participant():
    last = make_schedule()
    this = edit_session(last, "S13", participants=("P01", "P02", "P03", "P04", "P05"))
    this = add(this, session("N1", "Individual Therapy", "Wed", "12:00", "T2", "O1", ("P05",)))
    report = diff_schedules(last, this)
    assert [p.person_id for p in report.new_participants] == ["P05"]
    assert not report.changed_participants
    text = render_text(report)
    assert text.splitlines()[0] == (
        "0 participants' weeks changed, 1 staff member's week changed; "
        "1 new participant, 0 no longer scheduled")
    assert lines(text)["P05"] == "new this week (2 sessions)"


def test_a_discharged_participant():
    last = make_schedule()
    this = replace_sessions(last, [
        replace(s, participants=tuple(p for p in s.participants if p != "P02"))
        for s in last.sessions if s.participants != ("P02",)
    ])
    report = diff_schedules(last, this)
    assert [p.person_id for p in report.discharged] == ["P02"]
    assert lines(render_text(report))["P02"] == "no longer scheduled (had 10 sessions last week)"
    # T1 no longer leads P02's Individual Therapy
    assert "T1" in section(render_text(report), "Staff")


def test_a_participant_only_in_unmet_is_still_enrolled():
    last = make_schedule()
    this = without(last, "I1")  # P04's individual session
    this = replace(this, unmet=[Unmet("P09", "week_hours", 9, 0, "no room")])
    last = replace(last, unmet=[Unmet("P09", "week_hours", 9, 0, "no room")])
    report = diff_schedules(last, this)
    assert [p.person_id for p in report.participants] == ["P04"]
    assert report.participants[0].status == "continuing"


def test_summary_counts_and_natural_order():
    last = make_schedule()
    this = edit_session(last, "S11", participants=("P01", "P02", "P10", "P9"))
    this = edit_session(this, "I2", staff_id="T2")
    this = edit_session(this, "I3", room_id="TH")
    this = without(this, "I4")
    this = replace_sessions(this, [
        replace(s, participants=tuple(p for p in s.participants if p != "P04"))
        for s in this.sessions if s.participants != ("P04",)
    ])
    text = render_text(diff_schedules(last, this))
    assert text.splitlines()[0] == (
        "3 participants' weeks changed, 2 staff members' weeks changed; "
        "2 new participants, 1 no longer scheduled")
    ids = [line.split(":")[0] for line in text.split("\n\n")[1].splitlines()[1:]]
    assert ids == ["P01", "P02", "P03", "P04", "P9", "P10"]


def test_the_notice_never_carries_names_and_escapes_control_characters():
    last = make_schedule()
    this = edit_session(last, "I1", participants=("P04\x1b[31m",))
    text = render_text(diff_schedules(last, this))
    assert "\x1b" not in text and "P04\\x1b[31m" in text
    for name in ("Alice", "Bob", "Carol", "Dana"):
        assert name not in text


def test_report_as_dict():
    last = make_schedule()
    report = diff_schedules(last, edit_session(last, "I2", staff_id="T2"))
    d = report.as_dict()
    assert d["participants"][0]["id"] == "P01"
    assert d["participants"][0]["changed"][0]["leader_changed"] is True


# --- through files and the CLI -------------------------------------------------------------------


@pytest.fixture
def weeks(tmp_path: Path) -> tuple[Path, Path]:
    last = make_schedule()
    this = renumbered(edit_session(last, "S11", day="Tue", start="14:00"))
    this = edit_session(this, next(s.session_id for s in this.sessions
                                   if s.session_type == "Individual Therapy"
                                   and s.participants == ("P01",)), staff_id="T2")
    return (write_schedule_xlsx(last, tmp_path / "last.xlsx"),
            write_schedule_xlsx(this, tmp_path / "this.xlsx"))


def test_run_diff_reads_workbooks(weeks):
    text = run_diff(*weeks)
    assert lines(text)["P01"] == ("Process Group moved Mon 09:00-10:00 -> Tue 14:00-15:00; "
                                  "Individual Therapy Mon 12:00-13:00 now with T2 (was T1)")
    assert lines(text)["P02"] == "Process Group moved Mon 09:00-10:00 -> Tue 14:00-15:00"


def test_cli_diff(weeks):
    result = CliRunner().invoke(app, ["diff", *map(str, weeks)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 participants' weeks changed, 3 staff members' weeks changed")
    assert "Process Group moved Mon 09:00-10:00 -> Tue 14:00-15:00" in result.output


def test_cli_diff_same_file(weeks):
    result = CliRunner().invoke(app, ["diff", str(weeks[0]), str(weeks[0])])
    assert result.exit_code == 0
    assert result.output.strip() == "No changes."


def test_cli_diff_empty_file_exits_2_without_traceback(weeks, tmp_path: Path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(IopschedError):
        run_diff(weeks[0], empty)
    result = CliRunner().invoke(app, ["diff", str(weeks[0]), str(empty)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, IopschedError)
    assert "error" in result.output.lower()


def test_cli_diff_missing_file_exits_2(weeks, tmp_path: Path):
    result = CliRunner().invoke(app, ["diff", str(tmp_path / "nope.xlsx"), str(weeks[1])])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
