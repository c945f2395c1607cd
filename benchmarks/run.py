"""Benchmark the solver on generated programs: `python -m benchmarks.run [--quick] ...`.

For each size and seed the parent process generates a program (iopsched.generate) into a
temporary folder, then runs read + solve + validate in a child process
(`python -m benchmarks.run --one FOLDER ...`), so that the child's peak resident memory,
taken from `os.wait4` (the child's own rusage, ru_maxrss), belongs to that run alone.
Results go to `<out>/latest.md`, `<out>/latest.json`, `<out>/<YYYYmmdd-HHMMSS>.json` and,
when matplotlib is importable, `<out>/latest.png`. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = ("small", "medium", "large", "xl")
DEFAULT_SIZES = ("small", "medium", "large")  # xl takes 10+ minutes per seed: ask for it
DEFAULT_SEEDS = (1, 2, 3)
DEFAULT_LIMITS = {"small": 10.0, "medium": 60.0, "large": 180.0, "xl": 600.0}
QUICK_SIZES = ("small", "medium")
QUICK_SEEDS = (1,)
QUICK_LIMITS = {"small": 10.0, "medium": 30.0}
DEFAULT_OUT = ROOT / "benchmarks" / "results"
SAMPLE_VIOLATIONS = 50  # violation messages kept per run (counts by rule are kept in full)


@dataclass(frozen=True)
class Target:
    """The issue's targets for one size on a 2-core laptop."""

    all_met_s: float  # every requirement met within this many seconds of search
    gap: float  # relative gap at the time limit (0 = proven optimal)
    limit_s: float  # the time limit the gap target refers to
    memory_mb: float  # peak resident memory strictly below this


TARGETS: dict[str, Target] = {
    "small": Target(2, 0.0, 10, 500),
    "medium": Target(15, 0.01, 60, 1024),
    "large": Target(60, 0.03, 180, 2048),
    "xl": Target(300, 0.05, 600, 4096),
}

# (JSON key, Markdown header) in table order; README.md explains each column.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("size", "size"),
    ("seed", "seed"),
    ("participants", "participants"),
    ("staff", "staff"),
    ("rooms", "rooms"),
    ("time_limit_s", "limit s"),
    ("all_met_s", "all met s"),
    ("all_met_e2e_s", "all met e2e s"),
    ("first_solution_s", "first sol s"),
    ("status", "status"),
    ("objective", "objective"),
    ("best_bound", "bound"),
    ("gap", "gap"),
    ("stopped_by", "stopped by"),
    ("participants_fully_met", "fully met"),
    ("sessions", "sessions"),
    ("variables", "variables"),
    ("constraints", "constraints"),
    ("build_s", "build s"),
    ("solve_s", "solve s"),
    ("total_s", "total s"),
    ("peak_mem_mb", "peak MB"),
    ("valid", "valid"),
    ("violations", "violations"),
    ("target", "target"),
)


# --- the child: read, solve, validate one generated program --------------------------------------


def _rounded(value: object, digits: int = 3) -> object:
    return round(value, digits) if isinstance(value, float) else value


