"""Read and parse a bundle's JSON Lines evidence while the program is still importing.

A command that loads evidence spends its first half second importing pandas, pydantic and
the models, on one core; the JSON parse (``pyarrow.json``, outside the interpreter lock)
then runs after it. :func:`start` reads the evidence file and parses it on a thread as soon
as the command knows its paths, with the Arrow schema written out below (this module
imports nothing heavy, so the thread starts before the models exist). The loader then takes
the file's bytes and, if the schema it derives from the models is the same, the parsed
table (:func:`take`, :func:`parsed`); otherwise it parses as always. Nothing is decided
here: the loader checks everything it checked before, on the same bytes, so the records,
problems and messages are the same with or without the head start.

Only one file is read ahead: a regular ``evidence*.jsonl``/``.ndjson`` file between
:data:`MIN_BYTES` and :data:`MAX_BYTES` (larger files are read in blocks, and holding one
whole would raise the peak memory). A file that changed between the read and the load
(size, modification or status-change time, or inode) is read again.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import pyarrow as pa

#: files smaller than this are parsed in the time a thread takes to start (not worth it)
MIN_BYTES = 4 * 1024**2
#: files larger than this are read in blocks by the loader (``read_json._block_bytes``)
MAX_BYTES = 80 * 1024**2
#: pyarrow parses in blocks of this many bytes, on several threads (the loader's too)
ARROW_BLOCK_BYTES = 1 << 24
#: whether the parse ahead uses Arrow's thread pool (the same table either way): one thread
#: leaves the other core to the imports, and its peak memory is about 65 MB lower (measured)
PARSE_THREADS = False

SUFFIXES = (".jsonl", ".ndjson")

#: a field type: "s" string, "i" int64, "f" float64, "b" bool; ``[t]`` a list of ``t``; a
#: tuple of (name, type) pairs a struct
Spec: TypeAlias = "str | list[Spec] | tuple[tuple[str, Spec], ...]"

_SOURCE: Spec = (
    ("url", "s"),
    ("title", "s"),
    ("publisher", "s"),
    ("published", "s"),
    ("type", "s"),
)

#: the Arrow schema the loader derives for evidence (``read_json.arrow_schema("evidence")``)
#: from the built-in kinds, written out; ``tests/test_prefetch.py`` checks it is the same
EVIDENCE: tuple[tuple[str, Spec], ...] = (
    ("kind", "s"),
    ("id", "s"),
    ("company_id", "s"),
    ("date", "s"),
    ("country", "s"),
    ("region", "s"),
    ("site", "s"),
    ("summary", "s"),
    ("status", "s"),
    ("reliability", "s"),
    ("sensitive", "b"),
    ("persons", ["s"]),
    ("tags", ["s"]),
    ("event", "s"),
    ("outcome", "s"),
    ("workers_covered", "i"),
    ("amount", "f"),
    ("currency", "s"),
    ("pay_period", "s"),
    ("relative_to_peers", "s"),
    ("workers_affected", "i"),
    ("action", "s"),
    ("target_role", "s"),
    ("targets", "i"),
    ("actor", "s"),
    ("company_involvement", "s"),
    ("trigger", "s"),
    ("remedy", "s"),
    ("statement_type", "s"),
    ("topics", ["s"]),
    ("standards", ["s"]),
    ("strength", "s"),
    ("framework", "s"),
    ("question_id", "s"),
    ("answer", "s"),
    ("value", "f"),
    ("group", (("description", "s"), ("origin_group", "s"), ("sector", "s"))),
    ("period", (("start", "s"), ("end", "s"))),
    ("company_response", (("status", "s"), ("date", "s"), ("summary", "s"), ("url", "s"))),
    ("union", (("name", "s"), ("status", "s"))),
    ("benchmark", (("type", "s"), ("amount", "f"))),
    ("arrears", (("amount", "f"), ("days", "i"), ("workers_affected", "i"))),
    ("gap", (("type", "s"), ("ratio", "f"))),
    ("sources", [_SOURCE]),
)


def arrow_type(spec: Spec) -> pa.DataType:
    """The Arrow type a :data:`Spec` stands for."""
    import pyarrow as pa

    if isinstance(spec, str):
        return {"s": pa.string(), "i": pa.int64(), "f": pa.float64(), "b": pa.bool_()}[spec]
    if isinstance(spec, list):
        return pa.list_(arrow_type(spec[0]))
    return pa.struct([pa.field(name, arrow_type(inner)) for name, inner in spec])


def spec_of(typ: pa.DataType) -> Spec:
    """The :data:`Spec` of an Arrow type (the inverse of :func:`arrow_type`; ValueError for
    a type no JSON schema of the models produces)."""
    import pyarrow as pa

    codes = {pa.string(): "s", pa.int64(): "i", pa.float64(): "f", pa.bool_(): "b"}
    if typ in codes:
        return codes[typ]
    if pa.types.is_list(typ):
        return [spec_of(typ.value_type)]
    if pa.types.is_struct(typ):
        return tuple((typ.field(i).name, spec_of(typ.field(i).type)) for i in range(typ.num_fields))
    raise ValueError(f"no spec for Arrow type {typ}")


def evidence_schema() -> pa.Schema:
    """:data:`EVIDENCE` as an Arrow schema."""
    import pyarrow as pa

    return pa.schema([pa.field(name, arrow_type(spec)) for name, spec in EVIDENCE])


#: device, inode, size, modification and status-change times (ns): ``cp -p`` over the file
#: can keep the first four, nothing a user runs can set the last
Identity: TypeAlias = tuple[int, int, int, int, int]


@dataclass
class Prefetch:
    """One file read ahead: its bytes once :attr:`read` is set, and the table parsed from
    them once :attr:`done` is set (None if the parse failed)."""

    path: Path
    identity: Identity  # before the read
    data: bytes = b""
    table: pa.Table | None = None
    schema: pa.Schema | None = None
    wanted: bool = True  # False once the loader parses the bytes itself (:meth:`discard`)
    read: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def table_for(self, body: bytes | bytearray, schema: pa.Schema) -> pa.Table | None:
        """The table parsed from exactly ``body`` with ``schema``, handed over once (None:
        parse it yourself: other bytes, another schema, or the parse failed). Waits for
        the parse."""
        if body is not self.data:
            return None
        self.done.wait()
        table, self.table = self.table, None
        if table is None or self.schema is None or not self.schema.equals(schema):
            return None
        return table

    def discard(self) -> None:
        """The loader parses the bytes itself (some lines need Python): let the table go now,
        or as soon as the parse ends, instead of holding it through the loader's parse."""
        self.wanted = False
        self.table = None


