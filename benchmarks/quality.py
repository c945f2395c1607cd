"""Schedule quality against an older release, term by term: `python -m benchmarks.quality`.

The baseline (`--baseline REF`, a git ref; default 2e2640c, the last release) is checked out
with `git worktree add` into a temporary folder. For each kind, size and seed the current
generator writes the program once; then each tree solves it the way a coordinator runs it,
with this venv's Python: `PYTHONPATH=<tree> python -m iopsched solve program.xlsx -c
config.toml -o out.xlsx --time-limit L -q` (the working directory is the tree, so that its
`iopsched` is the one imported). The wall time is measured around the command (the old
release takes --time-limit as the solver's and overshoots it). Each output workbook's
Summary sheet (key, value) gives fully met, the objective and every `objective.<term>`.
Results: benchmarks/results/quality_latest.md and quality_latest.json. The worktree is
removed afterwards. Not part of `make bench` (about 25 minutes with the defaults):
`make bench-quality`. `--baseline-from REPORT.json` takes the baseline's runs from an earlier
report (same baseline commit, same limit, the same program by its fingerprint where the report
has one) instead of running them again: the release does not change, and its runs are half of
the time.

`--solver-seeds 0,1,2` runs every program once per CP-SAT seed on both sides (`--seed N` of
both commands): on small programs which basin CP-SAT falls into decides the week more than
anything else (docs/model.md, "Small programs: LNS, then the portfolio"), and one seed per side
compares two basins. `--baseline-time-limit L` runs the release at another limit, so that it
can be compared at the wall time the current tree takes (the release overshoots its limit).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from benchmarks import best_known, common
from benchmarks.common import KINDS, ROOT, TERMS

DEFAULT_BASELINE = "2e2640c"
DEFAULT_SIZES = ("small", "medium")
DEFAULT_SEEDS = (1,)
DEFAULT_LIMIT = 60.0
DEFAULT_OUT = common.RESULTS
SIDES = ("baseline", "current")
# Summary keys kept per side (besides objective.<term> and weight.<term>)
SUMMARY_KEYS = ("status", "participants", "participants_fully_met", "upper_bound_fully_met",
                "requirements_status", "objective", "best_bound", "gap", "stopped_by",
                "time_limit_seconds", "total_seconds", "sessions", "iopsched_version")


# --- the baseline's runs from an earlier report --------------------------------------------------


RunKey = tuple[str, str, int, int | None]


def run_key(row: dict) -> RunKey:
    """(kind, size, seed, CP-SAT seed or None: the config's)."""
    solver_seed = row.get("solver_seed")
    return row["kind"], row["size"], int(row["seed"]), None if solver_seed is None else int(solver_seed)


def baseline_limit_of(report: dict) -> float:
    """The baseline's --time-limit in a report (older reports: the one limit of both sides)."""
    return float(report.get("baseline_time_limit_s", report.get("time_limit_s", -1)))


def cached_baseline(path: Path, baseline_commit: str, limit: float) -> dict[RunKey, dict]:
    """(kind, size, seed, CP-SAT seed) -> the baseline side of an earlier report's run, when that
    report ran the same baseline commit at the same baseline limit; ValueError otherwise (its
    runs would not compare)."""
    report = json.loads(Path(path).read_text(encoding="utf-8"))
    if report.get("baseline_commit") != baseline_commit or baseline_limit_of(report) != limit:
        raise ValueError(f"{path}: baseline {report.get('baseline_commit')} at {baseline_limit_of(report):g} s, "
                         f"not {baseline_commit} at {limit:g} s")
    return {run_key(r): dict(r["baseline"], fingerprint=r.get("fingerprint"))
            for r in report.get("runs", []) if isinstance(r.get("baseline"), dict) and "error" not in r["baseline"]}


# --- running one tree ----------------------------------------------------------------------------


@contextlib.contextmanager
def worktree(ref: str, repo: Path = ROOT) -> Iterator[tuple[Path, str]]:
    """`git worktree add --detach` of `ref` in a temporary folder: (its path, its commit)."""
    tmp = Path(tempfile.mkdtemp(prefix="iopsched-baseline-"))
    path = tmp / "tree"
    proc = subprocess.run(["git", "worktree", "add", "--detach", str(path), ref], cwd=repo,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError(f"git worktree add {ref} failed: {proc.stderr.strip()}")
    try:
        yield path, common.git("rev-parse", "--short", "HEAD", cwd=path)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=repo,
                       capture_output=True, text=True)
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=repo, capture_output=True, text=True)