def solve_one(program_dir: Path, *, time_limit: float, workers: int | None = None,
              solver_seed: int | None = None, progress: bool = False,
              schedule_out: Path | None = None) -> dict:
    """Read `program_dir/program.xlsx` (+ config.toml if present), solve, validate: one row."""
    from iopsched.config import load_config
    from iopsched.reader import read_program
    from iopsched.run import ProgressLine
    from iopsched.solve import Progress, solve
    from iopsched.validate import counts, validate_schedule

    t0 = time.monotonic()
    config = program_dir / "config.toml"
    rules = load_config(config if config.exists() else None)
    program, _warnings = read_program(program_dir / "program.xlsx", rules)
    read_s = time.monotonic() - t0
    line = ProgressLine() if progress else None
    all_met_e2e: float | None = None

    def on_progress(p: Progress) -> None:
        nonlocal all_met_e2e
        if all_met_e2e is None and p.fully_met == p.participants:
            all_met_e2e = time.monotonic() - t0
        if line is not None:
            line(p)

    schedule = solve(program, time_limit=time_limit, workers=workers, seed=solver_seed,
                     progress=on_progress)
    if line is not None:
        line.done()
    t1 = time.monotonic()
    violations = validate_schedule(program, schedule)
    validate_s = time.monotonic() - t1
    if schedule_out is not None:
        from iopsched.writer import write_schedule

        write_schedule(schedule, program, schedule_out)
    s = schedule.summary
    return {
        "participants": len(program.participants),
        "staff": len(program.staff),
        "rooms": len(program.rooms),
        "time_limit_s": s.get("time_limit_seconds", time_limit),
        "all_met_s": s.get("all_met_seconds", ""),
        "all_met_e2e_s": round(all_met_e2e, 3) if all_met_e2e is not None else "",
        "first_solution_s": s.get("first_solution_seconds", ""),
        "status": s.get("status", ""),
        "objective": _rounded(s.get("objective", "")),
        "best_bound": _rounded(s.get("best_bound", "")),
        "gap": s.get("gap", ""),
        "stopped_by": s.get("stopped_by", ""),
        "participants_fully_met": s.get("participants_fully_met", ""),
        "sessions": s.get("sessions", len(schedule.sessions)),
        "variables": s.get("variables", ""),
        "constraints": s.get("constraints", ""),
        "read_s": round(read_s, 3),
        "build_s": s.get("build_seconds", ""),
        "solve_s": s.get("solve_seconds", ""),
        "total_s": s.get("total_seconds", ""),
        "validate_s": round(validate_s, 3),
        "solutions_found": s.get("solutions_found", ""),
        "workers": s.get("workers", ""),
        "solver_seed": s.get("seed", ""),
        "has_schedule": bool(schedule.sessions),
        "valid": not violations,
        "violations": len(violations),
        "violation_counts": counts(violations),
        "violation_samples": [v.message for v in violations[:SAMPLE_VIOLATIONS]],
        "error": "",
        "objective_terms": {k[len("objective."):]: v for k, v in s.items()
                            if k.startswith("objective.")},
        "ortools_version": s.get("ortools_version", ""),
    }


def _child(args: argparse.Namespace) -> int:
    result = Path(args.result)
    try:
        row = solve_one(Path(args.one), time_limit=args.time_limit, workers=args.workers,
                        solver_seed=args.solver_seed, progress=args.progress,
                        schedule_out=Path(args.schedule_out) if args.schedule_out else None)
        code = 0
    except BaseException:  # noqa: BLE001 - the parent reports the traceback
        row = {"status": "CRASH", "error": traceback.format_exc(), "valid": False}
        code = 2
    result.write_text(json.dumps(row, indent=2, default=str), encoding="utf-8")
    return code


def _baseline_child() -> int:
    """Import what a run imports, then exit: the interpreter + libraries' resident memory."""
    import iopsched.reader  # noqa: F401
    import iopsched.solve  # noqa: F401
    import iopsched.validate  # noqa: F401

    return 0


# --- the parent: generate, spawn, measure --------------------------------------------------------


def generate_program(size: str, seed: int, folder: Path) -> Path:
    """Write the generated program (program.xlsx + config.toml) into `folder`."""
    from iopsched.generate import write_generated

    return write_generated(size, seed, folder)


def _maxrss_mb(ru_maxrss: int) -> float:
    """ru_maxrss is KiB on Linux, bytes on macOS."""
    kib = ru_maxrss / 1024 if sys.platform == "darwin" else ru_maxrss
    return round(kib / 1024, 1)


