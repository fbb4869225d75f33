"""Importers: published benchmark datasets -> bhrscore bundles (docs/importers.md).

>>> import datetime as dt
>>> from bhrscore.importers import ImportOptions, import_bundle
>>> imported = import_bundle(  # doctest: +SKIP
...     "rdr", "index2022/csv", "out/rdr-2022", ImportOptions(date=dt.date(2022, 4, 26))
... )
"""

from __future__ import annotations

from pathlib import Path

from .base import (
    IMPORTERS,
    PUBLISHED_COLUMNS,
    Imported,
    Importer,
    ImporterError,
    ImportOptions,
    importer,
    importers,
    read_import,
)
from .published import published_vs_scored, read_published
from .write import ImportProblemsError, write_import


def import_bundle(
    name: str,
    src: str | Path,
    out: str | Path,
    options: ImportOptions | None = None,
    fmt: str = "csv",
) -> Imported:
    """Read ``src`` with the importer ``name`` and write the bundle to ``out``.

    Raises :class:`ImportProblemsError` (with the report) when rows could not be mapped; then
    nothing is written.
    """
    imported = read_import(name, src, options)
    write_import(imported, out, fmt)
    return imported


__all__ = [
    "IMPORTERS",
    "PUBLISHED_COLUMNS",
    "ImportOptions",
    "ImportProblemsError",
    "Imported",
    "Importer",
    "ImporterError",
    "import_bundle",
    "importer",
    "importers",
    "published_vs_scored",
    "read_import",
    "read_published",
    "write_import",
]
