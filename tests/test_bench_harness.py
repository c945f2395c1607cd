"""The benchmark harness (benchmarks/run.py): reports, target checks, options, one child run.

Fast on purpose: the end-to-end test swaps the generator for the 4-participant test program
and a 1 s (deterministic) limit, and asserts on the files and their columns, never on speed.
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

from benchmarks import run as bench  # noqa: E402


def _row(**kw) -> dict:
    row = {"size": "medium", "seed": 1, "participants": 60, "time_limit_s": 60.0,
           "status": "FEASIBLE", "all_met_s": 3.2, "gap": 0.004, "peak_mem_mb": 410.0,
           "valid": True, "total_s": 61.0}
    row.update(kw)
    return row


def test_targets_pass_and_each_miss():
    assert bench.check_targets(_row())["target"] == "PASS"
    assert bench.check_targets(_row(all_met_s=""))["target"] == "MISS: all-met"
    assert bench.check_targets(_row(all_met_s=15.5))["target"] == "MISS: all-met"
    assert bench.check_targets(_row(gap=0.02))["target"] == "MISS: gap"
    assert bench.check_targets(_row(peak_mem_mb=1024.0))["target"] == "MISS: memory"
    assert bench.check_targets(_row(valid=False))["target"] == "MISS: valid"
    small = _row(size="small", time_limit_s=10.0, all_met_s=1.0, gap=0.001)
    assert bench.check_targets(small)["target"] == "MISS: gap"  # small needs optimal
    assert bench.check_targets({**small, "status": "OPTIMAL"})["target"] == "PASS"
    assert bench.check_targets(_row(time_limit_s=30.0))["target_limit_differs"] is True


def test_markdown_table_has_every_column():
    table = bench.markdown_table([_row(), _row(seed=2, valid=False, gap="")])
    header, rule, *rows = table.splitlines()
    assert [h.strip() for h in header.strip("|").split("|")] == [h for _, h in bench.COLUMNS]
    assert len(rows) == 2 and rule.count("---") == len(bench.COLUMNS)
    assert "0.40%" in rows[0] and "| NO |" in rows[1]


def test_options_quick_and_defaults(monkeypatch, tmp_path):
    seen = {}

    def fake(sizes, seeds, limits, out, **kw):
        seen.update(sizes=list(sizes), seeds=list(seeds), limits=dict(limits))
        runs = [{**_row(size=s, seed=k), "valid": s != "medium"} for s in sizes for k in seeds]
        return {"runs": runs, "paths": {"md": "m", "json": "j", "stamped": "s"}}

    monkeypatch.setattr(bench, "run_benchmarks", fake)
    assert bench.main(["--quick", "--out", str(tmp_path)]) == 1  # medium "did not validate"
    assert seen == {"sizes": ["small", "medium"], "seeds": [1],
                    "limits": {"small": 10.0, "medium": 30.0}}
    assert bench.main(["--out", str(tmp_path)]) == 0  # only --quick fails on invalid schedules
    assert seen == {"sizes": ["small", "medium", "large"], "seeds": [1, 2, 3],
                    "limits": {"small": 10.0, "medium": 60.0, "large": 180.0}}
    bench.main(["--sizes", "xl", "--seeds", "4,5", "--time-limit", "7", "--out", str(tmp_path)])
    assert seen == {"sizes": ["xl"], "seeds": [4, 5], "limits": {"xl": 7.0}}
    with pytest.raises(SystemExit):
        bench.main(["--sizes", "huge"])


def test_one_run_in_a_child_writes_the_reports(monkeypatch, tmp_path):
    def tiny(size, seed, folder):  # the parent generates; the child reads what is there
        folder.mkdir(parents=True)
        return write_program_xlsx(make_program(), folder / "program.xlsx")

    monkeypatch.setattr(bench, "generate_program", tiny)
    out = tmp_path / "results"
    report = bench.run_benchmarks(["small"], [1], {"small": 1.0}, out, workers=1,
                                  baseline=False, echo=lambda _: None)

    data = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    stamped = [p for p in out.glob("*.json") if p.name != "latest.json"]
    assert len(stamped) == 1 and json.loads(stamped[0].read_text(encoding="utf-8")) == data
    (row,) = data["runs"]
    assert row.get("error", "") == "", row.get("error")
    for key, _ in bench.COLUMNS:
        assert key in row, key
    assert (row["size"], row["seed"], row["participants"]) == ("small", 1, 4)
    assert row["status"] in ("OPTIMAL", "FEASIBLE")
    assert isinstance(row["peak_mem_mb"], float) and row["peak_mem_mb"] > 0
    assert isinstance(row["valid"], bool) and isinstance(row["violations"], int)
    assert row["target"].startswith(("PASS", "MISS"))

    md = (out / "latest.md").read_text(encoding="utf-8")
    header = next(line for line in md.splitlines() if line.startswith("| size | seed"))
    assert [h.strip() for h in header.strip("|").split("|")] == [h for _, h in bench.COLUMNS]
    assert "| small | 1 | 4 |" in md
    assert report["paths"]["md"] == str(out / "latest.md")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not (out / "latest.png").exists()  # skipped with a note, never stale
    else:
        assert (out / "latest.png").stat().st_size > 0