def tree_env(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    return env


def imported_from(tree: Path) -> str:
    """Where `import iopsched` resolves with PYTHONPATH=tree (a check that the tree is used)."""
    proc = subprocess.run([sys.executable, "-c", "import iopsched; print(iopsched.__file__)"],
                          cwd=tree, env=tree_env(tree), capture_output=True, text=True, timeout=60)
    return proc.stdout.strip() if proc.returncode == 0 else f"error: {proc.stderr.strip()[-300:]}"


def _number(text: object) -> object:
    if isinstance(text, str):
        for convert in (int, float):
            try:
                return convert(text)
            except ValueError:
                pass
    return text


def read_summary(path: Path) -> dict:
    """The Summary sheet of a schedule workbook (columns key, value) as a dict."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = wb["Summary"].iter_rows(values_only=True)
        header = [str(h).strip().lower() if h is not None else "" for h in next(rows, ())]
        k, v = header.index("key"), header.index("value")
        out = {}
        for row in rows:
            if row and len(row) > max(k, v) and row[k] not in (None, ""):
                out[str(row[k])] = _number(row[v]) if row[v] is not None else ""
        return out
    finally:
        wb.close()


def side_result(summary: dict) -> dict:
    """What the report keeps of one side's Summary."""
    out = {key: summary.get(key, "") for key in SUMMARY_KEYS}
    out["terms"] = {k[len("objective."):]: v for k, v in summary.items()
                    if k.startswith("objective.")}
    out["weights"] = {k[len("weight."):]: v for k, v in summary.items() if k.startswith("weight.")}
    return out


def run_tree(tree: Path, program_dir: Path, out: Path, limit: float, *,
             workers: int | None = None, seed: int | None = None) -> dict:
    """`python -m iopsched solve` from `tree` on the program; its Summary and wall time.
    `seed`: CP-SAT's (`--seed`; None: the config's)."""
    cmd = [sys.executable, "-m", "iopsched", "solve", str(program_dir / "program.xlsx"),
           "-o", str(out), "--time-limit", f"{limit:g}", "-q"]
    config = program_dir / "config.toml"
    if config.exists():
        cmd[5:5] = ["-c", str(config)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=tree, env=tree_env(tree), capture_output=True, text=True,
                              timeout=3 * limit + 300)
        code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, stdout, stderr = "TIMEOUT", str(exc.stdout or ""), str(exc.stderr or "")
    row: dict = {"wall_s": round(time.monotonic() - t0, 2), "exit_code": code,
                 "output": (stdout.strip().splitlines() or [""])[-1]}
    if out.exists():
        try:
            row.update(side_result(read_summary(out)))
        except Exception:  # reported; the other runs go on
            row["error"] = traceback.format_exc(limit=3)
    else:
        row["error"] = (stderr.strip() or stdout.strip() or "no output")[-1500:]
    return row


def generate_program(kind: str, size: str, seed: int, folder: Path) -> Path:
    from iopsched.generate.programs import write_generated

    return write_generated(size, seed, folder, kind=kind)


def against_best(side: dict, best: best_known.Week | None) -> dict:
    """The current side's primal gap against the program's best-known week (issue 16: at the
    default limit); empty without a best-known week of this very program."""
    if best is None:
        return {}
    out: dict = {"best_objective": best.objective}
    met, objective = side.get("participants_fully_met"), side.get("objective")
    units = (side.get("terms") or {}).get("unmet", 0)
    if not isinstance(met, int) or not isinstance(objective, (int, float)) or not isinstance(units, (int, float)):
        return out
    out["primal_gap"] = best_known.gap_against(best_known.Week(met, int(units), float(objective), {},
                                                               best.fingerprint), best)
    return out


def _gap(row: dict) -> str:
    gap = (row.get("best") or {}).get("primal_gap", "")
    text = f"{gap:.1%}" if isinstance(gap, float) else str(gap or "-")
    target = best_known.gap_target({"primal_gap": gap, "size": row.get("size", "")})
    return f"{text} {target}".strip()


# --- the report ----------------------------------------------------------------------------------


def _seed(row: dict) -> str:
    """The generator seed, and CP-SAT's when the run set one."""
    solver_seed = row.get("solver_seed")
    return f"{row['seed']}" if solver_seed is None else f"{row['seed']} (CP-SAT {solver_seed})"


def _fmt(value: object) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "/")


