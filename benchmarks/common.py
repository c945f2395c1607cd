"""What the three benchmark scripts share: kinds and sizes, option parsing, the machine."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
# iopsched.generate.programs.KINDS (a test checks that they agree)
KINDS = ("classic", "mix", "evening", "adolescent", "prescriber", "planted")
SIZES = ("small", "medium", "large", "xl")
TERMS = ("unmet", "stability", "routine", "time_preference", "day_preference", "continuity",
         "day_services", "group_sessions", "staff_balance")
SHORT_TERMS = {"time_preference": "time", "day_preference": "day", "day_services": "services",
               "group_sessions": "groups", "staff_balance": "staff"}


def csv(kind: Callable[[str], object]) -> Callable[[str], list]:
    """An argparse type: a comma-separated list of `kind`."""
    def parse(text: str) -> list:
        try:
            return [kind(x.strip()) for x in text.split(",") if x.strip()]
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def positive(number: Callable[[str], float]) -> Callable[[str], float]:
    """An argparse type: a number above 0 (a time limit, a room count)."""
    def parse(text: str) -> float:
        try:
            value = number(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value
    return parse


def one_of(name: str, valid: tuple[str, ...]) -> Callable[[str], str]:
    def check(text: str) -> str:
        if text not in valid:
            raise ValueError(f"unknown {name} {text!r}; valid {name}s: {', '.join(valid)}")
        return text
    return check


size = one_of("size", SIZES)
kind = one_of("kind", KINDS)


def add_program_options(ap: argparse.ArgumentParser, default_sizes: tuple[str, ...]) -> None:
    """--kinds, --sizes, --seeds: which generated programs a bench runs."""
    ap.add_argument("--kinds", type=csv(kind), help=f"comma-separated, of {','.join(KINDS)} (default all)")
    ap.add_argument("--sizes", type=csv(size),
                    help=f"comma-separated, of {','.join(SIZES)} (default {','.join(default_sizes)})")
    ap.add_argument("--seeds", type=csv(int), help="generator seeds (default 1)")


def git(*args: str, cwd: Path = ROOT) -> str:
    """`git ARGS` output, or "" when git fails."""
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def commit() -> str:
    c = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        c += " (with uncommitted changes)"
    return c


def machine() -> dict:
    try:
        import ortools

        ortools_version = ortools.__version__
    except Exception:
        ortools_version = ""
    from iopsched import __version__

    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "ortools": ortools_version,
            "iopsched": __version__, "commit": commit()}


def machine_line(m: dict) -> str:
    return (f"Machine: {m['cpus']} CPUs, {m['platform']}, Python {m['python']}, "
            f"OR-Tools {m['ortools']}, iopsched {m['iopsched']}, commit {m['commit']}.")


def terms_text(terms: dict | None) -> str:
    """The objective's nonzero terms, short names: 'routine 12, time 30'."""
    if not terms:
        return ""
    parts = []
    for name in (*TERMS, *sorted(set(terms) - set(TERMS))):
        value = terms.get(name)
        if isinstance(value, (int, float)) and value:
            parts.append(f"{SHORT_TERMS.get(name, name)} {value:g}")
    return ", ".join(parts) or "0"
