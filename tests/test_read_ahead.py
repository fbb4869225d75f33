"""The loader reads one batch ahead on a worker thread (evidence/load.py ``read_ahead``): the
batches come in order, errors reach the caller, the caller's context (the sector vocabulary in
effect) is the worker's, and stopping early finishes cleanly."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bhrscore.evidence.load import read_ahead

_SEEN: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="unset")


def test_batches_come_in_order_and_all_of_them() -> None:
    assert list(read_ahead(iter(range(7)))) == list(range(7))  # type: ignore[arg-type]
    assert list(read_ahead(iter([]))) == []


def test_the_next_batch_is_read_on_another_thread_while_one_is_used() -> None:
    threads: list[int] = []

    def items() -> Iterator[Any]:
        for i in range(3):
            threads.append(threading.get_ident())
            yield i

    got = []
    for item in read_ahead(items()):
        got.append(item)
    assert got == [0, 1, 2]
    assert threading.get_ident() not in threads


def test_an_error_while_reading_reaches_the_caller_after_the_batches_before_it() -> None:
    def items() -> Iterator[Any]:
        yield 1
        raise OSError("disk gone")

    stream = read_ahead(items())
    assert next(stream) == 1
    with pytest.raises(OSError, match="disk gone"):
        next(stream)


def test_the_worker_sees_the_callers_context() -> None:
    def items() -> Iterator[Any]:
        yield _SEEN.get()

    token = _SEEN.set("vocabulary B")
    try:
        assert list(read_ahead(items())) == ["vocabulary B"]
    finally:
        _SEEN.reset(token)


def test_stopping_early_finishes_the_batch_being_read_and_reads_no_more() -> None:
    read: list[int] = []

    def items() -> Iterator[Any]:
        for i in range(100):
            read.append(i)
            yield i

    stream = read_ahead(items())
    assert next(stream) == 0
    stream.close()  # e.g. the caller failed while validating batch 0
    assert read == [0, 1]  # batch 1 was being read ahead; nothing after it