def pair(row: dict, get: Callable[[dict], object]) -> str:
    """'baseline -> current' for one value of a run."""
    base, cur = (get(row.get(side) or {}) for side in SIDES)
    return f"{_fmt(base)} -> {_fmt(cur)}"


def _term(name: str) -> Callable[[dict], object]:
    return lambda side: (side.get("terms") or {}).get(name, "")


def _fully_met(side: dict) -> object:
    met, n = side.get("participants_fully_met", ""), side.get("participants", "")
    return f"{met}/{n}" if met != "" and n != "" else ""


# the totals' last row: the objective over the runs whose sides reached the same requirements
OBJECTIVE_ROW = "objective (same requirements)"


def term_totals(runs: Sequence[dict]) -> list[dict]:
    """Per term over the runs where both sides have it: sums, how often current is better,
    and the mean paired difference (current - baseline) with its standard error; then the
    objective over the runs whose sides reached the same requirements (fully met and unmet
    units), where the difference is the preferences' alone. One run per program is one draw
    of CP-SAT's search: a mean difference within two standard errors of 0 is not a finding."""
    out = []
    for name in TERMS:
        pairs = []
        for r in runs:
            b, c = (_term(name)(r.get(side) or {}) for side in SIDES)
            if isinstance(b, (int, float)) and isinstance(c, (int, float)):
                pairs.append((b, c))
        out.append(_totals_row(name, pairs))
    same = []
    for r in runs:
        b, c = (r.get(side) or {} for side in SIDES)
        objectives = (b.get("objective"), c.get("objective"))
        if (all(isinstance(x, (int, float)) for x in objectives)
                and _fully_met(b) == _fully_met(c) and _term("unmet")(b) == _term("unmet")(c)):
            same.append(objectives)
    out.append(_totals_row(OBJECTIVE_ROW, same))
    return out


def _totals_row(name: str, pairs: Sequence[tuple[float, float]]) -> dict:
    """Sums, better / same / worse, and the mean paired difference with its standard error
    ('' where there are too few runs for either)."""
    diffs = [c - b for b, c in pairs]
    return {"term": name, "runs": len(pairs),
            "baseline": sum(b for b, _ in pairs), "current": sum(c for _, c in pairs),
            "better": sum(c < b for b, c in pairs), "same": sum(c == b for b, c in pairs),
            "worse": sum(c > b for b, c in pairs),
            "mean_difference": round(statistics.fmean(diffs), 2) if diffs else "",
            "standard_error": (round(statistics.stdev(diffs) / math.sqrt(len(diffs)), 2)
                               if len(diffs) > 1 else "")}


def _baseline_limit(report: dict) -> str:
    limit = baseline_limit_of(report)
    return "" if limit == float(report["time_limit_s"]) else f" (the baseline `--time-limit {limit:g}`)"


