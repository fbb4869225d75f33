"""The privacy pre-filter (bhrscore.evidence.privacy._candidates) searches blocks of rows at a
time and finds ``%`` and non-ASCII entries from the text's bytes: it must agree with a plain
row-by-row search, and with the exact pattern, wherever a name sits (block edges, sliced and
chunked Arrow arrays, missing and empty entries, non-ASCII text)."""

from __future__ import annotations

import unicodedata
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from bhrscore.evidence import privacy
from bhrscore.evidence.privacy import _BLOCK, Privacy, _candidates, _prefilter, opaque_id

POLICY = Privacy(("José Núñez Ejemplo", "Zarina Fictionova"))


def row_by_row(values: list[str | None], names: tuple[str, ...]) -> list[bool]:
    """The pre-filter one row at a time: ASCII rows lower-cased, the others normalised in
    full (NFKD, no marks or format characters, lower case, ß as ss), and every row with a
    ``%``."""
    pattern = _prefilter(names)
    out = []
    seen: dict[str, bool] = {}
    for v in values:
        if v is None:
            out.append(False)
            continue
        if v in seen:
            out.append(seen[v])
            continue
        arr = pa.array([v])
        if v.isascii():
            text = pc.ascii_lower(arr)
        else:
            text = pc.utf8_normalize(arr, form="NFKD")
            text = pc.replace_substring_regex(text, pattern="[\\pM\\p{Cf}]", replacement="")
            text = pc.replace_substring(pc.utf8_lower(text), pattern="ß", replacement="ss")
        found = pc.match_substring_regex(text, pattern=pattern)[0].as_py()
        seen[v] = bool(found) or "%" in v
        out.append(seen[v])
    return out


def exact(values: list[str | None]) -> list[bool]:
    pattern = POLICY.pattern
    assert pattern is not None
    return [v is not None and pattern.search(v) is not None for v in values]


def column(n: int) -> list[str | None]:
    """``n`` entries of plain text, with names, ``%``, non-ASCII text and missing values at
    block edges and in between."""
    values: list[str | None] = [f"k0-syn-e{i % 7:07d} plain text" for i in range(n)]
    placed: dict[int, str | None] = {
        0: "Jose Nunez Ejemplo",
        _BLOCK - 1: "ends with zarina fictionova",
        _BLOCK: "JOSE-NUNEZ-EJEMPLO-2021",
        _BLOCK + 1: None,
        _BLOCK + 2: "",
        _BLOCK + 3: "Straße 5, 40% of workers",
        # a non-ASCII letter between the tokens: not a name (the ASCII rows' pattern, whose
        # gap is any non-ASCII-alphanumeric, finds it; the row's normalised search does not)
        _BLOCK + 4: "ZarinaжFictionova and JoséλNunezéjemplo",
        3 * _BLOCK - 3: "zarinaжfictionova",
        2 * _BLOCK - 2: "Zarina",  # a name split across two rows: no match
        2 * _BLOCK - 1: "Fictionova wrote",
        2 * _BLOCK + 5: unicodedata.normalize("NFD", "José Núñez Ejemplo"),
        2 * _BLOCK + 6: "ＺＡＲＩＮＡ ＦＩＣＴＩＯＮＯＶＡ",
        2 * _BLOCK + 7: "Zari\u200bna Fictionova",
        2 * _BLOCK + 8: "Jos%C3%A9%20N%C3%BA%C3%B1ez%20Ejemplo",
        2 * _BLOCK + 9: "Ejemplo Núñez Company",
        n - 1: "last: Fictionova, Zarina",
    }
    for i, v in placed.items():
        if 0 <= i < n:
            values[i] = v
    return values


