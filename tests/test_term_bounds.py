"""A bound per objective term (iopsched.solver.term_bounds, `solve --prove`; issue 16).

Checked three ways: on a hand-made week whose optimum is counted by hand, where the sum of
the term bounds is that optimum (and the counting bound is far below it); never above the
value of its term in the weeks the solver finds on generated programs (each term, and the
total); and through the command line, which writes the `bound.*` rows only when asked.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import openpyxl
import pytest
from builders import make_program, participant, windows, write_program_xlsx
from typer.testing import CliRunner

from iopsched.cli import app
from iopsched.domain import Commitment, Room, SessionType, Staff
from iopsched.generate.programs import write_generated
from iopsched.solver.solve import solve
from iopsched.solver.term_bounds import term_bounds
from iopsched.validate import validate_schedule
from iopsched.workbook.config import load_config
from iopsched.workbook.reader import read_program

GROUPS = (
    SessionType("Process Group", "group", 60, "counselor", 2, 10),
    SessionType("Skills Group", "group", 60, "counselor", 2, 10),
    SessionType("Relapse Prevention", "group", 60, "counselor", 2, 10),
)


def _work(day: int, start: float, end: float) -> Commitment:
    return Commitment(day, round(start * 60), round(end * 60), "work")


def counted_by_hand():
    """Two days (Mon, Tue, 08:00-17:00), one group room, two counselors, six participants who
    each need both days with 2 hours of groups (4 one-hour group sessions a week, at most one
    of each of the 3 group types a day):
    - P01-P03 work afternoons: free 08:00-11:30 both days. P01 prefers the afternoon.
    - P04-P06 are free Mon 13:00-15:00 and Tue 15:00-17:00 only (work and the 30 minute
      travel buffer), so each starts at 13:00 on Monday and at 15:00 on Tuesday. P04 prefers
      Wednesday, when the program is closed."""
    def person(pid: str, busy, **kw):
        return participant(pid, days_min=2, days_max=2, day_hours_min=2, day_hours_max=4, week_hours_min=4,
                           week_hours_max=8, commitments=tuple(busy), **kw)
    morning = [_work(0, 12, 17), _work(1, 12, 17)]
    afternoon = [_work(0, 8, 12.5), _work(0, 15.5, 17), _work(1, 8, 14.5)]
    people = (person("P01", morning, preferred_time="afternoon"), person("P02", morning),
              person("P03", morning), person("P04", afternoon, preferred_days=frozenset({2})),
              person("P05", afternoon), person("P06", afternoon))
    staff = tuple(Staff(sid, frozenset({"counselor"}), windows=windows([0, 1], "08:00", "17:00"))
                  for sid in ("C1", "C2"))
    return make_program(staff=staff, rooms=(Room("R1", 10, frozenset({"group"})),), session_types=GROUPS,
                        participants=people, days=("Mon", "Tue"), open="08:00", close="17:00")


# The optimum, counted by hand (default weights):
# - group_sessions 8 (x2 = 16): each trio needs 4 distinct group sessions and no session can
#   hold both trios (their free hours never meet); 4 a trio suffice (2 a day, shared by all 3);
# - staff_balance 8 (x1 = 8): 8 one-hour sessions = 16 slots over 2 counselors, 8 each;
# - time_preference 4 (x4 = 16): P01 can only come in the morning and needs 4 sessions;
# - routine 3 (x10 = 30): P04-P06 each start at 13:00 on Monday and 15:00 on Tuesday;
# - day_preference 2 (x4 = 8): P04 attends Mon and Tue, neither preferred;
# - everything else 0. One week has all of these at once (the trios' 4 sessions each, led 4
#   and 4), so the optimum is 16 + 8 + 16 + 30 + 8 = 78. The counting bound sees only the
#   first two (24).
OPTIMUM = 78
BY_HAND = {"group_sessions": 8, "staff_balance": 8, "time_preference": 4, "routine": 3, "day_preference": 2}


def test_the_bound_model_reaches_the_optimum_counted_by_hand():
    program = counted_by_hand()
    tb = term_bounds(program, met=[p.participant_id for p in program.participants], unmet_units=0,
                     units_proven=True, time_limit=10, deterministic=True)
    assert tb.total == OPTIMUM
    assert {t: v for t, v in tb.terms.items() if v} == BY_HAND
    assert set(BY_HAND) <= set(tb.proven)


@pytest.mark.slow
def test_cp_sat_proves_the_hand_count():
    # the optimum is not just the bound's word: CP-SAT proves it on its own in 10 s
    program = counted_by_hand()
    s = solve(program, time_limit=10, workers=1, seed=0, deterministic=True).summary
    assert s["objective"] == s["cp_sat_bound"] == OPTIMUM and s["status"] == "OPTIMAL"
    assert s["counting_bound"] == 24


@pytest.mark.slow
def test_prove_proves_the_week_optimal_where_cp_sat_does_not_yet():
    # at 4 s CP-SAT's own bound is 54; the term bounds make the week proven
    program = counted_by_hand()
    schedule = solve(program, time_limit=4, workers=1, seed=0, deterministic=True, prove=True)
    s = schedule.summary
    assert validate_schedule(program, schedule) == []
    assert s["objective"] == s["bound.total"] == s["best_bound"] == OPTIMUM
    assert s["status"] == "OPTIMAL" and s["gap"] == 0 and s["cp_sat_bound"] < OPTIMUM
    for term, value in BY_HAND.items():
        assert s[f"bound.{term}"] == s[f"objective.{term}"] == value


def test_deterministic_bounds_repeat():
    program = counted_by_hand()
    runs = [term_bounds(program, met=["P01", "P04", "P05"], unmet_units=12, units_proven=False,
                        units_lower_bound=8, time_limit=5, deterministic=True) for _ in range(2)]
    assert runs[0].terms == runs[1].terms and runs[0].total == runs[1].total
    # only the participants stage 1 met count; unproven units count as their lower bound
    assert runs[0].terms["unmet"] == 8 and runs[0].terms["routine"] == 2 and runs[0].terms["day_preference"] == 2
    assert "unmet" not in runs[0].proven


# --- never above the weeks the solver finds --------------------------------------------------


@cache
def _generated(folder: str, kind: str, seed: int):
    out = Path(folder) / f"{kind}-small-{seed}"
    write_generated("small", seed, out, kind=kind)
    return read_program(out / "program.xlsx", load_config(out / "config.toml"))[0]


@pytest.fixture(scope="module")
def kinds_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("term-bounds"))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["mix", "planted"])
def test_each_bound_is_at_most_its_term_in_the_solved_week(kinds_dir, kind):
    """Each term's bound (and the total) at most the term's value in the week found, for the
    bound inside `solve --prove` and for the bound model with a longer limit. Planted
    programs have participants no week meets: only those stage 1 met are bounded."""
    program = _generated(kinds_dir, kind, 1)
    schedule = solve(program, time_limit=5, workers=1, seed=0, deterministic=True, prove=True)
    s = schedule.summary
    unmet = {u.participant_id for u in schedule.unmet}
    tb = term_bounds(program, met=[p.participant_id for p in program.participants if p.participant_id not in unmet],
                     unmet_units=s["unmet_units"], units_proven=s["unmet_units_status"] == "OPTIMAL",
                     units_lower_bound=s["unmet_units_lower_bound"], time_limit=4, deterministic=True)
    for term in program.rules.weights:
        assert s[f"bound.{term}"] <= s[f"objective.{term}"], term
        assert tb.terms[term] <= s[f"objective.{term}"], term
    assert s["bound.total"] <= s["objective"] and tb.total <= s["objective"]
    assert s["best_bound"] >= s["bound.total"]
    # the sessions model knows more than the counting bound
    assert tb.terms["group_sessions"] >= 8 and tb.terms["staff_balance"] > 0


# --- the command line ------------------------------------------------------------------------

runner = CliRunner()


def _summary(path: Path) -> dict:
    ws = openpyxl.load_workbook(path, read_only=True)["Summary"]
    return {row[0]: row[1] for row in ws.iter_rows(values_only=True)}


def test_prove_writes_the_bound_rows_and_only_when_asked(tmp_path):
    prog = write_program_xlsx(make_program(), tmp_path / "program.xlsx")
    rows = {}
    for flag in ("--prove", None):
        out = tmp_path / f"schedule{flag or ''}.xlsx"
        args = ["solve", str(prog), "-o", str(out), "--time-limit", "3", "--deterministic", "--workers", "1", "-q"]
        result = runner.invoke(app, [*args, flag] if flag else args)
        assert result.exit_code == 0, result.output
        rows[flag] = _summary(out)
    proved, plain = rows["--prove"], rows[None]
    assert not any(k.startswith("bound.") for k in plain)
    terms = [k.removeprefix("objective.") for k in proved if k.startswith("objective.")]
    assert [f"bound.{t}" for t in terms] + ["bound.total", "bound.seconds", "bound.proven_terms"] == [
        k for k in proved if k.startswith("bound.")]
    for t in terms:
        assert 0 <= proved[f"bound.{t}"] <= proved[f"objective.{t}"]
    assert 0 < proved["bound.total"] <= proved["objective"]
    assert proved["bound.seconds"] > 0 and "unmet" in proved["bound.proven_terms"]
    assert proved["best_bound"] >= proved["bound.total"]