def render_markdown(report: dict) -> str:
    runs = report["runs"]
    head = ("| kind | size | seed | participants | fully met | objective | wall s "
            "| status | stopped by | best known | primal gap |")
    lines = [
        "# iopsched quality against a release",
        "",
        f"Run {report['started']} ({report['wall_seconds']:.0f} s in all). "
        + common.machine_line(report["machine"]),
        f"Baseline `{report['baseline_ref']}` (commit {report['baseline_commit']}) against the "
        f"current tree (commit {report['machine']['commit']}), `--time-limit "
        f"{report['time_limit_s']:g}`{_baseline_limit(report)}, each cell `baseline -> current`. The objectives weigh "
        "the same terms with the config's weights, but the current objective is stage 2's "
        "(preferences given stage 1's requirements): compare fully met and the terms.",
        f"Command: `{report['command']}`."
        + (f" The baseline's runs are reused from `{report['baseline_from']}` (not run again)."
           if report.get("baseline_from") else ""),
        "",
        "`best known`: the program's best-known week (benchmarks/best_known.json, the same "
        "program by its fingerprint); `primal gap` = (current objective - best known) / best "
        "known when the current run reached the best-known stage 1, against issue 16's target "
        "(5 % small, 10 % medium) at this limit.",
        "",
        head,
        "|" + "---|" * head.count(" | ") + "---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['kind']} | {r['size']} | {_seed(r)} | {_fmt(r.get('participants'))} | "
            f"{pair(r, _fully_met)} | {pair(r, lambda s: s.get('objective', ''))} | "
            f"{pair(r, lambda s: s.get('wall_s', ''))} | "
            f"{pair(r, lambda s: s.get('status', ''))} | "
            f"{pair(r, lambda s: s.get('stopped_by', ''))} | "
            f"{_fmt((r.get('best') or {}).get('best_objective'))} | {_gap(r)} |")
    short = [common.SHORT_TERMS.get(t, t) for t in TERMS]
    lines += ["", "Objective terms (`objective.<term>` of the Summary, unweighted):", "",
              "| kind | size | seed | " + " | ".join(short) + " |",
              "|" + "---|" * (3 + len(TERMS))]
    for r in runs:
        lines.append(f"| {r['kind']} | {r['size']} | {_seed(r)} | "
                     + " | ".join(pair(r, _term(t)) for t in TERMS) + " |")
    lines += ["", "Totals over the runs where both sides have the term (the objective: where both "
              "reached the same requirements); the mean of current - baseline per run with its "
              "standard error (one run per program is one draw of the search: a mean within two "
              "standard errors of 0 is not a difference):", "",
              "| term | runs | baseline | current | current better | same | worse | mean difference (standard error) |",
              "|---|---|---|---|---|---|---|---|"]
    for t in report.get("totals") or term_totals(runs):
        mean, se = t.get("mean_difference", ""), t.get("standard_error", "")
        spread = f"{_fmt(mean)} ({_fmt(se)})" if se != "" else _fmt(mean)
        lines.append(f"| {t['term']} | {t['runs']} | {_fmt(t['baseline'])} | "
                     f"{_fmt(t['current'])} | {t['better']} | {t['same']} | {t['worse']} | {spread} |")
    errors = [(r, side) for r in runs for side in SIDES if (r.get(side) or {}).get("error")]
    if errors or any(r.get("error") for r in runs):
        lines += ["", "## Errors", ""]
        for r in runs:
            if r.get("error"):
                lines += [f"### {r['kind']} {r['size']} seed {_seed(r)}", "", "```",
                          r["error"].rstrip(), "```"]
        for r, side in errors:
            lines += [f"### {r['kind']} {r['size']} seed {_seed(r)}, {side} "
                      f"(exit code {r[side].get('exit_code')})", "", "```",
                      str(r[side]["error"]).rstrip(), "```"]
    return "\n".join(lines) + "\n"


def write_reports(report: dict, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "quality_latest.json", "md": out / "quality_latest.md"}
    paths["json"].write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    paths["md"].write_text(render_markdown(report), encoding="utf-8")
    return paths