def run_child(argv: Sequence[str], timeout: float) -> tuple[int, float, bool]:
    """Run `python -m benchmarks.run ARGV`; (exit code, its peak RSS in MB, timed out)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.run", *argv], cwd=ROOT, env=env)
    deadline = time.monotonic() + timeout
    timed_out = False
    while True:
        # wait4 gives this child's own rusage: its peak memory, not the max over all children
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            timed_out = True
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, _maxrss_mb(usage.ru_maxrss), timed_out


def measure_baseline() -> float | str:
    code, mb, _ = run_child(["--baseline"], timeout=120)
    return mb if code == 0 else ""


def child_timeout(limit: float) -> float:
    # the solver stops by deterministic time, with a wall-clock guard of 2 x limit + 10 s;
    # reading, building and validating a large program take another minute or two
    return 3 * limit + 300


def check_targets(row: dict) -> dict:
    """PASS/MISS against TARGETS: all-met time, gap at the limit, peak memory, validity."""
    target = TARGETS.get(row.get("size", ""))
    if target is None:
        return {"target": ""}
    met, gap, mem = row.get("all_met_s", ""), row.get("gap", ""), row.get("peak_mem_mb", "")
    checks = {
        "all-met": isinstance(met, (int, float)) and met <= target.all_met_s,
        "gap": row.get("status") == "OPTIMAL"
        or (isinstance(gap, (int, float)) and gap <= target.gap + 1e-9),
        "memory": isinstance(mem, (int, float)) and mem < target.memory_mb,
        "valid": bool(row.get("valid")),
    }
    missed = [name for name, ok in checks.items() if not ok]
    out = {f"target_{name.replace('-', '_')}_ok": ok for name, ok in checks.items()}
    out["target"] = "PASS" if not missed else "MISS: " + ", ".join(missed)
    out["target_limit_differs"] = row.get("time_limit_s") != target.limit_s
    return out


def bench_one(size: str, seed: int, limit: float, *, workers: int | None = None,
              solver_seed: int | None = None, progress: bool = False,
              keep: Path | None = None) -> dict:
    """One size and seed: generate, solve in a child process, measure, check targets."""
    row: dict = {"size": size, "seed": seed, "time_limit_s": limit}
    with tempfile.TemporaryDirectory(prefix=f"iopsched-bench-{size}-{seed}-") as tmp:
        folder = Path(tmp) / "program"
        t0 = time.monotonic()
        try:
            generate_program(size, seed, folder)
        except Exception:  # noqa: BLE001 - reported in the table, the other runs go on
            row.update(status="GENERATE_ERROR", error=traceback.format_exc(), valid=False)
            row.update(check_targets(row))
            return row
        row["generate_s"] = round(time.monotonic() - t0, 3)
        result = Path(tmp) / "result.json"
        argv = ["--one", str(folder), "--result", str(result), "--time-limit", str(limit)]
        if workers is not None:
            argv += ["--workers", str(workers)]
        if solver_seed is not None:
            argv += ["--solver-seed", str(solver_seed)]
        if progress:
            argv.append("--progress")
        if keep is not None:
            argv += ["--schedule-out", str(folder / "schedule.xlsx")]
        code, peak_mb, timed_out = run_child(argv, child_timeout(limit))
        if result.exists():
            row.update(json.loads(result.read_text(encoding="utf-8")))
        else:
            status = "TIMEOUT" if timed_out else "CRASH"
            row.update(status=status, valid=False,
                       error=f"child exited with code {code} and wrote no result")
        row["time_limit_s"] = row.get("time_limit_s") or limit
        row["exit_code"] = code
        row["peak_mem_mb"] = peak_mb
        if keep is not None:
            dest = keep / f"{size}-seed{seed}"
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(folder, dest)
    row.update(check_targets(row))
    return row


# --- reports -------------------------------------------------------------------------------------


def _cell(key: str, value: object) -> str:
    if value is None or value == "":
        return ""
    if key == "gap" and isinstance(value, (int, float)):
        return f"{value:.2%}"
    if key == "valid":
        return "yes" if value else "NO"
    if isinstance(value, float):
        if key in ("objective", "best_bound"):
            return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
        return f"{value:.2f}" if key.endswith("_s") else f"{value:g}"
    return str(value).replace("|", "/")


def markdown_table(runs: list[dict], columns: Sequence[tuple[str, str]] = COLUMNS) -> str:
    lines = ["| " + " | ".join(h for _, h in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    for row in runs:
        lines.append("| " + " | ".join(_cell(k, row.get(k)) for k, _ in columns) + " |")
    return "\n".join(lines)


def targets_table() -> str:
    lines = ["| size | every requirement met within | gap at the limit | peak memory |",
             "|---|---|---|---|"]
    for size, t in TARGETS.items():
        gap = "0 (optimal)" if t.gap == 0 else f"<= {t.gap:.0%}"
        mem = f"{t.memory_mb / 1024:g} GB" if t.memory_mb >= 1024 else f"{t.memory_mb:g} MB"
        lines.append(f"| {size} | {t.all_met_s:g} s | {gap} in {t.limit_s:g} s | < {mem} |")
    return "\n".join(lines)


def render_markdown(report: dict) -> str:
    m = report["machine"]
    runs = report["runs"]
    base = report.get("baseline_mem_mb")
    base_text = f"{base} MB" if isinstance(base, (int, float)) else "not measured"
    parts = [
        "# iopsched benchmark results",
        "",
        f"Run {report['started']} ({report['wall_seconds']:.0f} s in all). "
        f"Machine: {m['cpus']} CPUs, {m['platform']}, Python {m['python']}, "
        f"OR-Tools {m['ortools']}, iopsched {m['iopsched']}, commit {m['commit']}.",
        f"Command: `{report['command']}`. Baseline memory of a child that only imports the "
        f"libraries: {base_text}.",
        "",
        markdown_table(runs),
        "",
        "Targets (PASS needs all four: requirements met in time, gap, memory, valid schedule):",
        "",
        targets_table(),
    ]
    if any(r.get("target_limit_differs") for r in runs):
        parts += ["", "Note: some runs used a time limit other than the target's; their gap "
                      "was judged at the limit they ran with."]
    problems = [r for r in runs if not r.get("valid") or r.get("error")]
    if problems:
        parts += ["", "## Runs without a valid schedule", ""]
        for r in problems:
            parts.append(f"### {r['size']} seed {r['seed']}: {r.get('status', '')}, "
                         f"{r.get('violations', '?')} violations")
            if r.get("violation_counts"):
                parts.append("")
                parts.append(", ".join(f"{k}: {v}" for k, v in r["violation_counts"].items()))
            body = r.get("error") or "\n".join(r.get("violation_samples", []))
            if body:
                parts += ["", "```", body.rstrip(), "```"]
    return "\n".join(parts) + "\n"


def write_plot(runs: list[dict], path: Path) -> str:
    """latest.png: time to all-met / total time and peak memory against participants."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        path.unlink(missing_ok=True)  # never leave a stale plot next to fresh numbers
        return "matplotlib is not installed: no plot (pip install matplotlib)"

    def series(key: str) -> tuple[list, list]:
        pts = [(r["participants"], r[key]) for r in runs
               if isinstance(r.get("participants"), int) and isinstance(r.get(key), (int, float))]
        return [p for p, _ in pts], [v for _, v in pts]

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, label, marker in (("all_met_s", "every requirement met (search)", "o"),
                               ("total_s", "total (build + solve)", "s")):
        xs, ys = series(key)
        ax_t.scatter(xs, ys, label=label, marker=marker)
    sizes = {r["size"]: r["participants"] for r in runs if isinstance(r.get("participants"), int)}
    tx = [sizes[s] for s in TARGETS if s in sizes]
    ax_t.scatter(tx, [TARGETS[s].all_met_s for s in TARGETS if s in sizes], marker="_", s=400,
                 color="red", label="target: all met within")
    ax_t.set(xlabel="participants", ylabel="seconds", title="Solve time")
    ax_t.set_ylim(bottom=0)
    ax_t.grid(alpha=0.3)
    ax_t.legend(fontsize=8)
    xs, ys = series("peak_mem_mb")
    ax_m.scatter(xs, ys, marker="o", label="peak resident memory")
    ax_m.scatter(tx, [TARGETS[s].memory_mb for s in TARGETS if s in sizes], marker="_", s=400,
                 color="red", label="target: below")
    ax_m.set(xlabel="participants", ylabel="MB", title="Peak memory (child process)")
    ax_m.set_ylim(bottom=0)
    ax_m.grid(alpha=0.3)
    ax_m.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"wrote {path}"


