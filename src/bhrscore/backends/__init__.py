"""Scoring backends: where :func:`bhrscore.score` runs.

- ``pandas`` (the default): the whole evidence set in memory, one pass of the engine.
- ``dask``: evidence partitioned by company (a Parquet dataset directory, :mod:`.dataset`, or
  an in-memory set split by company), each partition scored by the same engine on a Dask
  cluster, then the cross-company steps (ranks, uncertainty intervals) on the joined
  per-company tables (:mod:`.partitioned`). Needs the ``bhrscore[dask]`` extra.

A backend is a function ``(evidence, rubric, as_of, *, evidence_hash, uncertainty,
**options) -> ScoreCard`` registered with :func:`scoring_backend`; every backend must give the
pandas backend's card.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import Registry

Backend = Callable[..., Any]

BACKENDS: Registry[Backend] = Registry("scoring backend")


def scoring_backend(name: str) -> Callable[[Backend], Backend]:
    """Decorator: register a scoring backend under ``name``."""
    return BACKENDS.register(name)


def scoring_backends() -> Registry[Backend]:
    """The registered backends (``pandas``, ``dask``, and any added)."""
    return BACKENDS


class BackendUnavailableError(ValueError):
    """A backend whose optional dependencies are not installed."""


@scoring_backend("pandas")
def _pandas(evidence: Any, rubric: Any, as_of: Any, **options: Any) -> Any:
    from ..rubric.engine import score

    return score(evidence, rubric, as_of, **options)


@scoring_backend("dask")
def _dask(evidence: Any, rubric: Any, as_of: Any, **options: Any) -> Any:
    try:
        from .dask import score_dask
    except ImportError as exc:
        raise BackendUnavailableError(
            f"the dask backend needs the dask extra ({exc.name} is missing):"
            " pip install 'bhrscore[dask]'"
        ) from None
    return score_dask(evidence, rubric, as_of, **options)


__all__ = ["BACKENDS", "BackendUnavailableError", "scoring_backend", "scoring_backends"]
