"""The corpus of bad inputs (issue 9.6): each case makes `iopsched check` exit 2 with its message.

Cases live in tests/bad_inputs/<case>/ (a csv program folder, optionally with a config.toml)
or are generated here (tiny binary files); tests/bad_inputs/expected.toml maps each case to a
substring of the message it must produce.
"""

from __future__ import annotations

import shutil
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iopsched.cli import app

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
EXPECTED: dict[str, dict] = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))
GOOD = CORPUS / "_good"


def _file(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path

    return make


def _zip_not_workbook(tmp: Path) -> Path:
    path = tmp / "program.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    return path


def _csv_folder(junk: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        folder = tmp / "program"
        shutil.copytree(GOOD, folder)
        (folder / "Rooms.csv").write_bytes(junk)
        return folder

    return make


def _single_csv(tmp: Path) -> Path:
    path = tmp / "Staff.csv"
    shutil.copy(GOOD / "Staff.csv", path)
    return path


def _empty_folder(tmp: Path) -> Path:
    folder = tmp / "empty"
    folder.mkdir()
    return folder


GENERATED: dict[str, Callable[[Path], Path]] = {
    "zero_byte_xlsx": _file("program.xlsx", b""),
    "text_renamed_xlsx": _file("program.xlsx", b"staff_id,roles\r\nC1,counselor\r\n"),
    "encrypted_xlsx": _file("program.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(56)),
    "zip_not_workbook": _zip_not_workbook,
    "old_xls": _file("program.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(56)),
    "single_csv": _single_csv,
    "binary_csv": _csv_folder(bytes(range(128, 256)) * 4),
    "nul_csv": _csv_folder(b"room_id,capacity,kinds\nR1\x00,10,group\n"),
    "empty_folder": _empty_folder,
    "missing_file": lambda tmp: tmp / "no_such_program.xlsx",
}


def test_corpus_is_complete():
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_")}
    on_disk = {name for name, case in EXPECTED.items() if not case.get("generated")}
    assert folders == on_disk, "every folder needs an entry in expected.toml and vice versa"
    assert {name for name, case in EXPECTED.items() if case.get("generated")} == set(GENERATED)
    assert all(case.get("message") for case in EXPECTED.values())


def test_good_base_is_valid():
    """The corpus's base program reads cleanly, so each case fails for its own reason only."""
    result = CliRunner().invoke(app, ["check", str(GOOD)])
    assert result.exit_code == 0, result.output
    assert "2 participants, 3 staff, 2 rooms, 2 session types" in result.output
    assert "warning" not in result.output


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input(case, tmp_path):
    spec = EXPECTED[case]
    target = GENERATED[case](tmp_path) if spec.get("generated") else CORPUS / case
    args = ["check", str(target)]
    if "config" in spec:
        args += ["--config", str(CORPUS / case / spec["config"])]
    result = CliRunner().invoke(app, args)
    out = result.output
    assert result.exit_code == 2, out
    assert spec["message"] in out, out
    assert "Traceback" not in out
    assert out.startswith("error: ")
    assert str(target) in out or "config" in spec
    for name in ("Alpha Person", "Beta Person"):  # participant names never printed
        assert name not in out