@pytest.mark.parametrize("literals", [0, privacy._LITERALS])
@pytest.mark.parametrize("n", [0, 1, 5, _BLOCK, 2 * _BLOCK + 10, 3 * _BLOCK + 1])
def test_block_search_agrees_with_a_row_by_row_search(
    n: int, literals: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the blocks first searched for the names' literals (a few names) and without
    (many names: straight to the pattern)."""
    monkeypatch.setattr(privacy, "_LITERALS", literals)
    values = column(n)
    found = _candidates(pd.Series(values, dtype="string"), POLICY.names)
    assert found.tolist() == row_by_row(values, POLICY.names)
    # a superset of the exact matches, and the exact search keeps only those
    assert not (np.array(exact(values), dtype=bool) & ~found).any()
    assert POLICY._hits(pd.Series(values, dtype="string")).tolist() == exact(values)


def test_names_split_across_rows_are_not_matched() -> None:
    values = column(3 * _BLOCK)
    hits = POLICY._hits(pd.Series(values, dtype="string"))
    assert hits.tolist().count(True) == 8  # rows 0, B - 1, B, 2B + 5 to 2B + 8, 3B - 1
    assert [hits[0], hits[_BLOCK - 1], hits[_BLOCK], hits[3 * _BLOCK - 1]] == [True] * 4


@pytest.mark.parametrize("layout", ["sliced", "chunked", "object", "python"])
def test_sliced_chunked_and_object_columns_agree(layout: str) -> None:
    values = column(2 * _BLOCK + 20)
    series: Any
    if layout == "sliced":  # an Arrow array that starts at an offset into its buffers
        whole = pa.array(["Zarina Fictionova x", *values], type=pa.large_string()).slice(1)
        series = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([whole])))
    elif layout == "chunked":
        cut = _BLOCK + 3
        chunks = [pa.array(values[:cut], pa.string()), pa.array(values[cut:], pa.string())]
        series = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks)))
    elif layout == "object":
        series = pd.Series(values, dtype=object)
    else:
        series = pd.Series(values, dtype=pd.StringDtype("python"))
    assert _candidates(series, POLICY.names).tolist() == row_by_row(values, POLICY.names)
    assert POLICY._hits(series).tolist() == exact(values)


@pytest.mark.parametrize("values", [[None, None], ["", ""], ["", None, "%"], ["ünïcödé only", "ß"]])
def test_missing_empty_and_non_ascii_only_columns(values: list[str | None]) -> None:
    found = _candidates(pd.Series(values, dtype="string"), POLICY.names)
    assert found.tolist() == row_by_row(values, POLICY.names)


@pytest.mark.parametrize("storage", ["pyarrow", "python"])
def test_only_the_rows_with_a_name_are_rewritten_alike_in_both_storages(storage: str) -> None:
    """Entries holding a name are replaced in Arrow (Arrow-backed text) or through an object
    array (Python-backed text): the same cells either way, the others as they were."""
    texts = [None, "José Núñez Ejemplo was held", "plain", "Zürich office", "zarina fictionova"]
    urls = [None, "https://news.example/jose-nunez-ejemplo", "https://example.org/ünï", None, "x"]
    titles = ["t0", "On Zarina Fictionova", None, None, "t4"]
    ids = ["e0", "jose-nunez-ejemplo-2021", "e2", "e3", "e4"]
    with pd.option_context("mode.string_storage", storage):
        text, hit = POLICY.text_series(pd.Series(texts, dtype="string"))
        assert text.dtype.storage == storage
        url, url_hit = POLICY.url_series(
            pd.Series(urls, dtype="string"), pd.Series(titles, dtype="string")
        )
        id_, id_hit = POLICY.id_series(pd.Series(ids, dtype="string"))
    assert text.tolist() == [pd.NA, "[redacted] was held", "plain", "Zürich office", "[redacted]"]
    assert hit.tolist() == [False, True, False, False, True]
    assert url.tolist() == [
        pd.NA, "[link removed] news.example: On [redacted]", "https://example.org/ünï", pd.NA, "x"
    ]  # fmt: skip
    assert url_hit.tolist() == [False, True, False, False, False]
    assert id_.tolist() == ["e0", opaque_id("jose-nunez-ejemplo-2021"), "e2", "e3", "e4"]
    assert id_hit.tolist() == [False, True, False, False, False]


@pytest.mark.parametrize(("literals", "runs"), [(0, 16), (4, 16), (4, 1), (4, 0)])
def test_only_blocks_holding_a_literal_are_searched_alike(
    literals: int, runs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks without a name's literal (``ejemplo``, ``fictionova``), blocks with it in every
    row but a name in one only, a block with a name: the pattern decides where a literal is,
    as without the literals; the runs of such blocks searched as slices, or (too many
    runs) every block searched."""
    monkeypatch.setattr(privacy, "_LITERALS", literals)
    monkeypatch.setattr(privacy, "_RUNS", runs)
    values: list[str | None] = [f"plain row {i % 7}" for i in range(5 * _BLOCK)]
    values[_BLOCK : 2 * _BLOCK] = [f"fictionova row {i % 7}" for i in range(_BLOCK)]
    values[_BLOCK + 7] = "Zarina-Fictionova"
    values[3 * _BLOCK + 9] = "ejemplo nunez jose"
    values[4 * _BLOCK + 1] = "Zarina Ejemplo"  # literals of two names, no name
    found = _candidates(pd.Series(values, dtype="string"), POLICY.names)
    assert found.tolist() == row_by_row(values, POLICY.names)
    assert np.flatnonzero(found).tolist() == [_BLOCK + 7, 3 * _BLOCK + 9]
