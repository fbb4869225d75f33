"""Small helpers of the workbook renderer: runs of a mask, number texts kept across calls."""

from __future__ import annotations

import random

import numpy as np

from bhrscore.export import book


def _runs_by_hand(mask: list[bool]) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, flag in enumerate([*mask, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def test_runs_of_a_mask() -> None:
    assert book._runs([]) == []
    assert book._runs([False, False]) == []
    assert book._runs([True]) == [(0, 0)]
    assert book._runs([True, True, False, True]) == [(0, 1), (3, 3)]
    rng = random.Random(3)
    for _ in range(200):
        mask = [rng.random() < 0.4 for _ in range(rng.randrange(0, 40))]
        assert book._runs(mask) == _runs_by_hand(mask)


def test_number_texts_are_pythons_and_kept_across_calls() -> None:
    values = [0.1 + 0.2, -0.0, 0.0, 1e-05, 1e16, 123.5, 2 / 3, 9.87654321098765, 5e-324]
    bits = np.array(values, dtype=np.float64).view(np.int64)
    first = book._number_texts(bits)
    assert first == [format(v, ".16G") for v in values]
    assert first[:3] == ["0.3", "-0", "0"]
    again = book._number_texts(bits[::-1].copy())
    assert again == first[::-1]
    assert again[-1] is first[0]  # made once, then taken from the cache
