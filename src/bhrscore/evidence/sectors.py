"""Sector codes: ISIC Rev.4 sections and divisions, short aliases, and bundle vocabularies.

A company's ``sectors`` and a testimony's ``group.sector`` hold **codes of an open, documented
classification**, the UN's ISIC Rev.4 (``bhrscore/data/isic4.yaml``, which cites its source):

- a section letter, ``A`` to ``U`` (``J``: Information and communication);
- a division, two digits ``01`` to ``99`` (``61``: Telecommunications);
- an alias kept from bhrscore's first short list (``oil-gas`` stands for division ``06``,
  ``oilfield-services`` for ``09``, ``shipping-logistics`` for section ``H`` ...);
- a code that a bundle adds in its own ``vocabulary.yaml``::

      sectors:
        telecom-mobile: {title: Mobile telecommunications, isic: "61"}
        ngo: {title: Non-governmental organisation}      # no ISIC code: groups as itself

**Which vocabulary is in effect.** Validation reads the vocabulary from the pydantic
validation context (``context={"sector_vocabulary": vocabulary}``) when one is given, else
from a context variable that :func:`bhrscore.load_evidence` sets, for the duration of
loading, to the packaged codes plus the bundle's ``vocabulary.yaml``
(:func:`use_sector_vocabulary`); outside loading it is the packaged vocabulary. The context
variable lets any validation path (record by record with pydantic, column by column in the
columnar loader through the ``VectorCheck`` twin of :data:`SectorCode`, or
:func:`check_sector_codes`) see the same codes without passing them through every call. An
:class:`~bhrscore.EvidenceSet` keeps the vocabulary it was loaded with
(``sector_vocabulary``), for the models it builds later and for ``check_frames``.

**Grouping.** Comparisons group a code by what it stands for, not by how it was written:
``sector`` by the ISIC division (a section when the code stands for a whole section; a code
without an ISIC mapping by itself), ``sector_section`` by the ISIC section
(:meth:`SectorVocabulary.group_of`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo

from ..yaml_load import FastSafeLoader, safe_load
from .flat import LIST_DELIMITER
from .hooks import TextUnchanged, in_vocabulary
from .report import Problem

#: The packaged classification file (``bhrscore/data/isic4.yaml``).
ISIC_FILE = "isic4.yaml"
#: The file a bundle directory may hold to add sector codes.
BUNDLE_VOCABULARY_FILES = ("vocabulary.yaml", "vocabulary.yml")
#: Pattern of every sector code (ISIC letters and digits, aliases, bundle codes).
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
CODE_MAX_LENGTH = 60
_CODE = re.compile(CODE_PATTERN)
_SECTION = re.compile(r"^[A-U]$")
_DIVISION = re.compile(r"^[0-9]{2}$")
_LOOKALIKE_DIGITS = str.maketrans("lIoO", "1100")

#: Grouping levels: the code as written, its ISIC division (or section), its ISIC section.
Level = Literal["code", "division", "section"]
Kind = Literal["section", "division", "alias", "custom"]


class SectorVocabularyError(ValueError):
    """A sector vocabulary file that cannot be used: ``source`` (the file), ``where`` (the
    YAML path at fault, e.g. ``sectors.telecom.isic``; empty for the whole file) and
    ``reason``."""

    def __init__(self, source: str, where: str, reason: str) -> None:
        self.source, self.where, self.reason = source, where, reason
        super().__init__(f"{source}: {where}: {reason}" if where else f"{source}: {reason}")


@dataclass(frozen=True, slots=True)
class SectorEntry:
    """One sector code: its title, the ISIC Rev.4 code it stands for (its own code for ISIC
    codes, ``None`` for a code without ISIC mapping), its ISIC section and where it was
    defined (``isic``, the packaged aliases or a bundle's vocabulary file)."""

    code: str
    title: str
    kind: Kind
    isic: str | None
    section: str | None
    source: str

    @property
    def division_or_section(self) -> str:
        """The ISIC code this entry stands for, else the code itself (used by ``sector``)."""
        return self.isic if self.isic is not None else self.code

    @property
    def section_or_code(self) -> str:
        """The ISIC section, else the code itself (used by ``sector_section``)."""
        return self.section if self.section is not None else self.code


@dataclass(frozen=True)
class SectorVocabulary:
    """The sector codes in effect: ISIC Rev.4, the packaged aliases and bundle additions."""

    entries: Mapping[str, SectorEntry]
    sources: tuple[str, ...] = ()
    _folded: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        folded = {code.casefold(): code for code in self.entries}
        object.__setattr__(self, "_folded", folded)

    # --- look-ups --------------------------------------------------------------------------
    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def codes(self, kind: Kind | None = None) -> tuple[str, ...]:
        """The codes, in file order (sections and their divisions, aliases, bundle codes)."""
        return tuple(c for c, e in self.entries.items() if kind is None or e.kind == kind)

    def get(self, code: str) -> SectorEntry | None:
        return self.entries.get(code)

    def title(self, code: str) -> str | None:
        entry = self.entries.get(code)
        return entry.title if entry is not None else None

    def group_of(self, code: str, level: Level = "division") -> str:
        """The group a code falls in at ``level``: ``code`` (as written), ``division`` (the
        ISIC code it stands for: ``oil-gas`` -> ``06``, ``J`` -> ``J``) or ``section``
        (``oil-gas`` -> ``B``). Codes without ISIC mapping, and codes this vocabulary does
        not know, group as themselves."""
        entry = self.entries.get(code)
        if entry is None or level == "code":
            return code
        return entry.division_or_section if level == "division" else entry.section_or_code

    def groups(self, values: pd.Series, level: Level = "division") -> pd.Series:
        """:meth:`group_of` over a ``string`` series (missing values stay missing),
        vectorised through one mapping of the distinct codes."""
        text = values.astype("string")
        distinct = text.dropna().unique()
        mapping = {str(c): self.group_of(str(c), level) for c in distinct}
        return text.map(mapping).astype("string")

    # --- validation ------------------------------------------------------------------------
    def suggestions(self, code: str, limit: int = 3) -> list[str]:
        """Known codes close to ``code``: the same code in another case, a division written
        without its leading zero, close spellings of codes (difflib), and codes whose title
        contains or resembles the text."""
        import difflib  # on the error path only

        found: list[str] = []
        folded = code.casefold().strip()
        if folded in self._folded:
            found.append(self._folded[folded])
        if code.isdigit() and len(code) == 1 and code.zfill(2) in self.entries:
            found.append(code.zfill(2))
        digits = code.translate(_LOOKALIKE_DIGITS)  # "6l" -> "61", "O6" -> "06"
        if digits != code and digits in self.entries:
            found.append(digits)
        found += difflib.get_close_matches(code, list(self.entries), n=limit, cutoff=0.75)
        titles = {e.title.casefold(): c for c, e in self.entries.items()}
        if len(folded) >= 3:
            found += [c for t, c in titles.items() if re.search(rf"\b{re.escape(folded)}", t)]
            # a misspelt word of a code or title ("shiping" -> shipping-logistics)
            for c, e in self.entries.items():
                words = re.findall(r"[a-z]{3,}", f"{c} {e.title}".casefold())
                if difflib.get_close_matches(folded, words, n=1, cutoff=0.8):
                    found.append(c)
        found += [
            titles[t] for t in difflib.get_close_matches(folded, list(titles), n=limit, cutoff=0.6)
        ]
        return list(dict.fromkeys(found))[:limit]

    def message(self, code: str) -> str:
        """Why ``code`` is not accepted (without repeating it: problems show the value), with
        a "did you mean" when a known code is close."""
        codes = (
            "odes are ISIC Rev.4 sections (A-U) and divisions (01-99), aliases such as oil-gas, "
            "or codes in the bundle's vocabulary.yaml"
        )
        hints = self.suggestions(code)
        if not hints:
            return f"unknown sector code; c{codes}"
        shown = ", ".join(f"{h!r} ({self.entries[h].title})" for h in hints)
        return f"unknown sector code; did you mean {shown}? C{codes}"

    def check(self, code: str) -> str:
        """``code`` if known, else :class:`ValueError` with :meth:`message`."""
        if code in self.entries:
            return code
        raise ValueError(self.message(code))

    # --- extension -------------------------------------------------------------------------
    def extend(self, data: Any, source: str) -> SectorVocabulary:
        """A vocabulary with the codes of a ``vocabulary.yaml`` document added.

        ``data`` is ``{"sectors": {code: {"title": ..., "isic": ...}}}``; ``isic`` is
        optional and must be an ISIC Rev.4 section or division. Raises
        :class:`SectorVocabularyError` naming ``source`` and the YAML path at fault.
        """
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise SectorVocabularyError(
                source, "", f"expected a mapping with a 'sectors' key, got {type(data).__name__}"
            )
        extra = sorted(str(k) for k in data if k != "sectors")
        if extra:
            raise SectorVocabularyError(source, "", f"unknown keys {extra}; expected 'sectors'")
        sectors = data.get("sectors") or {}
        if not isinstance(sectors, Mapping):
            raise SectorVocabularyError(
                source, "sectors", "expected a mapping of codes to {title, isic}"
            )
        entries = dict(self.entries)
        for code, spec in sectors.items():
            where = f"sectors.{code}"
            if not isinstance(code, str) or not _CODE.match(code) or len(code) > CODE_MAX_LENGTH:
                raise SectorVocabularyError(
                    source,
                    where,
                    "a code is text of letters, digits and . _ - (at most "
                    f"{CODE_MAX_LENGTH} characters); write numbers in quotes",
                )
            if code in entries:
                known = entries[code]
                raise SectorVocabularyError(
                    source,
                    where,
                    f"code is already defined ({known.kind} {known.title!r} in "
                    f"{known.source}); choose another code",
                )
            if not isinstance(spec, Mapping):
                raise SectorVocabularyError(source, where, "expected a mapping with title and isic")
            unknown = sorted(str(k) for k in spec if k not in ("title", "isic"))
            if unknown:
                raise SectorVocabularyError(source, where, f"unknown keys {unknown}")
            title = spec.get("title")
            if not isinstance(title, str) or not title.strip():
                raise SectorVocabularyError(
                    source, f"{where}.title", "a non-empty title is required"
                )
            isic = _isic_code(spec.get("isic"))
            if isic is not None and (isic not in self.entries or not _is_isic(isic)):
                hints = [h for h in self.suggestions(isic) if _is_isic(h)]
                hint = f"; did you mean {hints[0]!r}?" if hints else ""
                raise SectorVocabularyError(
                    source,
                    f"{where}.isic",
                    f"{spec.get('isic')!r} is not an ISIC Rev.4 section (A-U) or division "
                    f"(01-99){hint}",
                )
            section = None if isic is None else self.entries[isic].section
            entries[code] = SectorEntry(code, title.strip(), "custom", isic, section, source)
        return SectorVocabulary(entries, (*self.sources, source))


def _is_isic(code: str) -> bool:
    return bool(_SECTION.match(code) or _DIVISION.match(code))


def _isic_code(value: Any) -> str | None:
    """An ``isic`` value as text: YAML reads an unquoted 61 as a number and 06 as 6."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) and 0 < value < 100:
        return f"{value:02d}"
    return str(value).strip()


def _packaged(data: Any, source: str) -> SectorVocabulary:
    """The vocabulary of the packaged ``isic4.yaml`` (sections, their divisions, aliases)."""
    entries: dict[str, SectorEntry] = {}
    for letter, spec in data["sections"].items():
        if not _SECTION.match(str(letter)):
            raise SectorVocabularyError(source, f"sections.{letter}", "not a section letter A-U")
        entries[letter] = SectorEntry(letter, spec["title"], "section", letter, letter, source)
        for code, title in spec["divisions"].items():
            if not isinstance(code, str) or not _DIVISION.match(code) or code in entries:
                raise SectorVocabularyError(
                    source, f"sections.{letter}.divisions.{code}", "a new two-digit code in quotes"
                )
            entries[code] = SectorEntry(code, title, "division", code, letter, source)
    for code, spec in data["aliases"].items():
        isic = _isic_code(spec.get("isic"))
        section = entries[isic].section if isic is not None else None
        entries[code] = SectorEntry(code, spec["title"], "alias", isic, section, source)
    return SectorVocabulary(entries, (source,))


@cache
def default_sector_vocabulary() -> SectorVocabulary:
    """The packaged codes: ISIC Rev.4 sections and divisions, and the short aliases."""
    text = resources.files("bhrscore.data").joinpath(ISIC_FILE).read_text("utf-8")
    return _packaged(
        yaml.load(text, Loader=FastSafeLoader), f"bhrscore:{ISIC_FILE}"
    )  # a safe loader


_ACTIVE: ContextVar[SectorVocabulary | None] = ContextVar(
    "bhrscore_sector_vocabulary", default=None
)


def active_sector_vocabulary() -> SectorVocabulary:
    """The vocabulary in effect: the one set by :func:`use_sector_vocabulary` (the loader
    sets the bundle's), else the packaged one."""
    active = _ACTIVE.get()
    return active if active is not None else default_sector_vocabulary()


@contextmanager
def use_sector_vocabulary(vocabulary: SectorVocabulary | None) -> Iterator[SectorVocabulary]:
    """Make ``vocabulary`` (``None``: the packaged one) the one validation reads, for the
    duration of the ``with`` block (this thread or task only)."""
    token = _ACTIVE.set(vocabulary)
    try:
        yield active_sector_vocabulary()
    finally:
        _ACTIVE.reset(token)


#: What functions accept as a vocabulary: ``None`` (the one in effect), a vocabulary, or the
#: path of a ``vocabulary.yaml`` (added to the packaged codes).
SectorVocabularyLike = SectorVocabulary | str | Path | None


def load_sector_vocabulary(
    spec: SectorVocabularyLike = None, base: SectorVocabulary | None = None
) -> SectorVocabulary:
    """The vocabulary in effect (``None``), ``spec`` itself, or ``base`` (default: the
    packaged codes) extended by the vocabulary file at ``spec``. Errors name the file and the
    YAML path (:class:`SectorVocabularyError`)."""
    if isinstance(spec, SectorVocabulary):
        return spec
    if spec is None:
        return active_sector_vocabulary()
    path = Path(spec)
    try:
        data = safe_load(path.read_text("utf-8"))  # yaml.safe_load with a nesting limit
    except yaml.YAMLError as exc:
        raise SectorVocabularyError(str(path), "", f"not valid YAML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SectorVocabularyError(str(path), "", reason) from None
    start = base if base is not None else default_sector_vocabulary()
    return start.extend(data, str(path))


def bundle_vocabulary_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The ``vocabulary.yaml`` files of the bundle directories among ``paths`` (each once)."""
    found: dict[Path, Path] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for name in BUNDLE_VOCABULARY_FILES:
                if (path / name).is_file():
                    found.setdefault((path / name).resolve(), path / name)
    return list(found.values())


def bundle_sector_vocabulary(
    paths: Sequence[str | os.PathLike[str]],
) -> tuple[SectorVocabulary, list[Problem]]:
    """The packaged codes plus those of every bundle's ``vocabulary.yaml``, and one located
    problem per file that cannot be used (its codes are then not added, so records using
    them are rejected too, and strict loading fails)."""
    vocabulary = default_sector_vocabulary()
    problems: list[Problem] = []
    for path in bundle_vocabulary_files(paths):
        try:
            vocabulary = load_sector_vocabulary(path, vocabulary)
        except SectorVocabularyError as exc:
            where = exc.where or None
            problems.append(
                Problem(
                    str(path),
                    exc.reason,
                    code="bad-vocabulary",
                    pointer="/" + where.replace(".", "/") if where else None,
                    field=where,
                )
            )
    return vocabulary, problems


# --- validation hooks ----------------------------------------------------------------------


def _number_to_code(value: Any) -> Any:
    """A spreadsheet number or JSON number 6 or 61 -> the division code ``"06"``/``"61"``
    (a number cell cannot keep a leading zero); anything else is left to validation."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and 0 < value < 100:
        return f"{value:02d}"
    if isinstance(value, float) and value.is_integer() and 0 < value < 100:
        return f"{int(value):02d}"
    return value


def _known_code(value: str, info: ValidationInfo) -> str:
    vocabulary = None
    if isinstance(info.context, Mapping):
        vocabulary = info.context.get("sector_vocabulary")
    if not isinstance(vocabulary, SectorVocabulary):
        vocabulary = active_sector_vocabulary()
    return vocabulary.check(value)


def _schema_examples() -> list[str]:
    return list(default_sector_vocabulary().codes())


#: A sector code checked against the vocabulary in effect. The JSON Schema carries the
#: pattern and the packaged codes as ``examples`` (not an ``enum``: bundles add codes).
SectorCode = Annotated[
    str,
    Field(
        pattern=CODE_PATTERN,
        max_length=CODE_MAX_LENGTH,
        description=(
            "Sector code: an ISIC Rev.4 section (A-U) or division (01-99), e.g. J or 61; an "
            "alias such as oil-gas (ISIC 06); or a code from the bundle's vocabulary.yaml"
        ),
        examples=_schema_examples(),
    ),
    # after the Field, so that the schema keeps the pattern; still runs before str checks
    BeforeValidator(_number_to_code),
    TextUnchanged("numbers become division codes; text is left as it is"),
    AfterValidator(_known_code),
    # the columnar loader's twin of _known_code: codes of the vocabulary in effect
    in_vocabulary(lambda: active_sector_vocabulary().entries, "sector code"),
]


BoolArray = npt.NDArray[np.bool_]


def check_sector_codes(
    values: pd.Series,
    vocabulary: SectorVocabulary | None = None,
    *,
    list_column: bool | None = None,
) -> BoolArray:
    """Vectorised check of a column of sector codes: ``True`` where a row holds a code the
    vocabulary (default: the one in effect) does not know.

    ``values`` is a scalar column (``group.sector``) or a list column (``sectors``) of tuples
    or lists of codes, or of text joined with ``|`` as read from a flat file.
    ``list_column=None`` treats the column as a list column when it holds tuples or lists.
    Missing values and empty lists are fine. Each distinct value is looked up once; use
    :meth:`SectorVocabulary.message` for the text of an error about a code.
    """
    vocab = vocabulary if vocabulary is not None else active_sector_vocabulary()
    known = frozenset(vocab.entries)
    if list_column is None:
        list_column = bool(values.map(lambda v: isinstance(v, tuple | list)).any())
    if not list_column:
        text = values.astype("string")
        return np.asarray((text.notna() & ~text.isin(known)).to_numpy(bool, na_value=False))
    codes, distinct = pd.factorize(values.map(_as_items), use_na_sentinel=True)
    bad = np.fromiter((any(c not in known for c in v) for v in distinct), bool, len(distinct))
    return np.asarray(np.where(codes >= 0, bad[np.maximum(codes, 0)], False), dtype=bool)


def _as_items(value: Any) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        return tuple(str(v).strip() for v in value)
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(LIST_DELIMITER) if v.strip())
    return ()