def run_quality(baseline_ref: str, kinds: Sequence[str], sizes: Sequence[str],
                seeds: Sequence[int], limit: float, out: Path, *, workers: int | None = None,
                command: str = "", echo: Callable[[str], None] = print,
                baseline_from: Path | None = None, solver_seeds: Sequence[int] = (),
                baseline_limit: float | None = None) -> dict:
    """`solver_seeds`: each program once per CP-SAT seed on both sides (empty: the config's
    seed); `baseline_limit`: the baseline's --time-limit (None: `limit`)."""
    baseline_limit = limit if baseline_limit is None else baseline_limit
    limits = {"baseline": baseline_limit, "current": limit}
    started = datetime.now().replace(microsecond=0)
    t0 = time.monotonic()
    runs = []
    table = best_known.load()
    with worktree(baseline_ref) as (base_tree, base_commit):
        trees = {"baseline": base_tree, "current": ROOT}
        imports = {side: imported_from(tree) for side, tree in trees.items()}
        for side, tree in trees.items():
            if not Path(imports[side]).resolve().is_relative_to(tree.resolve()):
                raise RuntimeError(f"{side}: iopsched imported from {imports[side]}, not {tree}")
        cached = cached_baseline(baseline_from, base_commit, baseline_limit) if baseline_from else {}
        plan = [(k, z, s, c) for k in kinds for z in sizes for s in seeds for c in (list(solver_seeds) or [None])]
        for i, (kind, size, seed, solver_seed) in enumerate(plan, start=1):
            row: dict = {"kind": kind, "size": size, "seed": seed}
            if solver_seed is not None:
                row["solver_seed"] = solver_seed
            with tempfile.TemporaryDirectory(prefix=f"iopsched-quality-{kind}-{size}-") as tmp:
                folder = Path(tmp) / "program"
                try:
                    generate_program(kind, size, seed, folder)
                except Exception:  # reported; the other runs go on
                    row["error"] = traceback.format_exc()
                    runs.append(row)
                    continue
                fingerprint = best_known.program_fingerprint(folder / "program.xlsx")
                row["fingerprint"] = fingerprint
                earlier = cached.get(run_key(row))
                if earlier is not None and earlier.pop("fingerprint") in (None, fingerprint):
                    row["baseline"] = dict(earlier, reused_from=str(baseline_from))
                for side, tree in trees.items():
                    if side in row:
                        continue
                    echo(f"[{i}/{len(plan)}] {kind} {size} seed {_seed(row)}: {side} ...")
                    row[side] = run_tree(tree, folder, Path(tmp) / f"{side}.xlsx", limits[side],
                                         workers=workers, seed=solver_seed)
                best = table.get(best_known.key(kind, size, seed))
                row["best"] = against_best(row["current"], best if best and best.fingerprint == fingerprint
                                           else None)
            row["participants"] = next((row[s].get("participants") for s in SIDES
                                        if (row.get(s) or {}).get("participants")), "")
            echo(f"    fully met {pair(row, _fully_met)}  objective "
                 f"{pair(row, lambda s: s.get('objective', ''))}  wall "
                 f"{pair(row, lambda s: s.get('wall_s', ''))} s")
            runs.append(row)
    report = {"started": started.isoformat(), "wall_seconds": round(time.monotonic() - t0, 1),
              "command": command, "machine": common.machine(), "baseline_ref": baseline_ref,
              "baseline_commit": base_commit, "imported_from": imports, "time_limit_s": limit,
              "baseline_time_limit_s": baseline_limit, "solver_seeds": list(solver_seeds),
              "baseline_from": str(baseline_from) if baseline_from else "",
              "runs": runs, "totals": term_totals(runs)}
    report["paths"] = {k: str(v) for k, v in write_reports(report, Path(out)).items()}
    return report


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.quality",
                                 description="Objective terms against an older release.")
    ap.add_argument("--baseline", default=DEFAULT_BASELINE,
                    help=f"git ref of the release to compare with (default {DEFAULT_BASELINE})")
    common.add_program_options(ap, tuple(DEFAULT_SIZES))
    ap.add_argument("--time-limit", type=common.positive(float), default=DEFAULT_LIMIT,
                    help=f"--time-limit of both commands (default {DEFAULT_LIMIT:g})")
    ap.add_argument("--baseline-time-limit", type=common.positive(float),
                    help="the baseline's --time-limit (default: --time-limit): compare at equal wall time")
    ap.add_argument("--solver-seeds", type=common.csv(int),
                    help="CP-SAT seeds: every program once per seed on both sides (default: the config's seed)")
    ap.add_argument("--workers", type=int, help="--workers of both commands (default: config)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    ap.add_argument("--baseline-from", type=Path,
                    help="an earlier report's JSON: take the baseline's runs from it (same baseline and limit)")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    report = run_quality(args.baseline, args.kinds or list(KINDS),
                         args.sizes or list(DEFAULT_SIZES), args.seeds or list(DEFAULT_SEEDS),
                         args.time_limit, args.out, workers=args.workers, baseline_from=args.baseline_from,
                         solver_seeds=args.solver_seeds or (), baseline_limit=args.baseline_time_limit,
                         command="python -m benchmarks.quality " + " ".join(argv))
    print(f"wrote {report['paths']['md']}, {report['paths']['json']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