def _machine() -> dict:
    def git(*args: str) -> str:
        try:
            out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                 timeout=10)
            return out.stdout.strip() if out.returncode == 0 else ""
        except (OSError, subprocess.SubprocessError):
            return ""

    try:
        import ortools

        ortools_version = ortools.__version__
    except Exception:  # noqa: BLE001
        ortools_version = ""
    from iopsched import __version__

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "ortools": ortools_version,
            "iopsched": __version__, "commit": commit}


def write_reports(report: dict, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.strptime(report["started"], "%Y-%m-%dT%H:%M:%S").strftime("%Y%m%d-%H%M%S")
    text = json.dumps(report, indent=2, default=str) + "\n"
    paths = {"json": out / "latest.json", "stamped": out / f"{stamp}.json",
             "md": out / "latest.md", "png": out / "latest.png"}
    paths["json"].write_text(text, encoding="utf-8")
    paths["stamped"].write_text(text, encoding="utf-8")
    paths["md"].write_text(render_markdown(report), encoding="utf-8")
    return paths


def run_benchmarks(sizes: Sequence[str], seeds: Sequence[int], limits: dict[str, float],
                   out: Path, *, workers: int | None = None, solver_seed: int | None = None,
                   progress: bool = False, keep: bool = False, plot: bool = True,
                   baseline: bool = True, command: str = "",
                   echo: Callable[[str], None] = print) -> dict:
    """Run every size x seed, write the reports into `out`, return the report (with 'paths')."""
    started = datetime.now().replace(microsecond=0)
    t0 = time.monotonic()
    out = Path(out)
    keep_dir = out / "runs" if keep else None
    if keep_dir is not None:
        keep_dir.mkdir(parents=True, exist_ok=True)
    baseline_mb = measure_baseline() if baseline else ""
    runs = []
    total = len(sizes) * len(seeds)
    for i, (size, seed) in enumerate(((z, s) for z in sizes for s in seeds), start=1):
        limit = limits[size]
        echo(f"[{i}/{total}] {size} seed {seed}: limit {limit:g} s ...")
        row = bench_one(size, seed, limit, workers=workers, solver_seed=solver_seed,
                        progress=progress, keep=keep_dir)
        echo(f"    {row.get('status')}  all met {_cell('all_met_s', row.get('all_met_s')) or '-'} s"
             f"  total {_cell('total_s', row.get('total_s')) or '-'} s"
             f"  gap {_cell('gap', row.get('gap')) or '-'}"
             f"  peak {row.get('peak_mem_mb')} MB  valid {_cell('valid', row.get('valid'))}"
             f"  {row.get('target')}")
        runs.append(row)
    report = {
        "started": started.isoformat(),
        "wall_seconds": round(time.monotonic() - t0, 1),
        "command": command,
        "machine": _machine(),
        "baseline_mem_mb": baseline_mb,
        "targets": {k: asdict(v) for k, v in TARGETS.items()},
        "columns": [k for k, _ in COLUMNS],
        "runs": runs,
    }
    paths = write_reports(report, out)
    if plot:
        echo(write_plot(runs, paths["png"]))
    report["paths"] = {k: str(v) for k, v in paths.items()}
    return report


# --- the command line ----------------------------------------------------------------------------


def _csv(kind: Callable[[str], object]) -> Callable[[str], list]:
    def parse(text: str) -> list:
        try:
            return [kind(x.strip()) for x in text.split(",") if x.strip()]
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def _size(text: str) -> str:
    if text not in SIZES:
        raise ValueError(f"unknown size {text!r}; valid sizes: {', '.join(SIZES)}")
    return text


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                 description="Benchmark iopsched on generated programs.")
    ap.add_argument("--quick", action="store_true",
                    help="small + medium, seed 1, limits 10 s / 30 s; exit 1 if a schedule "
                         "does not validate")
    ap.add_argument("--sizes", type=_csv(_size),
                    help=f"comma-separated, of {','.join(SIZES)} (default "
                         f"{','.join(DEFAULT_SIZES)})")
    ap.add_argument("--seeds", type=_csv(int), help="generator seeds (default 1,2,3)")
    ap.add_argument("--time-limit", type=float,
                    help="solver limit in seconds for every size (default per size: "
                         + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LIMITS.items()) + ")")
    ap.add_argument("--workers", type=int, help="CP-SAT workers (default: the config's, all cores)")
    ap.add_argument("--solver-seed", type=int, help="CP-SAT random seed (default: the config's)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    ap.add_argument("--keep", action="store_true",
                    help="keep each generated program and its schedule under OUT/runs/")
    ap.add_argument("--progress", action="store_true", help="show the solver's progress line")
    ap.add_argument("--no-plot", action="store_true", help="do not write latest.png")
    # internal: the child process
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    ap.add_argument("--schedule-out", help=argparse.SUPPRESS)
    ap.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    return ap


