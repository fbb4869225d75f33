"""Output files never leak or lie: every OS error on output is one clear line with exit code
2 (a bad path) or 1 (the write failed), nothing partial is left (beside the target or in
$TMPDIR), temporary files live beside the target, and leftovers of killed runs are removed by
the next run."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bhrscore import io
from bhrscore.export import book, tables
from bhrscore.io import OutputError, atomic_paths, remove_stale_temps

from .conftest import company, record, run_cli, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
RUBRICS = ROOT / "rubrics"
AS_OF = ["--as-of", "2026-01-01"]


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    d = tmp_path / "bundle"
    d.mkdir()
    write_jsonl(d / "companies.jsonl", [company("acme"), company("beta")])
    write_jsonl(d / "evidence.jsonl", [record(id="e1"), record(id="e2", company_id="beta")])
    return d


@pytest.fixture
def tmpdir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private $TMPDIR, to check that nothing is left there."""
    d = tmp_path / "tmpdir"
    d.mkdir()
    monkeypatch.setenv("TMPDIR", str(d))
    monkeypatch.setattr(tempfile, "tempdir", None)  # forget the cached default
    return d


def _command(name: str, bundle: Path, out: Path) -> list[str]:
    """The CLI arguments of ``name`` writing to ``out``."""
    if name == "brief":
        return ["brief", str(bundle), *AS_OF, "--out", str(out)]
    if name == "template":
        return ["template", "--out", str(out)]
    if name == "score":
        return ["score", str(bundle), *AS_OF, "--out", str(out)]
    rubric = str(RUBRICS / "labour-rights.yaml")
    return ["diff", rubric, rubric, "--evidence", str(bundle), *AS_OF, "--out", str(out)]


def _out_name(name: str) -> str:
    return {"brief": "b.xlsx", "template": "t.xlsx", "score": "card", "diff": "d.csv"}[name]


COMMANDS = ["brief", "template", "score", "diff"]


def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: cannot write "), err
    return lines[0]


