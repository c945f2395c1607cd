"""The admissions bench (issue 19): each generated kind with 10% extra referrals.

Per kind and size: the program solved without its referrals and with them (deterministic by
default: the same budget, so stage 1 is the same week; `--wall-clock`: each solve within
its --time-limit of wall time, the command's promise), the referrals admitted, the seconds of
the admissions stage and of the whole solve, and whether any continuing participant's
requirements changed (fully met without referrals but not with them, or a shortfall that
grew). Writes benchmarks/results/admissions.json and admissions.md.

    python -m benchmarks.admissions [--sizes small,medium] [--kinds ...] [--time-limit 20] [--wall-clock]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import KINDS, RESULTS, SIZES, csv, positive
from iopsched.analysis.requirements import shortfalls
from iopsched.generate.programs import config_text, generate
from iopsched.generate.referrals import add_referrals
from iopsched.solver.solve import solve
from iopsched.workbook.config import load_config
from iopsched.workbook.program_writer import write_program_workbook
from iopsched.workbook.reader import read_program


def _care(program, schedule) -> dict[str, list]:
    out: dict[str, list] = {p.participant_id: [] for p in program.participants}
    for s in shortfalls(program, schedule):
        if s.participant_id in out:
            out[s.participant_id].append((s.requirement, s.day, s.required - s.scheduled))
    return out


def _worse(before: list, after: list) -> bool:
    """A shortfall that is new or grew."""
    was = {(r, d): gap for r, d, gap in before}
    return any(gap > was.get((r, d), 0) + 1e-9 for r, d, gap in after)


def run_one(kind: str, size: str, seed: int, limit: float, percent: float, deterministic: bool = True) -> dict:
    g = generate(size, seed, kind)
    ids = add_referrals(g.sheets, percent, seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_program_workbook(Path(tmp) / "program.xlsx", g.sheets)
        (Path(tmp) / "config.toml").write_text(config_text(size))
        program, _ = read_program(path, load_config(Path(tmp) / "config.toml"))
    without = program.admitting(())
    t0 = time.monotonic()
    base = solve(without, time_limit=limit, deterministic=deterministic, started_at=t0)
    base_seconds = time.monotonic() - t0
    t0 = time.monotonic()
    s = solve(program, time_limit=limit, deterministic=deterministic, started_at=t0)
    seconds = time.monotonic() - t0
    before, after = _care(without, base), _care(without, s)
    lost = sorted(pid for pid in before if not before[pid] and after[pid])
    worse = sorted(pid for pid in before if _worse(before[pid], after[pid]))
    return {"kind": kind, "size": size, "seed": seed, "time_limit": limit, "deterministic": deterministic, "participants": len(without.participants),
            "referrals": len(ids), "admitted": s.summary["admissions.admitted"],
            "admitted_ids": s.summary["admissions.admitted_ids"], "admissions_status": s.summary["admissions.status"],
            "admissions_method": s.summary["admissions.method"], "admissions_seconds": s.summary["admissions.seconds"],
            "seconds": round(seconds, 1), "seconds_without": round(base_seconds, 1),
            "fully_met_without": base.summary["participants_fully_met"],
            "continuing_lost_full": lost, "continuing_worse": worse,
            "continuing_unchanged": not lost and not worse}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=csv(str), default=["small", "medium"])
    ap.add_argument("--kinds", type=csv(str), default=list(KINDS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=positive(float), default=20.0)
    ap.add_argument("--referrals", type=positive(float), default=10.0, help="percent of the participants")
    ap.add_argument("--wall-clock", action="store_true", help="wall-clock limits (default: deterministic)")
    args = ap.parse_args(argv)
    for x in args.sizes:
        if x not in SIZES:
            ap.error(f"unknown size {x}")
    load = os.getloadavg()[0]
    rows = []
    for size in args.sizes:
        for kind in args.kinds:
            row = run_one(kind, size, args.seed, args.time_limit, args.referrals, not args.wall_clock)
            rows.append(row)
            print(f"{size:6} {kind:10} admitted {row['admitted']}/{row['referrals']} "
                  f"({row['admissions_status']}, {row['admissions_seconds']} s of {row['seconds']} s); "
                  f"continuing unchanged: {row['continuing_unchanged']}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "admissions.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = ["# Admissions bench (issue 19)", "",
             f"10% extra referrals (`--referrals {args.referrals:g}`), seed {args.seed}, "
             f"{'wall-clock' if args.wall_clock else 'deterministic'}, --time-limit {args.time_limit:g} per solve; "
             f"`python -m benchmarks.admissions{' --wall-clock' if args.wall_clock else ''}` "
             f"(load average {load:.1f} at the start on {os.cpu_count()} cores).", "",
             "| size | kind | participants | referrals | admitted | status | admissions s | solve s | "
             "solve s without | continuing unchanged |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['size']} | {r['kind']} | {r['participants']} | {r['referrals']} | {r['admitted']} | "
                     f"{r['admissions_status']} | {r['admissions_seconds']} | {r['seconds']} | "
                     f"{r['seconds_without']} | {'yes' if r['continuing_unchanged'] else 'NO'} |")
    (RESULTS / "admissions.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
