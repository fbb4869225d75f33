"""Resampling statistics: bootstrap coverage, permutation tests, p-value corrections."""

from __future__ import annotations

import numpy as np
import pytest

from bhrscore.analysis import stats
from bhrscore.analysis.stats import (
    adjust_pvalues,
    bootstrap_ci,
    bootstrap_diff_ci,
    bootstrap_distribution,
    permutation_test,
    rng_for,
)


@pytest.mark.parametrize(("level", "tolerance"), [(0.95, 0.04), (0.80, 0.07)])
def test_bootstrap_interval_covers_a_known_mean_at_about_the_stated_rate(
    level: float, tolerance: float
) -> None:
    # 300 samples of n=40 from Normal(50, 10): the interval should contain 50 in about
    # `level` of them. Binomial sd of the observed rate is sqrt(.95*.05/300) = 0.013 at 95 %
    # and 0.023 at 80 %; the percentile bootstrap also under-covers by ~1 point at n=40, so
    # the tolerance is about 3 sd.
    rng = np.random.default_rng(20240301)
    data = rng.normal(50.0, 10.0, size=(300, 40))
    hits = 0
    for i, sample in enumerate(data):
        low, high = bootstrap_ci(sample, level=level, resamples=400, seed=i)
        hits += low <= 50.0 <= high
    assert abs(hits / 300 - level) <= tolerance


def test_bootstrap_interval_brackets_the_sample_mean_and_needs_two_values() -> None:
    sample = np.array([10.0, 20.0, 30.0, 40.0, np.nan])  # NaN is dropped
    low, high = bootstrap_ci(sample, resamples=500, seed=1)
    assert 10.0 <= low < 25.0 < high <= 40.0  # mean 25
    assert np.isnan(bootstrap_ci([5.0], seed=1)).all()
    assert np.isnan(bootstrap_ci([], seed=1)).all()
    with pytest.raises(ValueError, match="level"):
        bootstrap_ci(sample, level=95)


def test_constant_sample_has_a_zero_width_interval() -> None:
    assert bootstrap_ci([7.0] * 6, seed=3) == (7.0, 7.0)
    assert bootstrap_ci([7.0] * 6, statistic="median", seed=3) == (7.0, 7.0)


def test_permutation_test_detects_a_planted_difference() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(0.0, 1.0, 30), rng.normal(1.5, 1.0, 30)
    # A 1.5 sd shift with n=30 per group has z ~ 5.8: essentially every permutation is less
    # extreme, so p is at its floor 1/(1+999).
    p = permutation_test(a, b, permutations=999, seed=1)
    assert p == pytest.approx(1 / 1000)
    _, high = bootstrap_diff_ci(a, b, resamples=500, seed=2)
    assert high < 0  # a - b is negative: the interval says so


def test_permutation_test_does_not_flag_identical_distributions() -> None:
    # 200 pairs drawn from the same distribution, 199 permutations each: at alpha 0.05 the
    # test should reject about 10 times (binomial sd 3.1); allow up to 20 (3 sd above).
    rng = np.random.default_rng(11)
    data = rng.normal(0.0, 1.0, size=(200, 2, 25))
    pvalues = np.array(
        [permutation_test(x, y, permutations=199, seed=i) for i, (x, y) in enumerate(data)]
    )
    assert (pvalues < 0.05).sum() <= 20
    # ... and the p-values are roughly uniform (mean 0.5, sd of the mean 0.02)
    assert 0.42 <= pvalues.mean() <= 0.58


def test_identical_samples_and_p_value_floor() -> None:
    x = [1.0, 2.0, 3.0, 4.0]
    assert permutation_test(x, x, permutations=100, seed=0) == 1.0  # every shuffle ties
    assert permutation_test([0.0] * 5, [100.0] * 5, permutations=99, seed=0) >= 1 / 100
    assert np.isnan(permutation_test([], x, seed=0))


def test_same_seed_same_result_and_keys_separate_streams() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=12), rng.normal(0.4, 1.0, size=15)
    assert bootstrap_ci(a, seed=9) == bootstrap_ci(a, seed=9)
    assert permutation_test(a, b, seed=9) == permutation_test(a, b, seed=9)
    assert bootstrap_ci(a, seed=9) != bootstrap_ci(a, seed=10)
    first = rng_for(3, "china").random(3)
    assert np.array_equal(first, rng_for(3, "china").random(3))
    assert not np.array_equal(first, rng_for(3, "western").random(3))


def test_holm_and_benjamini_hochberg_by_hand() -> None:
    p = [0.01, 0.04, 0.03, np.nan, 0.5]
    # Holm, m = 4 tests (NaN does not count): sorted .01 .03 .04 .5 times 4 3 2 1
    # = .04 .09 .08 .5, made monotone: .04 .09 .09 .5
    holm = adjust_pvalues(p, "holm")
    assert holm[[0, 2, 1, 4]] == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert np.isnan(holm[3])
    # BH: p(i) * m / i = .04, .06, .0533, .5; running minimum from the top: .04 .0533 .0533 .5
    bh = adjust_pvalues(p, "bh")
    assert bh[[0, 2, 1, 4]] == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert adjust_pvalues([0.6, 0.9], "holm").tolist() == [1.0, 1.0]  # capped at 1
    assert adjust_pvalues([0.2], "none").tolist() == [0.2]
    with pytest.raises(ValueError, match="correction"):
        adjust_pvalues([0.1], "bonferroni")  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [1, 2, 7, 1000])
