"""Coverage of the percentile bootstrap interval of a mean for small groups.

Why ``compare`` gives no interval below ``MIN_N_INTERVAL`` companies (docs/analysis.md,
"Small groups"). For each group size n and population, draw ``DATASETS`` samples, compute the
95 % percentile bootstrap interval of the mean with ``RESAMPLES`` resamples (as
``bhrscore.analysis.stats.bootstrap_ci`` does) and count how often it contains the true mean.

    .venv/bin/python docs/simulations/bootstrap_coverage.py

Populations (scores on 0-100): normal (mean 50, sd 20, not clipped), a skewed one (100 times
an exponential with mean 0.3, capped at 100) and a lumpy one typical of rubric totals
(0, 50 or 100 with probabilities 0.3, 0.4, 0.3).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from bhrscore.analysis.stats import bootstrap_ci

DATASETS = 2000
RESAMPLES = 1000
LEVEL = 0.95
SIZES = (2, 3, 4, 5, 6, 8, 10, 15, 20, 30)


def _normal(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
    return rng.normal(50.0, 20.0, n)


def _skewed(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
    return np.minimum(100.0 * rng.exponential(0.3, n), 100.0)


def _lumpy(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
    return rng.choice([0.0, 50.0, 100.0], size=n, p=[0.3, 0.4, 0.3])


POPULATIONS = {
    "normal": (_normal, 50.0),
    # E[min(100 X, 100)] for X ~ Exp(mean 0.3) = 30 (1 - exp(-1 / 0.3))
    "skewed": (_skewed, 30.0 * (1.0 - np.exp(-1.0 / 0.3))),
    "lumpy": (_lumpy, 50.0),
}


Draw = Callable[[np.random.Generator, int], npt.NDArray[np.float64]]


def coverage(draw: Draw, truth: float, n: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for i in range(DATASETS):
        sample = draw(rng, n)
        low, high = bootstrap_ci(sample, level=LEVEL, resamples=RESAMPLES, seed=seed * 100_003 + i)
        hits += int(low <= truth <= high)
    return hits / DATASETS


def main() -> None:
    print("n   " + "".join(f"{name:>9}" for name in POPULATIONS))
    for n in SIZES:
        cells = [coverage(draw, truth, n, seed=n) for draw, truth in POPULATIONS.values()]
        print(f"{n:<4}" + "".join(f"{c:>9.3f}" for c in cells))


if __name__ == "__main__":
    main()