_PENDING: dict[tuple[int, int], Prefetch] = {}
_LOCK = threading.Lock()


def _identity(st: os.stat_result) -> Identity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _fits(st: os.stat_result) -> bool:
    return stat.S_ISREG(st.st_mode) and MIN_BYTES <= st.st_size <= MAX_BYTES


def candidates(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The regular JSON Lines evidence files ``paths`` name (directly or as bundle
    directories) with a size in [:data:`MIN_BYTES`, :data:`MAX_BYTES`], largest first.
    Never opens anything: a FIFO or a device is not a candidate."""
    found: list[tuple[int, str, Path]] = []
    for given in paths:
        path = Path(given)
        try:
            entries = list(path.iterdir()) if path.is_dir() else [path]
        except OSError:
            continue
        for entry in entries:
            name = entry.name.lower()
            if not name.startswith("evidence") or not name.endswith(SUFFIXES):
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            if _fits(st):
                found.append((-st.st_size, str(entry), entry))
    return [p for _, _, p in sorted(found)]


def start(paths: Sequence[str | os.PathLike[str]]) -> Prefetch | None:
    """Read and parse the largest candidate file of ``paths`` on a thread (None: there is
    none). Any failure there only means the loader reads or parses the file itself."""
    files = candidates(paths)
    if not files:
        return None
    try:
        st = files[0].stat()
    except OSError:
        return None
    if not _fits(st):  # replaced since it was listed
        return None
    job = Prefetch(files[0], _identity(st))
    key = (st.st_dev, st.st_ino)
    with _LOCK:
        _PENDING.clear()  # one file read ahead at a time: an earlier one not loaded is let go
        _PENDING[key] = job
    try:
        threading.Thread(target=_run, args=(job,), name="bhrscore-prefetch").start()
    except RuntimeError:  # no thread to be had (interpreter shutting down, thread limit)
        with _LOCK:
            _PENDING.pop(key, None)
        return None
    return job


def _read(job: Prefetch) -> None:
    try:
        # Non-blocking: a FIFO put in the file's place must not hold the thread (which the
        # process waits for at exit) in open(); the identity check then turns it away.
        fd = os.open(job.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if _identity(os.fstat(fh.fileno())) == job.identity:
                data = fh.read()
                if _identity(os.fstat(fh.fileno())) == job.identity:
                    job.data = data
    except OSError:
        pass
    finally:
        job.read.set()


def _run(job: Prefetch) -> None:
    try:
        _read(job)
        if job.data and not job.data.startswith(b"\xef\xbb\xbf"):  # the loader skips a BOM
            import pyarrow as pa
            import pyarrow.json as pj

            schema = evidence_schema()
            table = pj.read_json(
                pa.BufferReader(pa.py_buffer(job.data)),
                read_options=pj.ReadOptions(
                    block_size=ARROW_BLOCK_BYTES, use_threads=PARSE_THREADS
                ),
                parse_options=pj.ParseOptions(
                    explicit_schema=schema, unexpected_field_behavior="infer"
                ),
            )
            job.schema, job.table = schema, table
            if not job.wanted:  # discarded while it was parsed
                job.table = None
    except Exception:  # the loader parses the file itself (and reports what is wrong)
        job.table = None
    finally:
        job.read.set()
        job.done.set()


def take(fh: Any) -> Prefetch | None:
    """The prefetch of the open file ``fh`` if it was read ahead, whole, and is unchanged
    since (same device, inode, size and modification time); each is taken once. Waits for
    the read (not the parse)."""
    try:
        st = os.fstat(fh.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    with _LOCK:
        job = _PENDING.pop((st.st_dev, st.st_ino), None)
    if job is None:
        return None
    job.read.wait()
    if job.identity != _identity(st) or len(job.data) != st.st_size or not job.data:
        return None
    return job
