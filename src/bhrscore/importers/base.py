"""The importer interface: a publisher's released files -> a bhrscore bundle.

An importer reads the files a benchmark publisher releases (Ranking Digital Rights' CSV files,
say) and returns an :class:`Imported`: companies and evidence records built with the bhrscore
models, a rubric document that encodes the publisher's method, the publisher's own scores
(kept for comparison, never read as evidence), further text files for the bundle and a
:class:`~bhrscore.evidence.report.ValidationReport` of every row it could not map.

Importers register with :func:`importer` (one module per publisher); the command line finds
them by name (``bhrscore import NAME SRC OUT``). Writing is shared (:mod:`.write`).
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pandas as pd

from ..evidence.model import Company, EvidenceBase
from ..evidence.report import ValidationReport
from ..registry import Registry

#: Columns of :attr:`Imported.published`, in this order.
PUBLISHED_COLUMNS: dict[str, str] = {
    "company_id": "string",  # the bundle's company id
    "node": "string",  # a rubric node id, or "total"
    "score": "Float64",  # the publisher's score as published (<NA> where it published none)
    "source_url": "string",  # the published file the score was read from
}


class ImporterError(ValueError):
    """An import that cannot be made as asked (no such source, missing option, unknown
    importer): a usage mistake, not a problem of a row."""


@dataclass(frozen=True)
class ImportOptions:
    """What an importer may need besides the files.

    - ``release``: which release to read when ``src`` holds several (e.g. ``"2022"``);
      default: the importer's choice (the newest).
    - ``source_url``: where the files are published (a URL of the directory holding them,
      best pinned to a commit); each record cites this URL plus the file name. Default: the
      importer's canonical location for the release.
    - ``date``: the release's publication date; records are dated to it, since publishers'
      files rarely carry one.
    """

    release: str | None = None
    source_url: str | None = None
    date: dt.date | None = None


@dataclass(frozen=True)
class Imported:
    """The result of reading a publisher's files.

    ``rubric`` is a rubric document (the mapping a rubric YAML file holds); ``published``
    has the columns of :data:`PUBLISHED_COLUMNS`; ``files`` maps further text files to write
    (path relative to the bundle, e.g. ``regions.yaml`` or ``LICENSE``) to their text;
    ``manifest`` says what was read (files, their SHA-256, layout, options) and is written as
    ``import.yaml``. When ``report`` has errors nothing may be written.
    """

    importer: str
    release: str
    layout: str
    companies: tuple[Company, ...]
    evidence: tuple[EvidenceBase, ...]
    rubric: Mapping[str, Any]
    published: pd.DataFrame
    files: Mapping[str, str] = field(default_factory=dict)
    manifest: Mapping[str, Any] = field(default_factory=dict)
    report: ValidationReport = field(default_factory=ValidationReport)

    @property
    def ok(self) -> bool:
        """True when every row was mapped (no errors in the report)."""
        return self.report.ok


class Importer(ABC):
    """Base class of importers. Subclass it, implement :meth:`read`, and register the class
    with ``@importer("name")``.

    ``read`` must never drop a row silently: a row it cannot map becomes an error
    :class:`~bhrscore.evidence.report.Problem` naming the file, the line (``row``) and the
    column (``field``), and the rest of the rows are still read so that every problem is
    reported at once. Usage mistakes (no such directory, a missing option) raise
    :class:`ImporterError`.
    """

    #: set by :func:`importer`
    name: ClassVar[str] = ""
    #: one line shown by ``bhrscore import --help``
    description: ClassVar[str] = ""

    @abstractmethod
    def read(self, src: Path, options: ImportOptions) -> Imported:
        """Read the publisher's files under ``src``."""


IMPORTERS: Registry[type[Importer]] = Registry("importer")
ImporterT = TypeVar("ImporterT", bound=type[Importer])


def importer(name: str) -> Callable[[ImporterT], ImporterT]:
    """Register an :class:`Importer` subclass under ``name`` (sets its ``name``)."""

    def add(cls: ImporterT) -> ImporterT:
        if not (isinstance(cls, type) and issubclass(cls, Importer)):
            raise TypeError(f"{cls!r} is not an Importer subclass")
        cls.name = name
        IMPORTERS.register(name)(cls)
        return cls

    return add


#: Entry-point group through which installed packages provide importers: a package declares
#: ``[project.entry-points."bhrscore.importers"] mybench = "mypkg.importer"`` and loading
#: that module registers its importer. (Packages may as well use the general ``bhrscore.plugins``
#: group of :mod:`bhrscore.plugins`, which can register importers among other things.)
ENTRY_POINT_GROUP = "bhrscore.importers"


def importers() -> Mapping[str, type[Importer]]:
    """The registered importers, by name: the built-in ones, those of installed packages
    (entry points of :data:`ENTRY_POINT_GROUP`) and any registered in this process."""
    from ..plugins import load_entry
    from . import rdr  # noqa: F401  (importing registers the built-in importers)

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in IMPORTERS:
            load_entry(entry, ENTRY_POINT_GROUP, call=False)  # a broken one: a warning
    return IMPORTERS.view()


def read_import(name: str, src: str | Path, options: ImportOptions | None = None) -> Imported:
    """Run the importer ``name`` on ``src`` (the report says what could not be mapped)."""
    known = importers()
    if name not in known:
        raise ImporterError(IMPORTERS.unknown(name))
    path = Path(src)
    if not path.exists():
        raise ImporterError(f"{src}: no such file or directory")
    url = (options or ImportOptions()).source_url
    if url is not None and not re.fullmatch(r"https?://\S+", url):
        raise ImporterError(f"source URL {url!r} is not an http(s) URL")
    return known[name]().read(path, options or ImportOptions())
