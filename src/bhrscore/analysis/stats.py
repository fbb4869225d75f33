"""Resampling statistics in numpy: bootstrap intervals, permutation tests, p-value corrections.

All functions take a seed or a ``numpy.random.Generator`` and are deterministic for a seed.
Resamples are drawn as index matrices (``resamples x n``) and reduced along an axis, in
chunks that keep memory bounded, never as a Python loop over resamples.

- :func:`bootstrap_ci`: percentile bootstrap interval of a statistic (mean or median).
- :func:`bootstrap_diff_ci`: percentile interval of a difference of means of two samples.
- :func:`permutation_test`: two-sided permutation test of a difference of means, with the
  ``(1 + hits) / (1 + permutations)`` estimate, so a p-value is never 0.
- :func:`adjust_pvalues`: Holm (family-wise error) or Benjamini-Hochberg (false discovery
  rate) adjustment; missing p-values stay missing and do not count as tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Statistic = Literal["mean", "median"]
Correction = Literal["holm", "bh", "none"]
CORRECTIONS: dict[str, str] = {
    "holm": "Holm (family-wise error rate)",
    "bh": "Benjamini-Hochberg (false discovery rate)",
    "none": "none",
}
#: Upper bound on the cells of one resample block (resamples x n), ~16 MB of float64.
BLOCK_CELLS = 2_000_000
#: The same for permutation blocks, smaller: a block holds its keys and their argpartition
#: (16 bytes a cell), comparisons run on threads, and ``bhrscore brief`` runs them while the
#: workbook is built. Keys are doubles, one draw each, so the p-values do not depend on it
#: (bootstrap indices are 32-bit halves of draws: their blocks stay at BLOCK_CELLS).
PERMUTATION_BLOCK_CELLS = 500_000


def rng_for(seed: int | np.random.Generator, *key: str) -> np.random.Generator:
    """A generator for ``seed`` and a key (e.g. a group label): the same seed and key always
    give the same stream, whatever other groups are being compared."""
    if isinstance(seed, np.random.Generator):
        return seed
    first = int(seed)
    if first < 0:  # numpy's own error for a negative seed
        return np.random.default_rng([first])
    # ``default_rng([seed, *64-bit digests])``: numpy's SeedSequence reads each whole number
    # as its 32-bit words, least significant first (at least one word); given those words
    # as one uint32 array it builds the same state without converting each number itself
    words = _words32(first)
    for part in key:
        digest = hashlib.sha256(part.encode("utf-8")).digest()
        words += _words32(int.from_bytes(digest[:8], "little"))
    entropy = np.random.SeedSequence(np.array(words, dtype=np.uint32))
    return np.random.Generator(np.random.PCG64(entropy))


def _words32(n: int) -> list[int]:
    """The 32-bit words of ``n`` (not negative), least significant first; ``[0]`` for 0."""
    words = [n & 0xFFFFFFFF]
    n >>= 32
    while n:
        words.append(n & 0xFFFFFFFF)
        n >>= 32
    return words


def _as_array(values: Sequence[float] | npt.ArrayLike) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[~np.isnan(arr)]


def _blocks(total: int, n: int, cells: int | None = None) -> Iterator[int]:
    size = max(1, (BLOCK_CELLS if cells is None else cells) // max(n, 1))
    done = 0
    while done < total:
        step = min(size, total - done)
        yield step
        done += step


def _mean_rows(m: FloatArray) -> FloatArray:
    """``m.mean(axis=1)`` without the Python layers of ``ndarray.mean``: the same sum (numpy's
    pairwise ``add.reduce``) divided in place by the row length, so the same bits."""
    out: FloatArray = np.add.reduce(m, axis=1)
    np.true_divide(out, m.shape[1], out=out)
    return out


def _reducer(statistic: Statistic) -> Callable[[FloatArray], FloatArray]:
    if statistic == "mean":
        return _mean_rows
    if statistic == "median":
        return lambda m: np.asarray(np.median(m, axis=1), dtype=np.float64)
    raise ValueError(f"statistic must be 'mean' or 'median', not {statistic!r}")


def bootstrap_distribution(
    values: Sequence[float] | npt.ArrayLike,
    *,
    statistic: Statistic = "mean",
    resamples: int = 2000,
    seed: int | np.random.Generator = 0,
) -> FloatArray:
    """The statistic over ``resamples`` bootstrap resamples (empty when no values)."""
    x = _as_array(values)
    if x.size == 0 or resamples < 1:
        return np.empty(0)
    return _distribution(x, _reducer(statistic), resamples, rng_for(seed))


def _distribution(
    x: FloatArray,
    reduce: Callable[[FloatArray], FloatArray],
    resamples: int,
    rng: np.random.Generator,
) -> FloatArray:
    """:func:`bootstrap_distribution` of ``x`` (non-empty, no NaN) with ``rng``."""
    # 32-bit indices: numpy draws integers below 2**32 from the same 32-bit stream whatever
    # the dtype, so the resamples are those of int64 indices, written and gathered faster
    # (by indexing, which gathers outside the GIL; np.take would convert them holding it)
    dtype = np.int32 if x.size < 2**31 else np.int64
    if resamples * x.size <= BLOCK_CELLS:  # one block (the usual case): no list, no concat
        return reduce(x[rng.integers(0, x.size, size=(resamples, x.size), dtype=dtype)])
    out = []
    for step in _blocks(resamples, x.size):
        idx = rng.integers(0, x.size, size=(step, x.size), dtype=dtype)
        out.append(reduce(x[idx]))
    return np.concatenate(out)


def bootstrap_means(x: FloatArray, resamples: int, rng: np.random.Generator) -> FloatArray:
    """Bootstrap means of ``x`` (at least one value, no NaN): what
    :func:`bootstrap_distribution` gives for it with the generator ``rng``, without checking
    the input again (for callers that prepared it, such as :func:`.compare.compare`)."""
    return _distribution(x, _mean_rows, resamples, rng)


def diff_distribution(
    x: FloatArray, y: FloatArray, resamples: int, rng: np.random.Generator
) -> FloatArray:
    """Bootstrap differences of means of ``x`` and ``y`` (no NaN), the distribution behind
    :func:`bootstrap_diff_ci` (``x`` drawn first, then ``y``, from ``rng``)."""
    da = _distribution(x, _mean_rows, resamples, rng)
    da -= _distribution(y, _mean_rows, resamples, rng)
    return da


def percentile_rows(dists: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    """The percentile intervals of many bootstrap distributions of one length at once (rows
    of ``dists``): per row what :func:`bootstrap_ci` takes from its distribution (one
    ``numpy.quantile`` along the rows computes each row as it computes the row alone)."""
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(dists, [tail, 1.0 - tail], axis=1)
    return low, high


def _percentiles(dist: FloatArray, level: float) -> tuple[float, float]:
    if dist.size == 0:
        return (float("nan"), float("nan"))
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(dist, [tail, 1.0 - tail])
    return (float(low), float(high))


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be between 0 and 1, not {level!r}")


def bootstrap_ci(
    values: Sequence[float] | npt.ArrayLike,
    *,
    level: float = 0.95,
    statistic: Statistic = "mean",
    resamples: int = 2000,
    seed: int | np.random.Generator = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (or median) at ``level``.

    Missing values (NaN) are dropped. Fewer than two values give ``(nan, nan)``: one value
    says nothing about its spread.
    """
    _check_level(level)
    x = _as_array(values)
    if x.size < 2:
        return (float("nan"), float("nan"))
    dist = bootstrap_distribution(x, statistic=statistic, resamples=resamples, seed=seed)
    return _percentiles(dist, level)


