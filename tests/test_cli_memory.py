"""The CLI limits glibc's malloc arenas (peak memory of threaded steps) unless the user set
MALLOC_ARENA_MAX."""

from __future__ import annotations

import sys

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


def test_the_cli_collects_cycles_less_often(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from bhrscore.cli.common import GC_YOUNG_THRESHOLD, relax_gc

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)  # Python's defaults
        assert relax_gc() is True
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 20, 10)
        assert relax_gc() is False  # already relaxed: left as it is
        gc.set_threshold(100_000, 30, 5)  # a caller's own, higher settings are kept
        assert relax_gc() is False
        assert gc.get_threshold() == (100_000, 30, 5)
        gc.set_threshold(0)  # collection turned off stays off
        assert relax_gc() is False
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)
