"""Bootstrap replicates of the evidence as replicate-stacked selections.

A replicate resamples each company's records: record ``i`` appears ``K[i, r]`` times in
replicate ``r``, with ``K ~ Poisson(1)`` independently per record and replicate (the Poisson
bootstrap, which approximates resampling each company's records with replacement and needs no
per-company loop). A block of ``R`` replicates is scored in one pass: every selection is
*stacked* -- each selected row repeated ``K[i, r]`` times for replicate ``r``, with company
code ``r * n + c`` -- so a rule sees ``R * n`` companies and works unchanged (see
:class:`bhrscore.rubric.rules.RuleContext`). Rows are repeated rather than weighted by their
multiplicity so that every aggregate -- ``max``, ``any`` and ``latest`` as much as ``sum`` and
``mean`` -- sees a true resample.

Multiplicities are a hash of (seed, replicate number, record id), not a stream of random
draws: the same record has the same multiplicity in every rule and penalty of a replicate,
results do not depend on row order or block size, and a company's replicates do not change
when other companies' records are added.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from .selection import Selection

U64 = npt.NDArray[np.uint64]
#: P(K <= k) for K ~ Poisson(1), k = 0..11; the remaining mass (< 1e-9) counts as 12.
_POISSON_CDF = np.cumsum([np.exp(-1.0) / float(np.prod(np.arange(1, k + 1))) for k in range(12)])
#: The same as thresholds on a uniform 64-bit integer.
_POISSON_THRESHOLDS = np.array([int(c * 2.0**64) for c in _POISSON_CDF], dtype=np.uint64)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: (record, replicate) cells hashed at once when every record's multiplicity is computed
_SLICE_CELLS = 262_144


def _mix(x: U64) -> U64:
    """splitmix64's finaliser: a fast, well-spread 64-bit hash (wrapping arithmetic)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def record_keys(ids: np.ndarray) -> U64:
    """A 64-bit key per record id: FNV-1a over the id's characters (vectorised over all ids,
    one pass per character position), then mixed. The padding of shorter ids is skipped, so a
    key depends on its id alone, not on the longest id beside it (a partition of the records,
    :mod:`bhrscore.backends`, gets the same keys as the whole set). ASCII ids (the usual
    case) are read from their bytes in Arrow, without a numpy text array."""
    if len(ids) == 0:
        return np.zeros(0, dtype=np.uint64)
    ascii_key = _ascii_keys(ids)
    if ascii_key is not None:
        return _mix(ascii_key)
    text = np.asarray(ids, dtype=object).astype("U")
    chars = text.view(np.uint32).reshape(len(text), -1)
    key = np.full(len(text), _FNV_OFFSET)
    with np.errstate(over="ignore"):
        for j in range(chars.shape[1]):
            c = chars[:, j]
            step = (key ^ c.astype(np.uint64)) * _FNV_PRIME
            key = np.where(c != 0, step, key)  # ids never hold NUL: 0 is padding
    return _mix(key)


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def _ascii_keys(ids: np.ndarray) -> U64 | None:
    """FNV-1a of :func:`record_keys` (before mixing) for ids that are all ASCII text without
    NUL, from their UTF-8 bytes (a byte is then its character's code point); None for other
    ids (the text-array path answers them)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(np.asarray(ids, dtype=object), type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if arr.null_count or not pc.all(pc.string_is_ascii(arr)).as_py():
        return None
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    data = (
        np.frombuffer(arr.buffers()[2], dtype=np.uint8)
        if arr.buffers()[2]
        else np.zeros(0, np.uint8)
    )
    data = data[offsets[0] : offsets[-1]]
    if bool((data == 0).any()):
        return None
    starts = offsets[:-1] - offsets[0]
    lengths = np.diff(offsets)
    shortest, longest = int(lengths.min()), int(lengths.max())
    key = np.full(len(arr), _FNV_OFFSET)
    with np.errstate(over="ignore"):
        if shortest == longest:  # ids of one length: a matrix of bytes, no gathers
            chars = data.reshape(len(arr), longest) if longest else None
            for j in range(longest):
                assert chars is not None
                np.bitwise_xor(key, chars[:, j], out=key, casting="unsafe")
                np.multiply(key, _FNV_PRIME, out=key)
            return key
        for j in range(longest):
            if j < shortest:
                np.bitwise_xor(key, data[starts + j], out=key, casting="unsafe")
                np.multiply(key, _FNV_PRIME, out=key)
            else:
                at = np.flatnonzero(lengths > j)
                key[at] = (key[at] ^ data[starts[at] + j].astype(np.uint64)) * _FNV_PRIME
    return key


@dataclass(frozen=True)
class Replicates:
    """Replicates ``first .. first + count - 1`` of the bootstrap with ``seed``; ``keys``
    holds :func:`record_keys` of the prepared rows."""

    keys: U64
    seed: int
    first: int
    count: int

    def streams(self) -> U64:
        r = np.arange(self.first, self.first + self.count, dtype=np.uint64)
        with np.errstate(over="ignore"):
            seed = np.array([self.seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)
            base = _mix(seed * _GOLDEN + np.uint64(1))
            return _mix(base ^ (r * _GOLDEN + np.uint64(0x632BE59BD9B4E019)))

    def multiplicity(self, rows: np.ndarray) -> npt.NDArray[np.uint8]:
        """``len(rows) x count`` Poisson(1) multiplicities of the prepared rows."""
        return self._counts(self.keys[rows], self.streams())

    @staticmethod
    def _counts(keys: U64, streams: U64) -> npt.NDArray[np.uint8]:
        """Multiplicities of records with ``keys`` in the replicates of ``streams``: the hash
        of each (record, replicate) computed in place in one 64-bit buffer, then compared
        with the thresholds."""
        h = np.add.outer(keys, streams)
        tmp = np.empty_like(h)
        with np.errstate(over="ignore"):
            h ^= np.right_shift(h, np.uint64(32), out=tmp)
            h *= np.uint64(0xD6E8FEB86659FD93)
            h ^= np.right_shift(h, np.uint64(32), out=tmp)
        # K = number of thresholds at or below h: compare with the first four (K <= 3 for
        # 98 % of cells), look the rest up
        flat = h.ravel()
        k = np.greater_equal(flat, _POISSON_THRESHOLDS[0]).view(np.uint8)
        step = tmp.ravel().view(np.bool_)[: flat.size]  # a bool buffer in the spare space
        for threshold in _POISSON_THRESHOLDS[1:4]:
            k += np.greater_equal(flat, threshold, out=step)
        rest = np.flatnonzero(k == 4)
        k[rest] = np.searchsorted(_POISSON_THRESHOLDS, flat[rest], side="right")
        counts: npt.NDArray[np.uint8] = k.reshape(h.shape)
        return counts

    @cached_property
    def _every(self) -> npt.NDArray[np.uint8]:
        """:meth:`multiplicity` of every prepared row, computed once per block: the
        selections of a block overlap (indicators, screenings, penalties, ``when`` cases
        read the same records), so hashing each record once is cheaper than once per
        selection. Hashed in slices of rows, so that the 64-bit temporaries stay small."""
        out = np.empty((len(self.keys), self.count), dtype=np.uint8)
        step = max(1, _SLICE_CELLS // max(self.count, 1))
        streams = self.streams()
        for first in range(0, len(self.keys), step):
            out[first : first + step] = self._counts(self.keys[first : first + step], streams)
        return out

    def _offsets(self, companies: int) -> npt.NDArray[Any]:
        """``companies * r`` for the replicates ``r`` of this block, computed as the stacking
        always computed it (32-bit replicate numbers times a Python int)."""
        reps = np.arange(self.count, dtype=np.int32 if self.count < 2**31 else np.int64)
        offsets: npt.NDArray[Any] = companies * reps
        return offsets

    def expand(self, sel: Selection, companies: int) -> Selection:
        """``sel`` stacked over the replicates: row ``i`` repeated ``K[i, r]`` times with
        company code ``r * companies + c`` (rows stay in id order)."""
        return self.expand_positions(sel, companies)[0]

    def expand_positions(
        self, sel: Selection, companies: int
    ) -> tuple[Selection, npt.NDArray[np.integer]]:
        """:meth:`expand`, and for each stacked row its position in ``sel`` (what callers
        need to carry per-row data of ``sel`` over to the stacked rows)."""
        if len(sel) == 0:
            return sel, np.zeros(0, dtype=np.int64)
        # row-major: row i, then replicate r (np.take of whole rows: far faster than fancy
        # indexing of a narrow 2-d array)
        counts = np.take(self._every, sel.rows, axis=0)
        # each cell repeated K times (cells with K = 0 vanish), in row-major order: the
        # stacked rows' positions in ``sel`` repeat each row by its total over the
        # replicates, and their company offsets (``companies * r``) repeat the cells'
        # offsets -- no division of the cell numbers. Positions as intp: every gather by
        # them (here and by the callers) would otherwise convert them first (np.take of
        # int32 positions is ten times slower)
        per_row = np.add.reduce(counts, axis=1, dtype=np.intp)
        pos = np.repeat(np.arange(len(sel), dtype=np.intp), per_row)
        offsets = self._offsets(companies)
        shift = np.repeat(np.tile(offsets, len(sel)), counts.ravel())
        company = np.take(sel.company, pos)
        wide = np.result_type(company.dtype, offsets.dtype)  # what ``company + shift`` gives
        if company.dtype != wide:
            company = company.astype(wide)
        company += shift
        stacked = Selection(np.take(sel.rows, pos), company, np.take(sel.weight, pos))
        return stacked, pos
