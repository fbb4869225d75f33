"""The CLI limits glibc's malloc arenas (peak memory of threaded steps) unless the user set
MALLOC_ARENA_MAX."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bhrscore.cli.common import limit_malloc_arenas


def test_a_users_malloc_arena_max_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False


def test_the_limit_is_set_on_glibc_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    glibc = sys.platform.startswith("linux") and "glibc" in " ".join(
        __import__("platform").libc_ver()
    )
    assert limit_malloc_arenas() is glibc


def test_elsewhere_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert limit_malloc_arenas() is False


def test_the_cli_allocates_arrow_memory_with_malloc(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import subprocess

    from bhrscore.cli.common import system_arrow_pool

    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    assert system_arrow_pool() is False  # the user's choice stays
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "mimalloc"
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
    # in a fresh process, as the CLI starts: Arrow's default pool is then the system one
    probe = (
        "import sys; from bhrscore.cli.common import system_arrow_pool; "
        "print(system_arrow_pool()); import pyarrow as pa; "
        "print(pa.default_memory_pool().backend_name)"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.split() == ["True", "system"]
    env["ARROW_DEFAULT_MEMORY_POOL"] = "mimalloc"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.split() == ["False", "mimalloc"]


def test_the_cli_collects_cycles_less_often(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from bhrscore.cli.common import GC_YOUNG_THRESHOLD, relax_gc

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)  # Python's defaults
        assert relax_gc() is True
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 20, 10)
        assert relax_gc() is False  # already relaxed: left as it is
        higher = 2 * GC_YOUNG_THRESHOLD
        gc.set_threshold(higher, 30, 5)  # a caller's own, higher settings are kept
        assert relax_gc() is False
        assert gc.get_threshold() == (higher, 30, 5)
        gc.set_threshold(0)  # collection turned off stays off
        assert relax_gc() is False
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


def test_the_cli_freezes_the_heap_once_at_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    import atexit
    import gc

    from bhrscore.cli import common

    registered: list[object] = []
    monkeypatch.setattr(atexit, "register", registered.append)
    monkeypatch.setattr(common, "_EXIT_HOOK", [])
    assert common.freeze_at_exit() is True
    assert common.freeze_at_exit() is False  # once per process
    assert registered == [common._freeze_heap]
    enabled = gc.isenabled()
    try:
        common._freeze_heap()  # what runs at exit: collection off, every object frozen
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def test_a_cli_process_freezes_its_heap_when_it_ends(tmp_path: Path) -> None:
    import subprocess

    # atexit runs the last registered first: a handler registered before main() runs after
    # the CLI's hook and sees its effect
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('at exit: collection', gc.isenabled(),\n"
        "                              gc.get_freeze_count() > 0))\n"
        "from bhrscore.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit as e:\n    print('exit', e.code)\n"
        "print('after main: collection', gc.isenabled())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert "exit 0" in done.stdout
    assert "after main: collection True" in done.stdout  # nothing changes before exit
    assert "at exit: collection False True" in done.stdout


def test_objects_alive_before_a_command_are_frozen_only_during_it() -> None:
    import gc

    from bhrscore.cli.common import frozen_imports

    assert gc.get_freeze_count() == 0
    made_before = [object()]  # a container alive when the block starts
    with frozen_imports():
        assert gc.get_freeze_count() > 0
        assert not any(o is made_before for o in gc.get_objects())  # not in any generation
        made_inside = [object()]
        assert any(o is made_inside for o in gc.get_objects(generation=0))
    assert gc.get_freeze_count() == 0
    assert any(o is made_before for o in gc.get_objects())


def test_brief_collects_once_with_the_imports_frozen(tmp_path: Path) -> None:
    import gc

    from bhrscore.cli import main

    example = Path(__file__).resolve().parents[1] / "examples" / "kazakhstan"
    seen: list[tuple[int, bool]] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append((info["generation"], gc.get_freeze_count() > 0))

    gc.callbacks.append(watch)
    try:
        with pytest.raises(SystemExit) as done:
            main(["brief", str(example), "--as-of", "2026-01-01", "--quiet",
                  "--out", str(tmp_path / "b.xlsx")])  # fmt: skip
    finally:
        gc.callbacks.remove(watch)
    assert done.value.code == 0
    assert (2, True) in seen  # the full collection between scoring and writing, imports frozen
    assert gc.get_freeze_count() == 0  # unfrozen when the command ends


def test_the_pool_variable_is_taken_back_after_an_in_process_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``main()`` called in a notebook or a test leaves the environment as it found it (so
    later subprocesses are not switched to the system pool), and a user's own choice stays."""
    import os

    from bhrscore.cli import main
    from bhrscore.cli.common import restore_arrow_pool, system_arrow_pool

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert "ARROW_DEFAULT_MEMORY_POOL" not in os.environ
    assert system_arrow_pool() is True
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "system"
    restore_arrow_pool()
    assert "ARROW_DEFAULT_MEMORY_POOL" not in os.environ
    restore_arrow_pool()  # twice is harmless
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
    with pytest.raises(SystemExit):
        main(["--version"])
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "jemalloc"
    restore_arrow_pool()
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "jemalloc"
