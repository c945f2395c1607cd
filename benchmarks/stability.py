"""Week-to-week stability: after one small input change, how many *other* weeks change?

For each kind, size and seed: generate a program, solve it (last week), give the participant
with the most sessions an all-day commitment (07:00-21:00) on the first of their attended
days, solve again with last week as `previous`, and count the OTHER participants who were
fully met last week and whose week changed (sessions by type, day and start). The target
(issue 15) is 0 on every kind. Both solves are the library's `solve` on a deterministic
budget (`deterministic=True`), so a run repeats. Run: `python -m benchmarks.stability`;
results in benchmarks/results/stability.json and stability.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from benchmarks import common
from benchmarks.common import KINDS

DEFAULT_SIZES = ("small", "medium")
DEFAULT_SEEDS = (1,)
DEFAULT_LIMIT = 20.0
DEFAULT_OUT = common.RESULTS
SOLVER_SEED = 0
ALL_DAY = (7 * 60, 21 * 60)

COLUMNS: tuple[tuple[str, str], ...] = (
    ("kind", "kind"),
    ("size", "size"),
    ("seed", "seed"),
    ("participants", "participants"),
    ("changed_participant", "changed"),
    ("changed_day", "day"),
    ("fully_met_before", "fully met before"),
    ("fully_met_after", "fully met after"),
    ("others_changed", "others changed"),
    ("others_changed_any", "others changed (any)"),
    ("solver_changed", "changed by solver"),
    ("stage1", "stage 1 kept"),
    ("wall_s", "wall s"),
    ("target", "target"),
)


def _week(schedule, pid: str) -> set[tuple[str, int, int]]:
    return {(s.session_type, s.day, s.start) for s in schedule.sessions_of(pid)}


def _unmet(schedule) -> set[str]:
    return {u.participant_id for u in schedule.unmet}


def load_program(kind: str, size: str, seed: int):
    from iopsched.generate.programs import write_generated
    from iopsched.workbook.config import load_config
    from iopsched.workbook.reader import read_program

    with tempfile.TemporaryDirectory(prefix="iopsched-stability-") as tmp:
        path = write_generated(size, seed, Path(tmp), kind=kind)
        config = path.parent / "config.toml"
        program, _ = read_program(path, load_config(config if config.exists() else None))
    return program


def with_all_day(program, pid: str, day: int):
    """`program` with participant `pid` committed 07:00-21:00 on `day`."""
    from iopsched.domain import Commitment

    people = tuple(
        replace(p, commitments=(*p.commitments, Commitment(day, *ALL_DAY, "work")))
        if p.participant_id == pid else p for p in program.participants)
    return replace(program, participants=people)


def compare(program, last, this, pid: str) -> dict:
    """What changed between `last` and `this` for everyone but `pid`."""
    ids = [p.participant_id for p in program.participants]
    met_before = [x for x in ids if x not in _unmet(last)]
    others = [x for x in ids if x != pid and _week(last, x) != _week(this, x)]
    met_others = [x for x in others if x in met_before]
    return {
        "participants": len(ids),
        "fully_met_before": len(met_before),
        "fully_met_after": len(ids) - len(_unmet(this)),
        "others_changed": len(met_others),
        "others_changed_ids": met_others,
        "others_changed_any": len(others),
        "others_changed_any_ids": others,
        "solver_changed": this.summary.get("previous.changed_by_solver", ""),
        "solver_changed_ids": [x.strip() for x in str(this.summary.get("previous.changed_by_solver_ids", "")).split(",")
                               if x.strip()],
        "stage1": this.summary.get("previous.stage1", ""),
        "changed_participant_met_after": pid not in _unmet(this),
    }


# stage 1's Summary note when keeping every other week was infeasible and the moves it made
# are proven the fewest (`solver.anchored`)
PROVEN_FEWEST = "the fewest possible"


def check_target(row: dict) -> str:
    """PASS: no other fully met participant's week changed. UNAVOIDABLE: some did, but each
    either could not keep last week's sessions at all (a group the changed participant left
    has too few eligible members left to reach its minimum: the Summary puts them down to the
    input) or was moved where stage 1 proved that no week keeps them all and its moves the
    fewest (stage 2 keeps every week stage 1 kept, so the final moves are stage 1's)."""
    if row.get("error"):
        return "MISS: error"
    if row.get("others_changed") == 0:
        return "PASS"
    moved = [x for x in row.get("others_changed_ids", []) if x in row.get("solver_changed_ids", [])]
    if not moved:
        return "UNAVOIDABLE: their sessions cannot run again"
    if PROVEN_FEWEST in str(row.get("stage1", "")):
        return "UNAVOIDABLE: the fewest possible moved"
    return "MISS: others changed"


def measure(kind: str, size: str, seed: int, limit: float, *,
            workers: int | None = None) -> dict:
    """One kind, size and seed: last week, the change, this week, and what changed."""
    from iopsched.solver.solve import solve

    t0 = time.monotonic()
    program = load_program(kind, size, seed)
    t1 = time.monotonic()
    last = solve(program, time_limit=limit, seed=SOLVER_SEED, workers=workers,
                 deterministic=True)
    last_s = time.monotonic() - t1
    # the participant with the most sessions gets an all-day commitment on their first day
    pid = max(program.participants,
              key=lambda p: (len(last.sessions_of(p.participant_id)), p.participant_id))
    pid = pid.participant_id
    days = sorted({s.day for s in last.sessions_of(pid)})
    if not days:
        raise RuntimeError("last week has no sessions")
    changed = with_all_day(program, pid, days[0])
    t2 = time.monotonic()
    this = solve(changed, time_limit=limit, seed=SOLVER_SEED, workers=workers,
                 deterministic=True, previous=last)
    this_s = time.monotonic() - t2
    row = {"kind": kind, "size": size, "seed": seed, "time_limit_s": limit,
           "changed_participant": pid, "changed_day": days[0],
           **compare(program, last, this, pid),
           "status_before": last.summary.get("status", ""),
           "status_after": this.summary.get("status", ""),
           "stopped_by_before": last.summary.get("stopped_by", ""),
           "stopped_by_after": this.summary.get("stopped_by", ""),
           "solve_before_s": round(last_s, 1), "solve_after_s": round(this_s, 1),
           "wall_s": round(time.monotonic() - t0, 1)}
    row["target"] = check_target(row)
    return row


def measure_safely(kind: str, size: str, seed: int, limit: float, **kw) -> dict:
    try:
        return measure(kind, size, seed, limit, **kw)
    except Exception as exc:  # reported; the other runs go on
        row = {"kind": kind, "size": size, "seed": seed, "time_limit_s": limit,
               "error": f"{type(exc).__name__}: {exc}"}
        row["target"] = check_target(row)
        return row


def line(row: dict) -> str:
    head = f"{row['kind']} {row['size']} seed {row['seed']}"
    if row.get("error"):
        return f"{head}: error {row['error']}"
    return (f"{head}: {row['changed_participant']} got an all-day commitment; "
            f"{row['others_changed']} other fully met participants' weeks changed "
            f"({row['others_changed_any']} of all others), fully met "
            f"{row['fully_met_before']} -> {row['fully_met_after']} of {row['participants']}"
            f"  {row['target']}")


def _cell(row: dict, key: str) -> str:
    value = row.get(key, "")
    if key == "changed_day" and isinstance(value, int):
        from iopsched.domain import day_name

        return day_name(value)
    if key == "others_changed" and row.get("others_changed_ids"):
        return f"{value} ({' '.join(row['others_changed_ids'][:8])}"\
               f"{' ...' if len(row['others_changed_ids']) > 8 else ''})"
    if key == "target" and row.get("error"):
        return f"{value} ({row['error']})".replace("|", "/")
    return "" if value is None else str(value).replace("|", "/")


def render_markdown(report: dict) -> str:
    rows = report["runs"]
    passed = sum(r.get("target") == "PASS" for r in rows)
    unavoidable = sum(str(r.get("target")).startswith("UNAVOIDABLE") for r in rows)
    lines = [
        "# iopsched week-to-week stability",
        "",
        f"Run {report['started']} ({report['wall_seconds']:.0f} s in all). "
        + common.machine_line(report["machine"]),
        f"Command: `{report['command']}`. Each solve: deterministic budget of "
        f"{report['time_limit_s']:g} s, solver seed {SOLVER_SEED}.",
        "",
        f"{passed}/{len(rows)} runs PASS (target: 0 other fully met participants' weeks "
        f"changed); {unavoidable} UNAVOIDABLE (no week keeps every other one: their group falls "
        "below its minimum without the changed participant, or stage 1 proved the moves the fewest).",
        "",
        "| " + " | ".join(h for _, h in COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(_cell(r, k) for k, _ in COLUMNS) + " |" for r in rows]
    lines += ["", "`others changed`: participants other than the changed one, fully met last "
              "week, whose week (sessions by type, day, start) differs; `(any)` counts every "
              "other participant; `changed by solver` is the Summary's "
              "`previous.changed_by_solver`; `stage 1 kept`: the Summary's `previous.stage1` (how many "
              "weeks stage 1 kept, and whether the fewest changes were proven)."]
    return "\n".join(lines) + "\n"


def write_reports(report: dict, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "stability.json", "md": out / "stability.md"}
    paths["json"].write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    paths["md"].write_text(render_markdown(report), encoding="utf-8")
    return paths


def run_stability(kinds: Sequence[str], sizes: Sequence[str], seeds: Sequence[int],
                  limit: float, out: Path, *, workers: int | None = None, command: str = "",
                  echo: Callable[[str], None] = print,
                  measure_fn: Callable[..., dict] = measure_safely) -> dict:
    started = datetime.now().replace(microsecond=0)
    t0 = time.monotonic()
    rows = []
    for kind in kinds:
        for size in sizes:
            for seed in seeds:
                row = measure_fn(kind, size, seed, limit, workers=workers)
                echo(line(row))
                rows.append(row)
    report = {"started": started.isoformat(), "wall_seconds": round(time.monotonic() - t0, 1),
              "command": command, "machine": common.machine(), "time_limit_s": limit,
              "solver_seed": SOLVER_SEED, "runs": rows}
    report["paths"] = {k: str(v) for k, v in write_reports(report, Path(out)).items()}
    return report


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.stability",
                                 description="Week-to-week stability after one input change.")
    common.add_program_options(ap, tuple(DEFAULT_SIZES))
    ap.add_argument("--time-limit", type=common.positive(float), default=DEFAULT_LIMIT,
                    help=f"each solve's deterministic budget in seconds (default {DEFAULT_LIMIT:g})")
    ap.add_argument("--workers", type=int, help="CP-SAT workers (default: the config's)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    report = run_stability(args.kinds or list(KINDS), args.sizes or list(DEFAULT_SIZES),
                           args.seeds or list(DEFAULT_SEEDS), args.time_limit, args.out,
                           workers=args.workers,
                           command="python -m benchmarks.stability " + " ".join(argv))
    print(f"wrote {report['paths']['md']}, {report['paths']['json']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
