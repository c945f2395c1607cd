"""The requirements bench (benchmarks/run.py): target checks, reports, options, one child run.

Fast on purpose: the end-to-end test swaps the generator for the 4-participant test program
and a 2 s limit, and asserts on the files and their columns, never on speed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from builders import make_program, write_program_xlsx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` run without `python -m`: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import common  # noqa: E402
from benchmarks import run as bench  # noqa: E402


def _row(**kw) -> dict:
    row = {"kind": "mix", "size": "medium", "seed": 1, "participants": 60, "time_limit_s": 10.0,
           "deterministic": False, "wall_s": 10.4, "status": "FEASIBLE",
           "participants_fully_met": 58, "upper_bound_fully_met": 58,
           "requirements_status": "OPTIMAL", "requirements_found_s": 3.2,
           "requirements_s": 3.5, "requirements_method": "cp-sat", "unmet_units": 6,
           "unmet_units_lower_bound": 6, "objective": 812.0, "gap": 0.42,
           "objective_terms": {"unmet": 6, "routine": 12, "time_preference": 0},
           "peak_mem_mb": 410.0, "valid": True, "violations": 0}
    row.update(kw)
    return row


def _target(**kw) -> str:
    return bench.check_targets(_row(**kw))["target"]


def test_kinds_agree_with_the_generator():
    from iopsched.generate.programs import KINDS

    assert common.KINDS == KINDS
    assert bench.DEFAULT_KINDS == KINDS


def test_targets_pass_and_each_miss():
    assert _target() == "PASS"
    assert _target(gap=0.9, status="FEASIBLE") == "PASS"  # the gap is information only
    assert _target(participants_fully_met=57) == "MISS: all-met"
    assert _target(participants_fully_met="") == "MISS: all-met"
    assert _target(requirements_status="FEASIBLE") == "MISS: proof"
    assert _target(requirements_found_s=10.5) == "MISS: found"
    assert _target(requirements_found_s="") == "MISS: found"
    assert _target(requirements_found_s=10.0) == "PASS"
    assert _target(wall_s=12.01) == "MISS: wall"  # limit 10 + 2
    assert _target(wall_s=12.0) == "PASS"
    assert _target(wall_s="") == "MISS: wall"
    assert _target(wall_s=25.0, deterministic=True) == "PASS"  # no wall promise then
    assert _target(valid=False) == "MISS: valid"
    assert _target(peak_mem_mb=1024.0) == "MISS: memory"
    assert _target(size="small", peak_mem_mb=500.0) == "MISS: memory"
    assert _target(size="large", requirements_found_s=29.0, time_limit_s=30.0,
                   wall_s=31.0) == "PASS"
    assert _target(size="large", requirements_found_s=31.0, time_limit_s=30.0,
                   wall_s=31.0) == "MISS: found"
    # xl: the requirements are reported, not judged; wall, validity and memory still are
    xl = {"size": "xl", "time_limit_s": 300.0, "wall_s": 299.0, "peak_mem_mb": 3000.0}
    assert _target(**xl, participants_fully_met=300, upper_bound_fully_met=400,
                   requirements_status="FEASIBLE", requirements_found_s="") == "PASS"
    assert _target(**{**xl, "peak_mem_mb": 4096.0}) == "MISS: memory"
    # planted: the planted participants must be exactly the unmet ones
    assert _target(kind="planted", planted=2, planted_check="exact") == "PASS"
    assert (_target(kind="planted", planted=2, planted_check="unmet, not planted: P9")
            == "MISS: planted")
    # several at once, in CHECKS order
    assert (_target(participants_fully_met=50, requirements_status="FEASIBLE",
                    requirements_found_s=11.0, wall_s=20.0, valid=False, peak_mem_mb=2000.0)
            == "MISS: all-met, proof, found, wall, valid, memory")
    assert bench.check_targets(_row(size="huge"))["target"] == ""


def test_planted_check():
    assert bench.planted_check(["P1", "P2"], ["P2", "P1"]) == "exact"
    assert bench.planted_check(["P1", "P2"], ["P1", "P3"]) == \
        "planted but met: P2; unmet, not planted: P3"
    assert bench.planted_check(["P1"], None) == "no schedule"


def test_markdown_table_has_every_column():
    rows = [_row(), _row(seed=2, valid=False, gap="", kind="planted", planted=3,
                         planted_check="exact")]
    table = bench.markdown_table(rows)
    header, rule, *lines = table.splitlines()
    assert [h.strip() for h in header.strip("|").split("|")] == [h for _, h in bench.COLUMNS]
    assert len(lines) == 2 and rule.count("---") == len(bench.COLUMNS)
    assert "42.00%" in lines[0] and "| NO |" in lines[1]
    assert "| 6 / 6 |" in lines[0] and "| 3 (exact) |" in lines[1]
    assert "unmet 6, routine 12" in lines[0]


def test_kind_summaries():
    rows = [_row(kind="mix", target="PASS"),
            _row(kind="mix", size="large", requirements_found_s=17.5, time_limit_s=30.0,
                 wall_s=30.9, target="PASS"),
            _row(kind="evening", requirements_found_s="", target="MISS: found")]
    mix, evening = bench.kind_summaries(rows)
    assert mix.startswith("mix: 2/2 runs PASS; worst requirements found 17.50 s (large seed 1)")
    assert evening.startswith("evening: 0/1 runs PASS; 1 run(s) without a stage-1 week")
    assert evening.endswith("MISS: medium seed 1 found")


def test_options_defaults_quick_and_others(monkeypatch, tmp_path):
    seen = {}

    def fake(kinds, sizes, seeds, limits, out, **kw):
        seen.clear()
        seen.update(kinds=list(kinds), sizes=list(sizes), seeds=list(seeds), limits=dict(limits),
                    rooms=kw["rooms"], deterministic=kw["deterministic"])
        runs = [{**_row(kind=k, size=s, seed=n), "valid": s != "medium"}
                for k in kinds for s in sizes for n in seeds]
        return {"runs": runs, "paths": {"md": "m", "json": "j", "stamped": "s"}}

    monkeypatch.setattr(bench, "run_benchmarks", fake)
    assert bench.main(["--out", str(tmp_path)]) == 0  # only --quick fails on invalid schedules
    assert seen == {"kinds": list(common.KINDS), "sizes": ["small", "medium", "large"],
                    "seeds": [1], "limits": {"small": 10.0, "medium": 10.0, "large": 30.0},
                    "rooms": None, "deterministic": False}
    assert bench.main(["--quick", "--out", str(tmp_path)]) == 1  # medium "did not validate"
    assert (seen["kinds"], seen["sizes"], seen["seeds"]) == (
        ["classic", "evening"], ["small", "medium"], [1])
    bench.main(["--kinds", "planted", "--sizes", "xl", "--seeds", "4,5", "--rooms", "15",
                "--deterministic", "--out", str(tmp_path)])
    assert seen == {"kinds": ["planted"], "sizes": ["xl"], "seeds": [4, 5],
                    "limits": {"xl": 300.0}, "rooms": 15, "deterministic": True}
    bench.main(["--sizes", "small,large", "--time-limit", "7", "--out", str(tmp_path)])
    assert seen["limits"] == {"small": 7.0, "large": 7.0}
    for bad in (["--sizes", "huge"], ["--kinds", "weekend"], ["--time-limit", "0"],
                ["--rooms", "0"]):
        with pytest.raises(SystemExit):
            bench.main([*bad, "--out", str(tmp_path)])


def test_one_run_in_a_child_writes_the_reports(monkeypatch, tmp_path):
    def tiny(kind, size, seed, folder, rooms=None):  # the parent generates; the child reads
        folder.mkdir(parents=True)
        (folder / "planted.json").write_text(json.dumps({"P99": "made up"}), encoding="utf-8")
        return write_program_xlsx(make_program(), folder / "program.xlsx")

    monkeypatch.setattr(bench, "generate_program", tiny)
    out = tmp_path / "results"
    (out).mkdir()
    (out / "latest.png").write_bytes(b"old plot")
    # a best-known week of the same program, far worse than any run: the run replaces it
    from benchmarks import best_known

    fingerprint = best_known.program_fingerprint(tiny("planted", "small", 1, tmp_path / "same"))
    best_file = tmp_path / "best.json"
    worse = best_known.Week(0, 10**6, 10.0**9, {"unmet": 10**6}, fingerprint, {"limit_s": 1})
    best_known.save({"planted-small-1": worse}, best_file)
    report = bench.run_benchmarks(["planted"], ["small"], [1], {"small": 2.0}, out, workers=1,
                                  baseline=False, echo=lambda _: None, best_file=best_file, bounds=2.0)

    data = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    stamped = [p for p in out.glob("*.json") if p.name != "latest.json"]
    assert len(stamped) == 1 and json.loads(stamped[0].read_text(encoding="utf-8")) == data
    assert not (out / "latest.png").exists()  # no plot any more, and no stale one
    (row,) = data["runs"]
    assert row.get("error", "") == "", row.get("error")
    for key, _ in bench.COLUMNS:
        assert key in row, key
    assert (row["kind"], row["size"], row["seed"], row["participants"]) == ("planted", "small", 1, 4)
    assert row["status"] in ("OPTIMAL", "FEASIBLE") and row["written"] is True
    assert row["requirements_status"] in ("OPTIMAL", "FEASIBLE")
    assert isinstance(row["wall_s"], float) and row["wall_s"] >= row["read_s"] > 0
    assert row["wall_s"] >= row["requirements_s"]  # the clock started before reading
    assert isinstance(row["peak_mem_mb"], float) and row["peak_mem_mb"] > 0
    assert isinstance(row["valid"], bool) and isinstance(row["violations"], int)
    assert row["planted"] == 1 and row["planted_check"].startswith("planted but met: P99")
    assert row["target"].startswith("MISS") and "planted" in row["target"]
    assert set(row["objective_terms"]) >= {"unmet", "routine"}
    # issue 16: the best known compared against and replaced, the bound per term after the run
    assert row["best_objective"] == 10.0**9 and row["beats_best"] is True
    assert row["primal_gap"] == "stage 1 ahead"  # fewer units than the old week: a new stage 1
    new = best_known.load(best_file)["planted-small-1"]
    assert new.objective == row["objective"] and new.fully_met == row["participants_fully_met"]
    assert report["best_updated"] == 1
    assert 0 <= row["bound_total"] <= row["objective"] and row["bound_terms"]["unmet"] >= 0

    md = (out / "latest.md").read_text(encoding="utf-8")
    header = next(line for line in md.splitlines() if line.startswith("| kind | size"))
    assert [h.strip() for h in header.strip("|").split("|")] == [h for _, h in bench.COLUMNS]
    assert "| planted | small | 1 | 4 |" in md
    assert "- planted: 0/1 runs PASS" in md
    assert data["kind_summaries"][0].startswith("planted: 0/1 runs PASS")
    assert report["paths"]["md"] == str(out / "latest.md")
