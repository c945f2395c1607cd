"""`iopsched solve` from the command line: output, privacy, refusals, interruption."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from builders import make_program, write_program_xlsx
from typer.testing import CliRunner

from iopsched.cli import app

runner = CliRunner()
MARKERS = ("ZQXNAMEA", "ZQXNAMEB", "ZQXNAMEC", "ZQXNAMED")


def marked_program():
    program = make_program()
    people = tuple(replace(p, name=m) for p, m in zip(program.participants, MARKERS, strict=True))
    return replace(program, participants=people)


def _all_text(path: Path, sheets=None) -> str:
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        if sheets is None or ws.title in sheets:
            for row in ws.iter_rows(values_only=True):
                out += [str(v) for v in row if v is not None]
    return "\n".join(out)


def test_solve_writes_machine_and_human_sheets_without_names(tmp_path):
    prog = write_program_xlsx(marked_program(), tmp_path / "program.xlsx")
    out = tmp_path / "schedule.xlsx"
    result = runner.invoke(app, ["solve", str(prog), "-o", str(out), "--time-limit", "2"])
    assert result.exit_code == 0, result.output
    for marker in MARKERS:
        assert marker not in result.output
    wb = openpyxl.load_workbook(out)
    for sheet in ("Summary", "Sessions", "Attendance", "Unmet", "Week", "By participant", "By staff",
                  "By room", "Rosters"):
        assert sheet in wb.sheetnames
    assert [c.value for c in wb["Sessions"][1]][:10] == [
        "session_id", "session_type", "kind", "day", "start", "end", "staff_id", "room_id", "size", "pinned"]
    text = _all_text(out)
    assert not any(m in text for m in MARKERS)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600  # protected health information: owner only
    valid = runner.invoke(app, ["validate", str(prog), str(out)])
    assert valid.exit_code == 0, valid.output


def test_show_names_only_in_the_human_sheets(tmp_path):
    prog = write_program_xlsx(marked_program(), tmp_path / "program.xlsx")
    out = tmp_path / "schedule.xlsx"
    result = runner.invoke(app, ["solve", str(prog), "-o", str(out), "--time-limit", "2", "--show-names"])
    assert result.exit_code == 0, result.output
    assert not any(m in result.output for m in MARKERS)
    assert any(m in _all_text(out, {"By participant"}) for m in MARKERS)
    assert not any(m in _all_text(out, {"Summary", "Sessions", "Attendance", "Unmet"}) for m in MARKERS)


def test_output_equal_to_input_is_refused(tmp_path):
    prog = write_program_xlsx(make_program(), tmp_path / "program.xlsx")
    before = prog.read_bytes()
    result = runner.invoke(app, ["solve", str(prog), "-o", str(prog)])
    assert result.exit_code == 2
    assert "also an input" in result.output
    assert prog.read_bytes() == before


def test_failed_solve_keeps_the_previous_output(tmp_path):
    out = tmp_path / "schedule.xlsx"
    out.write_bytes(b"last week's schedule")
    result = runner.invoke(app, ["solve", str(tmp_path / "missing.xlsx"), "-o", str(out)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert out.read_bytes() == b"last week's schedule"


@pytest.mark.parametrize("limit, phase", [("120", "requirements"), ("20", "solutions")])
def test_ctrl_c_writes_the_best_schedule_and_exits_130(tmp_path, limit, phase):
    """Ctrl-C in stage 1 (a packed program whose requirements take seconds; its lines say
    'requirements') and in stage 2's CP-SAT search (lines with solutions)."""
    if phase == "requirements":
        from iopsched.generate.programs import write_generated

        prog = write_generated("medium", 1, tmp_path / "program.xlsx", kind="mix")
    else:
        prog = write_program_xlsx(make_program(), tmp_path / "program.xlsx")
    out = tmp_path / "schedule.xlsx"
    proc = subprocess.Popen(
        [sys.executable, "-m", "iopsched", "solve", str(prog), "-o", str(out), "--time-limit", limit],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    line = ""
    while time.monotonic() < deadline:  # wait for a schedule of that phase in the progress display
        line = proc.stderr.readline()
        if "fully met" in line and phase in line:
            break
    assert "fully met" in line and phase in line
    proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert out.exists()
    assert runner.invoke(app, ["validate", str(prog), str(out)]).exit_code == 0


def test_suggest_proposes_a_checked_change(tmp_path):
    from builders import windows, with_participant, with_staff

    program = with_staff(make_program(), "M1", windows=windows(["Wed"], "09:00", "13:00"))
    program = with_participant(program, "P01", needs_medication=True)  # P01 works all Wednesday
    prog = write_program_xlsx(program, tmp_path / "program.xlsx")
    out = tmp_path / "schedule.xlsx"
    result = runner.invoke(app, ["solve", str(prog), "-o", str(out), "--time-limit", "3", "-q", "--suggest"])
    assert result.exit_code == 0, result.output
    assert "suggestion: adding prescriber hours for M1" in result.output
    assert "lets P01 meet" in result.output
    wb = openpyxl.load_workbook(out)
    assert "Suggestions" in wb.sheetnames



def test_version_and_choices_listed():
    """`--version` prints the package's version; every choice option lists the library's own
    choices in --help (an enumeration, so that a typo is refused with exit 2)."""
    from iopsched import __version__
    from iopsched.cli import Freeze, Kind, Size, Who
    from iopsched.export import WHO
    from iopsched.generate.programs import KINDS, SIZES
    from iopsched.solver.continuity import FREEZE_MODES

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"iopsched {__version__}"
    assert [m.value for m in Freeze] == list(FREEZE_MODES)
    assert [m.value for m in Who] == list(WHO)
    assert [m.value for m in Size] == list(SIZES)
    assert [m.value for m in Kind] == list(KINDS)
    help_text = CliRunner().invoke(app, ["generate", "--help"], terminal_width=200).output
    assert "small|medium|large|xl" in help_text.replace(" ", "")
    bad = CliRunner().invoke(app, ["generate", "--size", "huge", "-o", "x"])
    assert bad.exit_code == 2 and "huge" in bad.output


def test_the_sample_is_package_data(tmp_path):
    """`iopsched solve` without a workbook uses the sample shipped inside the package, so a
    wheel installed outside the checkout has it: the wheel holds the workbook itself."""
    import importlib.util
    import zipfile

    from iopsched import cli

    assert cli.SAMPLE.is_relative_to(Path(cli.__file__).resolve().parent)
    assert cli.SAMPLE.read_bytes() == (Path(__file__).resolve().parents[1] / "sample_data" / "program.xlsx").read_bytes()
    if importlib.util.find_spec("setuptools") is None or importlib.util.find_spec("wheel") is None:
        pytest.skip("setuptools or wheel is not installed (make venv installs both)")
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", str(root), "--no-deps", "--no-build-isolation",
                           "-q", "-w", str(tmp_path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("iopsched-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert z.read("iopsched/data/program.xlsx") == cli.SAMPLE.read_bytes()


def _double_book(sessions):
    """The week with its first session's leader also leading a copy of it at the same time
    (rule 3 broken): what a search defect would hand back."""
    first = sessions[0]
    return [*sessions, replace(first, session_id=first.session_id + "-copy", participants=())]


def test_a_week_the_validator_rejects_falls_back_to_stage_one(monkeypatch):
    # stage 2's week breaks rule 3 (as a defective move would); stage 1's week holds: that one
    # is returned, valid, and the Summary says no hard rule is broken
    import iopsched.solver.solve as solve_module
    from iopsched.validate import hard_rule_violations

    real, calls = solve_module.extract, []

    def stage_two_broken(wm, values):
        calls.append(1)
        sessions = real(wm, values)
        return _double_book(sessions) if len(calls) > 1 else sessions

    monkeypatch.setattr(solve_module, "extract", stage_two_broken)
    program = make_program()
    schedule = solve_module.solve(program, time_limit=5, workers=1, seed=0, deterministic=True)
    assert len(calls) == 2  # stage 1's week, then stage 2's
    assert schedule.summary["hard_rule_violations"] == 0
    assert hard_rule_violations(program, schedule) == []
    assert schedule.summary["preferences_skipped"] is True  # the result is stage 1's week


def test_a_week_that_breaks_a_rule_is_never_written(tmp_path, monkeypatch):
    # both stages' weeks break rule 3: nothing is written (last week's file stays), exit 1
    import iopsched.solver.solve as solve_module

    real = solve_module.extract
    monkeypatch.setattr(solve_module, "extract", lambda wm, values: _double_book(real(wm, values)))
    prog = write_program_xlsx(make_program(), tmp_path / "program.xlsx")
    out = tmp_path / "schedule.xlsx"
    out.write_bytes(b"last week's schedule")
    result = runner.invoke(app, ["solve", str(prog), "-o", str(out), "--time-limit", "5", "--deterministic"])
    assert result.exit_code == 1, result.output
    assert "DEFECT" in result.output and "was not written" in result.output
    assert out.read_bytes() == b"last week's schedule"