def bootstrap_diff_ci(
    a: Sequence[float] | npt.ArrayLike,
    b: Sequence[float] | npt.ArrayLike,
    *,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int | np.random.Generator = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``mean(a) - mean(b)``, resampling each sample
    separately (``(nan, nan)`` when either has fewer than two values)."""
    _check_level(level)
    x, y = _as_array(a), _as_array(b)
    if x.size < 2 or y.size < 2:
        return (float("nan"), float("nan"))
    if resamples < 1:
        return (float("nan"), float("nan"))
    return _percentiles(diff_distribution(x, y, resamples, rng_for(seed)), level)


def permutation_test(
    a: Sequence[float] | npt.ArrayLike,
    b: Sequence[float] | npt.ArrayLike,
    *,
    permutations: int = 2000,
    seed: int | np.random.Generator = 0,
) -> float:
    """Two-sided permutation p-value for ``mean(a) - mean(b)``.

    Group labels are shuffled ``permutations`` times (rows of a permuted index matrix); the
    p-value is ``(1 + #{|d*| >= |d|}) / (1 + permutations)``, so it is never 0 and is exact
    in expectation. NaN when either sample is empty.
    """
    x, y = _as_array(a), _as_array(b)
    if x.size == 0 or y.size == 0 or permutations < 1:
        return float("nan")
    return permutation_p(x, y, permutations, rng_for(seed))


def permutation_p(
    x: FloatArray, y: FloatArray, permutations: int, rng: np.random.Generator
) -> float:
    """:func:`permutation_test` of ``x`` and ``y`` (both non-empty, no NaN) with ``rng``,
    without checking the input again. The permuted sums of every block are kept (one double
    per permutation) and compared once at the end: the same arithmetic per permutation."""
    pooled = np.concatenate([x, y])
    n_a, n = x.size, pooled.size
    observed = abs(x.mean() - y.mean())
    total = pooled.sum()
    # Tolerance so that float noise in sums does not turn ties into misses.
    eps = 1e-9 * max(1.0, float(np.abs(pooled).max()))
    sums = []
    for step in _blocks(permutations, n, PERMUTATION_BLOCK_CELLS):
        keys = rng.random((step, n))
        # The first n_a positions of each random ordering form the permuted group a.
        chosen = keys.argpartition(n_a - 1, axis=1)[:, :n_a]
        sums.append(np.add.reduce(pooled[chosen], axis=1))
    sum_a = sums[0] if len(sums) == 1 else np.concatenate(sums)
    mean_b = total - sum_a
    mean_b /= n - n_a
    sum_a /= n_a  # now the permuted means of a
    sum_a -= mean_b
    hits = int(np.count_nonzero(np.abs(sum_a, out=sum_a) >= observed - eps))
    return (1.0 + hits) / (1.0 + permutations)


def adjust_pvalues(
    pvalues: Sequence[float] | npt.ArrayLike, method: Correction = "holm"
) -> FloatArray:
    """Adjusted p-values (same order as given). NaN entries stay NaN and are not counted in
    the number of tests."""
    p = np.asarray(pvalues, dtype=np.float64).ravel()
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if method not in CORRECTIONS:
        raise ValueError(f"correction must be one of {sorted(CORRECTIONS)}, not {method!r}")
    if m == 0:
        return out
    q = p[ok]
    if method == "none":
        out[ok] = q
        return out
    order = np.argsort(q, kind="stable")
    ranked = q[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:  # Benjamini-Hochberg step-up
        adj = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(adj, 1.0)
    out[ok] = adjusted
    return out