def print_problems(row: dict, limit: int = 20) -> None:
    """A run without a valid schedule: its traceback or its first violations, on stderr."""
    if row.get("error"):
        what = "error"
    else:
        what = "invalid schedule" if row.get("has_schedule") else "no schedule found"
    print(f"\n{row['size']} seed {row['seed']}: {row.get('status')}, {what}, "
          f"{row.get('violations', '?')} violations {row.get('violation_counts', '')}",
          file=sys.stderr)
    lines = (row.get("error") or "").splitlines() or row.get("violation_samples", [])
    shown = lines if row.get("error") else lines[:limit]
    for line in shown:
        print("  " + line, file=sys.stderr)
    more = (row.get("violations") or 0) - len(shown) if not row.get("error") else 0
    if more > 0:
        print(f"  ... and {more} more (see latest.json / latest.md)", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    if args.baseline:
        return _baseline_child()
    if args.one:
        return _child(args)
    sizes = args.sizes or list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    seeds = args.seeds or list(QUICK_SEEDS if args.quick else DEFAULT_SEEDS)
    if args.time_limit is not None and args.time_limit <= 0:
        parser().error("--time-limit must be positive")
    base = {**DEFAULT_LIMITS, **(QUICK_LIMITS if args.quick else {})}
    limits = {s: args.time_limit if args.time_limit is not None else base[s] for s in sizes}
    report = run_benchmarks(sizes, seeds, limits, args.out, workers=args.workers,
                            solver_seed=args.solver_seed, progress=args.progress,
                            keep=args.keep, plot=not args.no_plot,
                            command="python -m benchmarks.run " + " ".join(argv))
    short = [(k, h) for k, h in COLUMNS if k not in ("staff", "rooms", "variables",
                                                     "constraints", "stopped_by")]
    print()
    print(markdown_table(report["runs"], short))
    print()
    print(f"wrote {report['paths']['md']}, {report['paths']['json']}, "
          f"{report['paths']['stamped']}")
    bad = [r for r in report["runs"] if not r.get("valid")]
    for r in bad:
        print_problems(r)
    if args.quick and bad:
        print(f"\nFAIL: {len(bad)} run(s) without a valid schedule", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
