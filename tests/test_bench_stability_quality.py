"""The stability and quality benchmarks' report functions, on fabricated rows (no solve, no
baseline checkout: those take minutes and are `make bench` / `make bench-quality`)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from builders import make_program, make_schedule

from iopsched.schedule import Schedule, Unmet

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` run without `python -m`: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import common, quality, stability  # noqa: E402

# --- stability -----------------------------------------------------------------------------------


def _moved(schedule: Schedule, session_id: str, minutes: int) -> Schedule:
    sessions = [replace(s, start=s.start + minutes, end=s.end + minutes)
                if s.session_id == session_id else s for s in schedule.sessions]
    return Schedule(sessions=sessions, unmet=list(schedule.unmet), summary=dict(schedule.summary))


def test_with_all_day_adds_the_commitment_to_one_participant():
    program = make_program()
    changed = stability.with_all_day(program, "P02", 1)
    before = {p.participant_id: p.commitments for p in program.participants}
    for p in changed.participants:
        if p.participant_id == "P02":
            (extra,) = set(p.commitments) - set(before["P02"])
            assert (extra.day, extra.start, extra.end) == (1, 7 * 60, 21 * 60)
        else:
            assert p.commitments == before[p.participant_id]


def test_compare_counts_other_fully_met_participants_whose_week_changed():
    program = make_program()
    last = make_schedule()
    last.unmet = [Unmet("P04", "days", 3, 2, "capacity")]  # P04 was not fully met last week
    i1 = next(s for s in last.sessions if s.session_id == "I1")  # P04's individual session
    i3 = next(s for s in last.sessions if s.session_id == "I3")  # P02's
    this = _moved(_moved(last, i1.session_id, 30), i3.session_id, 30)
    this.unmet = []
    this.summary = {"previous.changed_by_solver": 1}
    row = stability.compare(program, last, this, pid="P01")
    assert row["others_changed"] == 1 and row["others_changed_ids"] == ["P02"]
    assert row["others_changed_any"] == 2 and row["others_changed_any_ids"] == ["P02", "P04"]
    assert (row["fully_met_before"], row["fully_met_after"]) == (3, 4)
    assert row["solver_changed"] == 1
    # the changed participant's own week does not count
    own = stability.compare(program, last, this, pid="P02")
    assert own["others_changed"] == 0 and own["others_changed_any_ids"] == ["P04"]


def _stab_row(**kw) -> dict:
    row = {"kind": "mix", "size": "small", "seed": 1, "time_limit_s": 20.0, "participants": 20,
           "changed_participant": "P010", "changed_day": 1, "fully_met_before": 20,
           "fully_met_after": 19, "others_changed": 0, "others_changed_ids": [],
           "others_changed_any": 0, "solver_changed": 0, "wall_s": 41.0}
    row.update(kw)
    row["target"] = stability.check_target(row)
    return row


def test_stability_target_line_and_report(tmp_path):
    ok = _stab_row()
    bad = _stab_row(kind="evening", others_changed=2, others_changed_ids=["P001", "P007"],
                    others_changed_any=3, solver_changed=2, solver_changed_ids=["P001", "P007"])
    err = stability.check_target({"error": "RuntimeError: boom"})
    assert (ok["target"], bad["target"], err) == ("PASS", "MISS: others changed", "MISS: error")
    # one moved where stage 1 proved that keeping every week is infeasible: unavoidable; the
    # same move without the proof is a miss; a week that cannot run again (put down to the
    # input by the Summary, not to the solver) is unavoidable
    proven = "18 of 19 weeks kept: 1 of the 7 re-planned around 1 changed had to move (the fewest possible)"
    moved = {"others_changed": 1, "others_changed_ids": ["P003"], "solver_changed": 1,
             "solver_changed_ids": ["P003"]}
    assert _stab_row(**moved, stage1=proven)["target"] == "UNAVOIDABLE: the fewest possible moved"
    assert _stab_row(**moved, stage1=proven.replace("possible", "in that neighbourhood"))["target"] \
        == "MISS: others changed"
    assert _stab_row(others_changed=2, others_changed_ids=["P003", "P004"], solver_changed=0,
                     solver_changed_ids=[])["target"] == "UNAVOIDABLE: their sessions cannot run again"
    assert "0 other fully met participants' weeks changed" in stability.line(ok)
    assert stability.line({"kind": "mix", "size": "small", "seed": 1,
                           "error": "RuntimeError: boom"}).endswith("error RuntimeError: boom")

    calls = []

    def fake(kind, size, seed, limit, **kw):
        calls.append((kind, size, seed, limit))
        return ok if kind == "mix" else bad

    report = stability.run_stability(["mix", "evening"], ["small"], [1], 20.0, tmp_path,
                                     echo=lambda _: None, measure_fn=fake)
    assert calls == [("mix", "small", 1, 20.0), ("evening", "small", 1, 20.0)]
    md = (tmp_path / "stability.md").read_text(encoding="utf-8")
    assert "1/2 runs PASS" in md
    header = next(line for line in md.splitlines() if line.startswith("| kind"))
    assert [h.strip() for h in header.strip("|").split("|")] == [h for _, h in stability.COLUMNS]
    assert "| mix | small | 1 | 20 | P010 | Tue | 20 | 19 | 0 |" in md
    assert "| 2 (P001 P007) |" in md
    data = json.loads((tmp_path / "stability.json").read_text(encoding="utf-8"))
    assert [r["target"] for r in data["runs"]] == ["PASS", "MISS: others changed"]
    assert report["paths"]["json"] == str(tmp_path / "stability.json")


def test_stability_options(monkeypatch, tmp_path):
    seen = {}

    def fake(kinds, sizes, seeds, limit, out, **kw):
        seen.update(kinds=list(kinds), sizes=list(sizes), seeds=list(seeds), limit=limit)
        return {"paths": {"md": "m", "json": "j"}}

    monkeypatch.setattr(stability, "run_stability", fake)
    stability.main(["--out", str(tmp_path)])
    assert seen == {"kinds": list(common.KINDS), "sizes": ["small", "medium"], "seeds": [1],
                    "limit": 20.0}
    stability.main(["--kinds", "planted", "--sizes", "large", "--seeds", "2,3",
                    "--time-limit", "5", "--out", str(tmp_path)])
    assert seen == {"kinds": ["planted"], "sizes": ["large"], "seeds": [2, 3], "limit": 5.0}
    with pytest.raises(SystemExit):
        stability.main(["--kinds", "nope"])


# --- quality -------------------------------------------------------------------------------------


def _side(met: int, objective: float, wall: float, **terms) -> dict:
    base = dict.fromkeys(common.TERMS, 0)
    base.update(terms)
    return {"participants": 20, "participants_fully_met": met, "objective": objective,
            "status": "FEASIBLE", "stopped_by": "time_limit", "wall_s": wall, "terms": base}


def _quality_report(runs: list[dict]) -> dict:
    return {"started": "2026-12-02T10:00:00", "wall_seconds": 300.0, "command": "c",
            "machine": {"cpus": 2, "platform": "p", "python": "3.11", "ortools": "9",
                        "iopsched": "0.1.0", "commit": "abc1234"},
            "baseline_ref": "2e2640c", "baseline_commit": "2e2640c", "time_limit_s": 60.0,
            "runs": runs, "totals": quality.term_totals(runs)}


def test_read_summary_of_a_workbook(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws.append(["key", "value"])
    for row in (["status", "FEASIBLE"], ["participants_fully_met", 19], ["objective", 812.5],
                ["objective.routine", 12], ["objective.unmet", "3"], ["weight.routine", 5],
                ["fully_met", "19/20 (at most 19 possible)"], [None, None]):
        ws.append(row)
    wb.create_sheet("Sessions")
    path = tmp_path / "schedule.xlsx"
    wb.save(path)
    summary = quality.read_summary(path)
    assert summary["participants_fully_met"] == 19 and summary["objective"] == 812.5
    assert summary["objective.unmet"] == 3  # numbers written as text come back as numbers
    side = quality.side_result(summary)
    assert side["terms"] == {"routine": 12, "unmet": 3} and side["weights"] == {"routine": 5}
    assert side["status"] == "FEASIBLE" and side["upper_bound_fully_met"] == ""


def test_quality_totals_and_report(tmp_path):
    runs = [
        {"kind": "classic", "size": "small", "seed": 1, "participants": 20,
         "baseline": _side(20, 120.0, 71.3, routine=2, group_sessions=28),
         "current": _side(20, 110.0, 60.1, routine=4, group_sessions=20)},
        {"kind": "evening", "size": "medium", "seed": 1, "participants": 60,
         "baseline": _side(55, 9000.0, 80.0, unmet=5),
         "current": _side(58, 400.0, 60.2, unmet=2)},
        {"kind": "planted", "size": "small", "seed": 1, "participants": 20,
         "baseline": {"wall_s": 3.0, "exit_code": 2, "error": "error: unknown level"},
         "current": _side(18, 300.0, 60.0)},
    ]
    totals = {t["term"]: t for t in quality.term_totals(runs)}
    assert list(totals) == [*common.TERMS, quality.OBJECTIVE_ROW]
    # routine: +2 on classic, 0 on evening: mean +1, standard error stdev(2, 0) / sqrt(2) = 1
    assert totals["routine"] == {"term": "routine", "runs": 2, "baseline": 2, "current": 4,
                                 "better": 0, "same": 1, "worse": 1,
                                 "mean_difference": 1.0, "standard_error": 1.0}
    assert (totals["group_sessions"]["better"], totals["unmet"]["better"]) == (1, 1)
    # the objective only where both sides reached the same requirements (classic: evening's
    # fully met differ, planted's baseline failed); one run has no standard error
    objective = totals[quality.OBJECTIVE_ROW]
    assert (objective["runs"], objective["baseline"], objective["current"]) == (1, 120.0, 110.0)
    assert (objective["mean_difference"], objective["standard_error"]) == (-10.0, "")
    assert quality.pair(runs[0], lambda s: s.get("objective", "")) == "120 -> 110"
    assert quality.pair(runs[2], lambda s: s.get("objective", "")) == "- -> 300"

    paths = quality.write_reports(_quality_report(runs), tmp_path)
    md = paths["md"].read_text(encoding="utf-8")
    assert paths["md"].name == "quality_latest.md" and paths["json"].name == "quality_latest.json"
    assert "| classic | small | 1 | 20 | 20/20 -> 20/20 | 120 -> 110 | 71.30 -> 60.10 |" in md
    assert "| evening | medium | 1 | 5 -> 2 |" in md  # the terms table starts with unmet
    assert "| routine | 2 | 2 | 4 | 0 | 1 | 1 | 1 (1) |" in md
    assert "| objective (same requirements) | 1 | 120 | 110 | 1 | 0 | 0 | -10 |" in md
    assert "### planted small seed 1, baseline (exit code 2)" in md and "unknown level" in md
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["baseline_ref"] == "2e2640c" and len(data["runs"]) == 3


def test_quality_primal_gap_against_the_best_known_week(tmp_path):
    from benchmarks.best_known import Week

    best = Week(20, 0, 100.0, {}, "f")
    assert quality.against_best(_side(20, 112.0, 60.0), best) == {"best_objective": 100.0, "primal_gap": 0.12}
    # another stage 1 is not compared on stage 2
    assert quality.against_best(_side(19, 90.0, 60.0, unmet=1), best)["primal_gap"] == "stage 1 behind"
    planted = Week(18, 8, 8099.0, {}, "f")
    assert quality.against_best(_side(18, 8090.0, 60.0, unmet=7), planted)["primal_gap"] == "stage 1 ahead"
    assert quality.against_best(_side(20, 112.0, 60.0), None) == {}
    assert quality.against_best({"error": "x"}, best) == {"best_objective": 100.0}

    runs = [{"kind": "mix", "size": "small", "seed": 1, "participants": 20,
             "baseline": _side(20, 120.0, 70.0), "current": _side(20, 104.0, 60.0),
             "best": quality.against_best(_side(20, 104.0, 60.0), best)},
            {"kind": "mix", "size": "medium", "seed": 1, "participants": 60,
             "baseline": _side(60, 320.0, 70.0), "current": _side(60, 300.0, 60.0),
             "best": quality.against_best(_side(60, 300.0, 60.0), Week(60, 0, 250.0, {}, "f"))}]
    md = quality.write_reports(_quality_report(runs), tmp_path)["md"].read_text(encoding="utf-8")
    assert "| 100 | 4.0% ok |" in md  # within 5 % on small
    assert "| 250 | 20.0% MISS |" in md  # over 10 % on medium


def test_quality_options(monkeypatch, tmp_path):
    seen = {}

    def fake(ref, kinds, sizes, seeds, limit, out, **kw):
        seen.update(ref=ref, kinds=list(kinds), sizes=list(sizes), seeds=list(seeds),
                    limit=limit)
        for key in ("baseline_from", "solver_seeds", "baseline_limit"):
            if kw.get(key):
                seen[key] = kw[key]
        return {"paths": {"md": "m", "json": "j"}}

    monkeypatch.setattr(quality, "run_quality", fake)
    quality.main(["--out", str(tmp_path)])
    assert seen == {"ref": "2e2640c", "kinds": list(common.KINDS), "sizes": ["small", "medium"],
                    "seeds": [1], "limit": 60.0}
    quality.main(["--baseline", "v0.0.9", "--kinds", "mix", "--sizes", "large", "--seeds", "2",
                  "--time-limit", "30", "--out", str(tmp_path)])
    assert seen == {"ref": "v0.0.9", "kinds": ["mix"], "sizes": ["large"], "seeds": [2],
                    "limit": 30.0}
    quality.main(["--baseline-from", "earlier.json", "--out", str(tmp_path)])
    assert seen["baseline_from"] == Path("earlier.json")
    seen.clear()
    quality.main(["--solver-seeds", "0,1,2", "--baseline-time-limit", "40", "--out", str(tmp_path)])
    assert seen["solver_seeds"] == [0, 1, 2] and seen["baseline_limit"] == 40.0 and seen["limit"] == 60.0


def test_the_baseline_runs_are_reused_only_from_a_report_of_the_same_baseline_and_limit(tmp_path):
    runs = [{"kind": "mix", "size": "small", "seed": 1, "fingerprint": "f1",
             "baseline": _side(20, 94.0, 79.0), "current": _side(20, 90.0, 59.0)},
            {"kind": "mix", "size": "medium", "seed": 1, "baseline": _side(60, 258.0, 75.0)},
            {"kind": "evening", "size": "small", "seed": 1, "baseline": {"error": "crashed"}}]
    path = tmp_path / "earlier.json"
    path.write_text(json.dumps(_quality_report(runs)), encoding="utf-8")
    cached = quality.cached_baseline(path, "2e2640c", 60.0)
    # an errored baseline run is run again; a row without a fingerprint is taken as it is; a
    # row without a CP-SAT seed ran at the config's (None)
    assert set(cached) == {("mix", "small", 1, None), ("mix", "medium", 1, None)}
    assert cached["mix", "small", 1, None]["objective"] == 94.0
    assert cached["mix", "small", 1, None]["fingerprint"] == "f1"
    assert cached["mix", "medium", 1, None]["fingerprint"] is None
    with pytest.raises(ValueError, match="not 2e2640c at 30 s"):
        quality.cached_baseline(path, "2e2640c", 30.0)
    with pytest.raises(ValueError, match="not 1234567 at 60 s"):
        quality.cached_baseline(path, "1234567", 60.0)
    # runs at several CP-SAT seeds, the baseline at its own limit: the key and the limit are those
    seeded = [dict(runs[0], solver_seed=s, baseline=_side(20, 90.0 + s, 60.0)) for s in (0, 2)]
    path.write_text(json.dumps(dict(_quality_report(seeded), baseline_time_limit_s=40.0)), encoding="utf-8")
    cached = quality.cached_baseline(path, "2e2640c", 40.0)
    assert {k: v["objective"] for k, v in cached.items()} == {("mix", "small", 1, 0): 90.0,
                                                             ("mix", "small", 1, 2): 92.0}
    with pytest.raises(ValueError, match="baseline 2e2640c at 40 s, not 2e2640c at 60 s"):
        quality.cached_baseline(path, "2e2640c", 60.0)
    md = quality.render_markdown(dict(_quality_report(seeded), baseline_time_limit_s=40.0))
    assert "`--time-limit 60` (the baseline `--time-limit 40`)" in md
    assert "| mix | small | 1 (CP-SAT 2) |" in md


def test_quality_runs_a_tree_with_its_own_iopsched(tmp_path):
    """run_tree on a fake tree whose `iopsched` writes a Summary: PYTHONPATH and cwd are
    the tree's, the arguments are the command's, and a failing tree reports its error."""
    tree = tmp_path / "tree"
    (tree / "iopsched").mkdir(parents=True)
    (tree / "iopsched" / "__init__.py").write_text("", encoding="utf-8")
    (tree / "iopsched" / "__main__.py").write_text(
        "import sys\n"
        "from openpyxl import Workbook\n"
        "args = sys.argv[1:]\n"
        "if '--fail' in open(args[1]).read():\n"
        "    sys.exit('error: cannot read ' + args[1])\n"
        "wb = Workbook(); ws = wb.active; ws.title = 'Summary'\n"
        "ws.append(['key', 'value']); ws.append(['objective', 7])\n"
        "ws.append(['args', ' '.join(a.rsplit('/', 1)[-1] for a in args)])\n"
        "wb.save(args[args.index('-o') + 1])\n", encoding="utf-8")
    program = tmp_path / "program"
    program.mkdir()
    (program / "program.xlsx").write_text("fake", encoding="utf-8")
    (program / "config.toml").write_text("", encoding="utf-8")
    assert Path(quality.imported_from(tree)).parent == tree / "iopsched"
    row = quality.run_tree(tree, program, tmp_path / "out.xlsx", 60.0, workers=2)
    assert row["exit_code"] == 0 and row["objective"] == 7, row
    assert row["wall_s"] >= 0
    assert quality.read_summary(tmp_path / "out.xlsx")["args"] == \
        "solve program.xlsx -c config.toml -o out.xlsx --time-limit 60 -q --workers 2"
    quality.run_tree(tree, program, tmp_path / "out3.xlsx", 40.0, seed=3)
    assert quality.read_summary(tmp_path / "out3.xlsx")["args"] == \
        "solve program.xlsx -c config.toml -o out3.xlsx --time-limit 40 -q --seed 3"
    (program / "program.xlsx").write_text("--fail", encoding="utf-8")
    row = quality.run_tree(tree, program, tmp_path / "out2.xlsx", 60.0)
    assert row["exit_code"] == 1 and "cannot read" in row["error"]
