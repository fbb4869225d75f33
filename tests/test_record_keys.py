"""``replicates.record_keys``: FNV-1a (64-bit) over each id's code points, then splitmix64's
finaliser, the same for the ASCII fast path (bytes read in Arrow) and the text-array path
(other ids), checked against a plain-Python reference of that arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from bhrscore.rubric.replicates import record_keys

MASK = (1 << 64) - 1


def _reference(text: str) -> int:
    key = 0xCBF29CE484222325  # FNV-1a offset basis
    for ch in text:
        if ord(ch):  # NUL counts as padding, as in a numpy text array
            key = ((key ^ ord(ch)) * 0x100000001B3) & MASK  # FNV prime, wrapping
    key ^= key >> 30  # splitmix64 finaliser
    key = (key * 0xBF58476D1CE4E5B9) & MASK
    key ^= key >> 27
    key = (key * 0x94D049BB133111EB) & MASK
    return key ^ (key >> 31)


@pytest.mark.parametrize(
    "ids",
    [
        ["k0-syn-e0000001", "k0-syn-e0000002", "k0-syn-e0000003"],  # one length
        ["e1", "e22", "a-much-longer-record-id", "x"],  # mixed lengths
        ["e1"],
        ["", "e1"],  # an empty id: the offset basis, mixed
        ["évidence-1", "e2"],  # non-ASCII: the text path
        ["证据-7", "ev-\u00e9"],
        ["a\x00b", "ab"],  # a NUL inside: skipped like padding (text path)
    ],
)
def test_record_keys_match_reference(ids: list[str]) -> None:
    got = record_keys(np.array(ids, dtype=object))
    assert got.dtype == np.uint64
    assert got.tolist() == [_reference(i) for i in ids]


def test_record_keys_of_a_slice_and_of_no_ids() -> None:
    ids = np.array([f"rec-{i}" for i in range(1, 300)], dtype=object)
    assert record_keys(ids[50:60]).tolist() == [_reference(i) for i in ids[50:60]]
    assert record_keys(np.array([], dtype=object)).size == 0