@pytest.mark.parametrize("name", COMMANDS)
def test_a_parent_that_is_a_file(
    name: str, bundle: Path, tmp_path: Path, tmpdir_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    blocker = out_dir / "notes.txt"
    blocker.write_text("keep me", encoding="utf-8")
    code, _, err = run_cli(_command(name, bundle, blocker / "sub" / _out_name(name)), capsys)
    assert code == 2
    assert f"{blocker} is a file, not a directory" in _one_line_error(err)
    assert _listing(out_dir) == ["notes.txt"]
    assert blocker.read_text(encoding="utf-8") == "keep me"
    assert _listing(tmpdir_env) == []


@pytest.mark.parametrize("name", COMMANDS)
def test_a_file_name_too_long(
    name: str, bundle: Path, tmp_path: Path, tmpdir_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    long_name = "x" * 300 + _out_name(name)
    code, _, err = run_cli(_command(name, bundle, out_dir / long_name), capsys)
    assert code == 2
    assert "the file name is too long" in _one_line_error(err)
    assert _listing(out_dir) == []
    assert _listing(tmpdir_env) == []


@pytest.mark.parametrize("name", COMMANDS)
def test_a_read_only_directory(
    name: str,
    bundle: Path,
    tmp_path: Path,
    tmpdir_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out_dir = tmp_path / "ro"
    out_dir.mkdir()
    out_dir.chmod(0o555)
    if os.access(out_dir, os.W_OK):  # root: the mode bits do not bind, so let the kernel
        real = tempfile.mkstemp  # answer as it would for anyone else

        def refuse(*args: Any, **kwargs: Any) -> tuple[int, str]:
            if Path(kwargs.get("dir", "")) == out_dir:
                raise PermissionError(errno.EACCES, "Permission denied", str(out_dir))
            return real(*args, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    try:
        code, _, err = run_cli(_command(name, bundle, out_dir / _out_name(name)), capsys)
    finally:
        out_dir.chmod(0o755)
    assert code == 2
    assert f"permission denied in {out_dir}" in _one_line_error(err)
    assert _listing(out_dir) == []
    assert _listing(tmpdir_env) == []


@pytest.mark.parametrize("name", COMMANDS)
def test_a_read_only_file_system(
    name: str,
    bundle: Path,
    tmp_path: Path,
    tmpdir_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    def read_only(src: Any, dst: Any) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(dst))

    monkeypatch.setattr(io.os, "replace", read_only)  # the rename into place is refused
    code, _, err = run_cli(_command(name, bundle, out_dir / _out_name(name)), capsys)
    assert code == 2
    assert "is on a read-only file system; nothing was written" in _one_line_error(err)
    assert _listing(out_dir) == []  # the temporary files are gone too
    assert _listing(tmpdir_env) == []


def _fail_on_call(n: int, real: Callable[..., Any]) -> Callable[..., Any]:
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    return failing


@pytest.mark.parametrize("name", COMMANDS)
def test_a_full_disk_mid_write(
    name: str,
    bundle: Path,
    tmp_path: Path,
    tmpdir_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    if name == "brief":  # the fourth table of the workbook, with sheets already written
        monkeypatch.setattr(book, "_write_table", _fail_on_call(4, book._write_table))
    elif name == "template":
        from bhrscore.export import template

        monkeypatch.setattr(template, "_lists_sheet", _fail_on_call(1, template._lists_sheet))
    else:  # score: the third of five files; diff: its one file
        n = 3 if name == "score" else 1
        monkeypatch.setattr(tables, "write_table_file", _fail_on_call(n, tables.write_table_file))
    target = out_dir / _out_name(name)
    if name != "score":
        target.write_bytes(b"previous output")
    code, _, err = run_cli(_command(name, bundle, target), capsys)
    assert code == 1
    line = _one_line_error(err)
    assert "no space left on device; nothing was written" in line
    if name == "score":
        assert "(nor 4 other files)" in line
        assert _listing(out_dir) == []  # none of the five files
    else:
        assert "the existing file is unchanged" in line
        assert _listing(out_dir) == [target.name]
        assert target.read_bytes() == b"previous output"
    assert _listing(tmpdir_env) == []


def test_score_writes_all_five_files_or_none_in_the_library(tmp_path: Path) -> None:
    from bhrscore import default_rubric, score, synthetic_frames

    frames = synthetic_frames(3, 20, seed=1)
    card = score(frames, default_rubric(), frames.evidence["date"].max().date())
    paths = tables.write_scorecard(card, tmp_path / "card")
    assert _listing(tmp_path) == sorted(p.name for p in paths)
    assert len(paths) == 5


def test_stale_temporary_files_of_killed_runs_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "briefing.xlsx"
    dead = 2**30  # above any pid_max: no such process
    stale = [
        f".briefing.xlsx.{dead}-abcdefgh.tmp",
        ".briefing.xlsx.k2j4_x9q.tmp",  # named as before process ids were added
    ]
    for name in stale:
        (tmp_path / name).write_bytes(b"half a workbook")
    scratch = tmp_path / f".briefing.xlsx.{dead}-zyxwvuts.tmpdir"
    scratch.mkdir()
    (scratch / "tmpabcd").write_text("rendered evidence", encoding="utf-8")
    keep = [
        ".briefing.xlsx.1-abcdefgh.tmp",  # pid 1 is alive: a run in progress
        f".briefing.xlsx.{os.getpid()}-abcdefgh.tmp",  # this process
        f".other.xlsx.{dead}-abcdefgh.tmp",  # another target's
        f".briefing.xlsx.{dead}-abcdefgh.bak",  # not our suffix
        f"briefing.xlsx.{dead}-abcdefgh.tmp",  # not hidden: not our name
        "notes.tmp",
    ]
    for name in keep:
        (tmp_path / name).write_bytes(b"not ours to delete")
    removed = remove_stale_temps(target)
    assert sorted(p.name for p in removed) == sorted([*stale, scratch.name])
    assert _listing(tmp_path) == sorted(keep)


def test_the_next_run_cleans_up_after_a_kill(
    bundle: Path, tmp_path: Path, tmpdir_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    target = out_dir / "briefing.xlsx"
    # a briefing killed (SIGKILL: no cleanup possible) while its fourth table is written
    script = (
        "import os, signal, sys\n"
        "from bhrscore.export import book\n"
        "real, calls = book._write_table, [0]\n"
        "def killed(*a, **k):\n"
        "    calls[0] += 1\n"
        "    if calls[0] == 4:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    real(*a, **k)\n"
        "book._write_table = killed\n"
        "from bhrscore.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    env = {**os.environ, "TMPDIR": str(tmpdir_env)}
    args = ["brief", str(bundle), *AS_OF, "--out", str(target)]
    proc = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, check=False
    )
    assert proc.returncode == -9
    left = _listing(out_dir)
    # the killed run's workbook and XlsxWriter's row data lie beside the target, not in TMPDIR
    assert any(n.startswith(".briefing.xlsx.") and n.endswith(".tmp") for n in left), left
    scratch = [n for n in left if n.endswith(".tmpdir")]
    assert len(scratch) == 1
    assert list((out_dir / scratch[0]).iterdir())  # rendered rows were there
    assert not target.exists()
    assert _listing(tmpdir_env) == []
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    assert _listing(out_dir) == ["briefing.xlsx"]
    assert _listing(tmpdir_env) == []


def test_the_error_names_the_target_of_a_group(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"

    def write_two() -> None:
        with atomic_paths([a, b]) as temps:
            temps[0].write_text("a", encoding="utf-8")
            raise OSError(errno.ENOSPC, "No space left on device", str(temps[1]))

    with pytest.raises(OutputError) as err:
        write_two()
    assert str(err.value) == (
        f"cannot write {b}: no space left on device; nothing was written (nor 1 other file)"
    )
    assert err.value.errno == errno.ENOSPC
    assert not err.value.usage
    assert _listing(tmp_path) == []


def test_interrupts_are_not_turned_into_output_errors(tmp_path: Path) -> None:
    def interrupted() -> None:
        with atomic_paths([tmp_path / "a.csv"]):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert _listing(tmp_path) == []


def test_a_full_disk_while_the_workbook_is_packed_leaves_nothing(
    bundle: Path,
    tmp_path: Path,
    tmpdir_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # XlsxWriter fails inside close(), after every sheet's rows went to its temporary files:
    # those files (rendered evidence) must not stay behind, here or in $TMPDIR
    from xlsxwriter import packager

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(packager.Packager, "_write_app_file", full)
    out_dir = tmp_path / "out"
    code, _, err = run_cli(_command("brief", bundle, out_dir / "b.xlsx"), capsys)
    assert code == 1
    assert "no space left on device" in _one_line_error(err)
    assert _listing(out_dir) == []
    assert _listing(tmpdir_env) == []
