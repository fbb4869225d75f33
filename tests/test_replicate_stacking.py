"""``Replicates.expand_positions``: the stacked selection (row ``i`` repeated ``K[i, r]``
times, company code ``r * companies + c``, rows in order) checked against a plain-Python
loop over rows and replicates, for selections of every shape (empty, one row, rows with
no draw at all, int32 and int64 company codes)."""

from __future__ import annotations

import numpy as np
import pytest

from bhrscore.rubric.replicates import Replicates, record_keys
from bhrscore.rubric.selection import Selection


def _stacked_by_loop(
    reps: Replicates, sel: Selection, companies: int
) -> tuple[list[int], list[int], list[float], list[int]]:
    counts = reps.multiplicity(sel.rows)  # K[i, r] for the selected rows
    rows, company, weight, pos = [], [], [], []
    for i in range(len(sel)):
        for r in range(reps.count):
            for _ in range(int(counts[i, r])):
                rows.append(int(sel.rows[i]))
                company.append(int(sel.company[i]) + companies * r)
                weight.append(float(sel.weight[i]))
                pos.append(i)
    return rows, company, weight, pos


@pytest.mark.parametrize("count", [1, 3, 40])
@pytest.mark.parametrize("size", [0, 1, 7, 500])
@pytest.mark.parametrize("code_dtype", [np.int64, np.int32, np.int16])
def test_stacking_matches_a_loop_over_rows_and_replicates(
    count: int, size: int, code_dtype: type[np.integer]
) -> None:
    rng = np.random.default_rng(size * 100 + count)
    ids = np.array([f"fictional-ev-{i}" for i in range(600)], dtype=object)
    reps = Replicates(record_keys(ids), seed=9, first=2, count=count)
    rows = np.sort(rng.choice(600, size, replace=False)).astype(np.int64)
    companies = 1_000_003  # later replicates' codes far beyond one replicate's (< 2**31)
    sel = Selection(rows, rng.integers(0, companies, size).astype(code_dtype), rng.random(size))
    stacked, pos = reps.expand_positions(sel, companies)
    want_rows, want_company, want_weight, want_pos = _stacked_by_loop(reps, sel, companies)
    assert stacked.rows.tolist() == want_rows
    assert stacked.weight.tolist() == want_weight
    assert pos.tolist() == want_pos
    assert pos.dtype == np.intp
    assert stacked.company.tolist() == want_company
    # an empty selection comes back as it is; others take the dtype of code + int32 offset
    wide = code_dtype if size == 0 else np.result_type(code_dtype, np.int32)
    assert stacked.company.dtype == wide
    # the same as before the stacking was written without dividing the cell numbers
    k = reps.multiplicity(sel.rows).ravel()
    flat = np.repeat(np.arange(k.size, dtype=np.int32), k)
    quotient = flat // np.int32(count)
    old_company = np.take(sel.company, quotient.astype(np.intp)) + companies * (
        flat - quotient * np.int32(count)
    )
    assert np.array_equal(stacked.company, old_company)
    if size:  # (the old arithmetic, run on an empty selection, was never reached)
        assert stacked.company.dtype == old_company.dtype


def test_multiplicities_are_the_documented_hash_against_poisson_thresholds() -> None:
    from bhrscore.rubric.replicates import _POISSON_THRESHOLDS

    mask = (1 << 64) - 1
    ids = np.array([f"fictional-record-{i}" for i in range(3000)], dtype=object)
    reps = Replicates(record_keys(ids), seed=4, first=1, count=5)
    streams = [int(s) for s in reps.streams()]
    thresholds = [int(t) for t in _POISSON_THRESHOLDS]
    every = reps._every  # hashed in slices of rows
    rows = np.array([0, 1, 17, 2999, 1500])
    picked = reps.multiplicity(rows)
    for i, row in enumerate(rows.tolist()):
        key = int(reps.keys[row])
        for r, stream in enumerate(streams):
            h = (key + stream) & mask
            h ^= h >> 32
            h = (h * 0xD6E8FEB86659FD93) & mask
            h ^= h >> 32
            expected = sum(h >= t for t in thresholds)  # K = thresholds at or below h
            assert picked[i, r] == expected == every[row, r]
    # Poisson(1): mean 1, P(K = 0) = 1/e; 15,000 cells, sd of the mean about 0.008
    assert abs(every.mean() - 1.0) < 0.04
    assert abs((every == 0).mean() - np.exp(-1.0)) < 0.02
    assert int(every.max()) >= 4  # the looked-up tail beyond the first four thresholds
