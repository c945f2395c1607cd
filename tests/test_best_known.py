"""The best-known weeks of the benchmark programs and the primal gap (issue 16)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` run without `python -m`: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import best_known  # noqa: E402
from benchmarks.best_known import Week  # noqa: E402
from benchmarks.run import generate_program, render_markdown  # noqa: E402


def _row(met=20, units=0, objective=120.0, terms=None, valid=True, size="small"):
    return {"participants_fully_met": met, "unmet_units": units, "objective": objective, "valid": valid,
            "objective_terms": terms or {"routine": 2, "group_sessions": 30}, "size": size,
            "kind": "mix", "seed": 1}


def _week(met=20, units=0, objective=100.0, fingerprint="f"):
    return Week(met, units, objective, {"routine": 1, "group_sessions": 28}, fingerprint, {})


def test_weeks_rank_lexicographically_met_then_units_then_objective():
    assert _week(met=20, objective=900).rank() < _week(met=19, objective=10).rank()
    assert _week(units=2, objective=900).rank() < _week(units=3, objective=10).rank()
    assert _week(objective=99).rank() < _week(objective=100).rank()


def test_primal_gap_on_stage_two_only_when_stage_one_matches():
    best = _week(objective=100)
    assert best_known.primal_gap(_week(objective=112), best) == 0.12
    assert best_known.primal_gap(_week(met=19, objective=50), best) is None
    assert best_known.primal_gap(_week(objective=0), _week(objective=0)) == 0.0


def test_compare_and_record_keep_the_better_week():
    table = {"mix-small-1": _week(objective=100)}
    worse = _row(objective=120.0)
    worse.update(best_known.compare(worse, table, "mix-small-1", "f"))
    assert worse["primal_gap"] == 0.2 and worse["beats_best"] is False
    assert best_known.gap_target(worse) == "MISS"  # small: at most 5 %
    assert not best_known.record(table, worse, {})
    assert table["mix-small-1"].objective == 100
    better = _row(objective=96.0)
    better.update(best_known.compare(better, table, "mix-small-1", "f"))
    assert better["beats_best"] is True and best_known.gap_target(better) == "ok"
    assert best_known.record(table, better, {"limit_s": 10})
    assert table["mix-small-1"].objective == 96.0 and table["mix-small-1"].found_by == {"limit_s": 10}
    # a run fully meeting fewer never replaces a week, however low its objective
    fewer = _row(met=19, objective=5.0)
    fewer.update(best_known.compare(fewer, table, "mix-small-1", "f"))
    assert fewer["primal_gap"] == "stage 1 behind" and not best_known.record(table, fewer, {})
    # an invalid schedule counts for nothing
    broken = _row(objective=1.0, valid=False)
    broken.update(best_known.compare(broken, table, "mix-small-1", "f"))
    assert "primal_gap" not in broken and not best_known.record(table, broken, {})


def test_another_program_under_the_same_key_is_not_compared(tmp_path: Path):
    table = {"mix-small-1": _week(objective=10, fingerprint="old")}
    row = _row(objective=500.0)
    row.update(best_known.compare(row, table, "mix-small-1", "new"))
    assert "best_objective" not in row and row["beats_best"] is True
    assert best_known.record(table, row, {})
    path = tmp_path / "best.json"
    best_known.save(table, path)
    assert best_known.load(path)["mix-small-1"] == table["mix-small-1"]


def test_fingerprint_is_of_the_program_not_the_file(tmp_path: Path):
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        generate_program("classic", "small", seed, tmp_path / name)
    fa = best_known.program_fingerprint(tmp_path / "a" / "program.xlsx")
    fb = best_known.program_fingerprint(tmp_path / "b" / "program.xlsx")
    fc = best_known.program_fingerprint(tmp_path / "c" / "program.xlsx")
    assert fa == fb != fc


def test_the_repository_table_covers_the_bench_programs():
    table = best_known.load()
    for kind in ("classic", "mix", "evening", "adolescent", "prescriber", "planted"):
        for size in ("small", "medium", "large"):
            assert f"{kind}-{size}-1" in table, f"{kind}-{size}-1 has no best-known week"
    assert "sample" in table
    for week in table.values():
        assert week.found_by.get("limit_s") and week.terms


def test_the_report_shows_the_gap_and_the_terms():
    row = _row(objective=120.0)
    row.update(best_known.compare(row, {"mix-small-1": _week(objective=100)}, "mix-small-1", "f"))
    row["gap_target"] = best_known.gap_target(row)
    report = {"runs": [row], "started": "2026-12-03T10:00:00", "wall_seconds": 1.0, "command": "x",
              "machine": {"cpus": 2, "platform": "p", "python": "3", "ortools": "9", "iopsched": "0",
                          "commit": "c"}, "best_updated": 0}
    text = render_markdown(report)
    assert "20.00%" in text and "MISS" in text
    assert "| mix | small | 1 | 2 / 1 | 30 / 28 |" in text