def test_bootstrap_resamples_are_uniform_index_draws_of_the_seeded_stream(n: int) -> None:
    """Each resample is a row of ``rng.integers(0, n, (resamples, n))`` (64-bit indices)
    from the seeded generator, whatever index type is used inside: the documented
    intervals stay reproducible from the seed."""
    values = np.linspace(0.0, 100.0, n) ** 1.5  # distinct values: every index shows
    rng = np.random.default_rng(42)
    expected = values[rng.integers(0, n, size=(300, n))].mean(axis=1)
    got = bootstrap_distribution(values, resamples=300, seed=np.random.default_rng(42))
    np.testing.assert_array_equal(got, expected)


def test_permutation_p_values_do_not_depend_on_the_block_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Permutation keys are doubles, one draw each: cutting the permutations into blocks of
    any size draws the same keys, so the p-value is the same."""
    from bhrscore.analysis import stats

    rng = np.random.default_rng(11)
    a, b = rng.normal(size=23), rng.normal(0.3, 1.0, size=31)  # 54 values a permutation
    whole = permutation_test(a, b, permutations=301, seed=4)
    for cells in (1, 54 * 7, 54 * 300 + 13):  # one permutation a block, 7, all but one
        monkeypatch.setattr(stats, "PERMUTATION_BLOCK_CELLS", cells)
        assert permutation_test(a, b, permutations=301, seed=4) == whole


def _old_permutation_p(x: np.ndarray, y: np.ndarray, permutations: int, seed: int) -> float:
    """The permutation test as it was written before its blocks' sums were kept: one block,
    the means and their difference per block (the reference for the fast path)."""
    pooled = np.concatenate([x, y])
    n_a, n = x.size, pooled.size
    observed = abs(x.mean() - y.mean())
    eps = 1e-9 * max(1.0, float(np.abs(pooled).max()))
    keys = rng_for(seed).random((permutations, n))
    chosen = np.argpartition(keys, n_a - 1, axis=1)[:, :n_a]
    sum_a = pooled[chosen].sum(axis=1)
    diff = sum_a / n_a - (pooled.sum() - sum_a) / (n - n_a)
    return (1.0 + int(np.count_nonzero(np.abs(diff) >= observed - eps))) / (1.0 + permutations)


@pytest.mark.parametrize("block_cells", [500_000, 64, 1])
def test_permutation_p_in_blocks_matches_one_block(
    block_cells: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ties (integers) and a one-value group: the kept sums compared at the end give the
    # p-value of the per-block arithmetic, whatever the block size (keys are one draw each)
    monkeypatch.setattr(stats, "PERMUTATION_BLOCK_CELLS", block_cells)
    rng = np.random.default_rng(7)
    cases = [
        (rng.integers(0, 5, 12).astype(float), rng.integers(0, 5, 9).astype(float)),
        (rng.normal(50, 10, 30), rng.normal(55, 10, 41)),
        (np.array([3.0]), np.array([1.0, 2.0, 3.0, 4.0])),
    ]
    for i, (x, y) in enumerate(cases):
        fast = stats.permutation_p(x, y, 301, rng_for(i))
        assert fast == _old_permutation_p(x, y, 301, i)
        assert fast == permutation_test(x, y, permutations=301, seed=i)


def test_mean_rows_is_ndarray_mean_to_the_bit() -> None:
    m = np.random.default_rng(3).normal(0.0, 1e6, size=(50, 333))
    assert np.array_equal(stats._mean_rows(m.copy()), m.mean(axis=1))


def test_fast_distributions_match_the_public_functions() -> None:
    rng = np.random.default_rng(11)
    x, y = rng.normal(40, 9, 25), rng.normal(45, 12, 18)
    means = stats.bootstrap_means(x, 700, rng_for(5))
    assert np.array_equal(means, bootstrap_distribution(x, resamples=700, seed=5))
    diff = stats.diff_distribution(x, y, 700, rng_for(6))
    gen = rng_for(6)
    da = bootstrap_distribution(x, resamples=700, seed=gen)
    assert np.array_equal(diff, da - bootstrap_distribution(y, resamples=700, seed=gen))
    low, high = stats.percentile_rows(np.stack([means, diff]), 0.9)
    assert (low[0], high[0]) == bootstrap_ci(x, level=0.9, resamples=700, seed=5)
    assert (low[1], high[1]) == bootstrap_diff_ci(x, y, level=0.9, resamples=700, seed=6)
    # several blocks (resamples x n above BLOCK_CELLS) give the stream of one
    big = rng.normal(0, 1, 3000)
    blocked = stats.bootstrap_means(big, 800, rng_for(8))  # 2.4M cells: two blocks
    idx = rng_for(8).integers(0, big.size, size=(800, big.size), dtype=np.int32)
    assert np.array_equal(blocked, big[idx].mean(axis=1))
    assert np.isnan(bootstrap_diff_ci(x, y, resamples=0, seed=1)).all()


@pytest.mark.parametrize("seed", [0, 1, 7, 2**32 - 1, 2**32, 2**40 + 3, 2**70 + 5])
def test_rng_for_is_default_rng_of_the_seed_and_the_key_digests(seed: int) -> None:
    # the documented stream: default_rng([seed, first 8 bytes of sha256(part), ...])
    import hashlib

    for key in [(), ("ci",), ("perm", "all", "china", "western"), ("diff", "06 / é", "", "x")]:
        words = [seed] + [
            int.from_bytes(hashlib.sha256(k.encode("utf-8")).digest()[:8], "little") for k in key
        ]
        expected = np.random.default_rng(words)
        got = rng_for(seed, *key)
        assert got.bit_generator.state == expected.bit_generator.state
        assert np.array_equal(got.random(4), expected.random(4))
    with pytest.raises(ValueError, match="non-negative"):  # numpy's message, as before
        rng_for(-1, "a")
