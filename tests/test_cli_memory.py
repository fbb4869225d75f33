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
