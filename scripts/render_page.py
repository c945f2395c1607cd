"""Render one exported HTML timetable page to PNG with headless Chromium, to look at it.

    python scripts/render_page.py OUT/participants/P001.html page.png [--chromium PATH]

Exits 0 when the PNG was written, 2 when Chromium is not installed (`apt-get install
chromium`), 1 when Chromium failed. Chromium runs with a throw-away profile and with
networking, updates and sync off; the page itself loads nothing from outside.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_CHROMIUM = "/usr/bin/chromium"
WINDOW = "1400,1000"


def find_chromium(explicit: str | None = None) -> str | None:
    for candidate in (explicit, DEFAULT_CHROMIUM, shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def render(page: Path, png: Path, chromium: str, timeout: float = 60.0) -> None:
    """Screenshot `page` into `png`; raises RuntimeError when Chromium fails."""
    page, png = Path(page).resolve(), Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    if png.exists():
        png.unlink()
    with tempfile.TemporaryDirectory(prefix="iopsched-chromium-") as profile:
        cmd = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}", "--hide-scrollbars",
            f"--screenshot={png}", f"--window-size={WINDOW}", page.as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if not png.exists() or png.stat().st_size == 0:
        tail = "\n".join((proc.stderr or "").strip().splitlines()[-5:])
        raise RuntimeError(f"chromium exited {proc.returncode} without a screenshot\n{tail}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("page", type=Path, help="an exported .html page")
    ap.add_argument("png", type=Path, help="where to write the screenshot")
    ap.add_argument("--chromium", help=f"browser binary (default {DEFAULT_CHROMIUM})")
    args = ap.parse_args(argv)
    if not args.page.is_file():
        print(f"error: no such page: {args.page}", file=sys.stderr)
        return 1
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("error: chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    try:
        render(args.page, args.png, chromium)
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
