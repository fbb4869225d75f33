"""The Dask backend gives the pandas backend's score card (within 1e-9), from an evidence set
in memory and from a Parquet dataset partitioned by company; bad datasets fail with the file
named; the CLI's ``--backend dask``. One small in-process LocalCluster serves every test."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import distributed  # the dev extra installs it: these tests never skip
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bhrscore import (
    default_rubric,
    load_evidence,
    open_dataset,
    score,
    synthetic_frames,
    write_parquet_dataset,
)
from bhrscore.backends.dataset import DatasetError
from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.frame import Frames
from bhrscore.rubric.scorecard import ScoreCard
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
KAZAKHSTAN = ROOT / "examples" / "kazakhstan"
KZ_AS_OF = dt.date(2026, 11, 23)
AS_OF = dt.date(2025, 12, 31)  # the synthetic generator's default as-of date
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    """Two in-process workers of one thread (no subprocesses: fast to start)."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def frames() -> Frames:
    """Fictional companies and records, 1 % of them group-level testimony."""
    return synthetic_frames(30, 900, seed=11)


@pytest.fixture(scope="module")
def expected(frames: Frames) -> ScoreCard:
    """The pandas backend's card of ``frames``."""
    return score(frames, default_rubric(), AS_OF)


@pytest.fixture(scope="module")
def kazakhstan() -> EvidenceSet:
    return load_evidence(KAZAKHSTAN)


def assert_same(a: ScoreCard, b: ScoreCard) -> None:
    """Every table of the two cards equal: numbers within 1e-9, everything else exactly."""
    for name in ("companies", "nodes", "indicators", "penalties", "unused"):
        x, y = getattr(a, name), getattr(b, name)
        assert list(x.columns) == list(y.columns), name
        assert len(x) == len(y), name
        pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=0, atol=TOLERANCE, obj=name)
    mine = {k: v for k, v in b.meta.options.items() if k != "backend"}
    assert mine == a.meta.options
    assert b.meta.options["backend"]["name"] == "dask"


def assert_competition_ranks(card: ScoreCard) -> None:
    """Ranks over all companies, whatever partition they were scored in: 1 + the number of
    ranked companies with a strictly higher total; none for insufficient companies."""
    c = card.companies
    ranked = c["rank"].notna().to_numpy()
    sufficient = c["sufficient"].to_numpy(dtype=bool)
    total = c["total"].to_numpy(dtype=float, na_value=np.nan)
    assert (ranked == (sufficient & ~np.isnan(total))).all()
    for rank, t in zip(c["rank"][ranked].astype(int), total[ranked], strict=True):
        assert rank == 1 + int((total[ranked] > t).sum())


def test_in_memory_partitions_give_the_pandas_card(
    frames: Frames, expected: ScoreCard, client: distributed.Client
) -> None:
    rubric = default_rubric()
    got = score(frames, rubric, AS_OF, backend="dask", scheduler=client, partitions=2)
    assert got.meta.options["backend"]["partitions"] == 2
    assert_same(expected, got)
    assert got.meta.evidence_hash == expected.meta.evidence_hash  # same frames, same hash
    assert_competition_ranks(got)
    # the intervals come from every company's replicates: present, and around the total
    assert got.companies["total_low"].notna().all()
    assert (got.companies["total_low"] <= got.companies["total"] + TOLERANCE).all()


def test_parquet_dataset_gives_the_pandas_card(
    frames: Frames, expected: ScoreCard, client: distributed.Client, tmp_path: Path
) -> None:
    rubric = default_rubric()
    root = write_parquet_dataset(frames, tmp_path / "ds", records_per_file=300)
    dataset = open_dataset(root)
    assert len(dataset.files) >= 2  # 900 records in files of at least 300
    named = [  # partitioned by company: no company in two files
        set(pq.read_table(f, columns=["company_id"]).column(0).drop_null().to_pylist())
        for f in dataset.files
    ]
    assert sum(len(n) for n in named) == len(set().union(*named))
    got = score(root, rubric, AS_OF, backend="dask", scheduler=client)
    assert got.meta.options["backend"]["partitions"] == len(dataset.files)
    assert_same(expected, got)
    assert_competition_ranks(got)
    # companies without records are scored too, once
    assert sorted(got.companies["company_id"]) == sorted(frames.companies["id"])


def test_kazakhstan_example_gives_the_pandas_card(
    kazakhstan: EvidenceSet, client: distributed.Client, tmp_path: Path
) -> None:
    rubric = default_rubric()
    expected = score(kazakhstan, rubric, KZ_AS_OF)
    got = score(kazakhstan, rubric, KZ_AS_OF, backend="dask", scheduler=client, partitions=2)
    assert_same(expected, got)
    root = write_parquet_dataset(kazakhstan, tmp_path / "kz", records_per_file=25)
    assert len(open_dataset(root).files) >= 2
    assert_same(expected, score(root, rubric, KZ_AS_OF, backend="dask", scheduler=client))


def test_uncertainty_off(kazakhstan: EvidenceSet, client: distributed.Client) -> None:
    rubric = default_rubric()
    got = score(kazakhstan, rubric, KZ_AS_OF, backend="dask", scheduler=client, uncertainty=False)
    assert got.companies["total_low"].isna().all()
    assert_same(score(kazakhstan, rubric, KZ_AS_OF, uncertainty=False), got)


# --- bad datasets: the file is named -----------------------------------------------------


def _rewrite(file: Path, change: dict[str, pa.Array]) -> None:
    table = pq.read_table(file)
    for name, values in change.items():
        table = table.set_column(table.column_names.index(name), name, values)
    pq.write_table(table, file)


def test_a_company_split_over_files_is_refused(
    frames: Frames, client: distributed.Client, tmp_path: Path
) -> None:
    root = write_parquet_dataset(frames, tmp_path / "ds", records_per_file=200)
    first, second = open_dataset(root).files[:2]
    moved = pq.read_table(first, columns=["company_id"]).column(0)[0].as_py()
    n = pq.read_table(second).num_rows
    _rewrite(second, {"company_id": pa.array([moved] * n, pa.string())})
    with pytest.raises(DatasetError, match="partitioned by company") as info:
        score(root, default_rubric(), AS_OF, backend="dask", scheduler=client)
    assert first.name in str(info.value)
    assert second.name in str(info.value)
    assert moved in str(info.value)


def test_a_record_id_in_two_files_is_refused(
    frames: Frames, client: distributed.Client, tmp_path: Path
) -> None:
    root = write_parquet_dataset(frames, tmp_path / "ds", records_per_file=200)
    files = open_dataset(root).files
    ids = pq.read_table(files[0], columns=["id"]).column(0).to_pylist()
    last = pq.read_table(files[-1], columns=["id"]).column(0).to_pylist()
    _rewrite(files[-1], {"id": pa.array([ids[0], *last[1:]], pa.string())})
    with pytest.raises(DatasetError, match="duplicate evidence ids") as info:
        score(root, default_rubric(), AS_OF, backend="dask", scheduler=client)
    assert ids[0] in str(info.value)
    assert files[0].name in str(info.value)
    assert files[-1].name in str(info.value)


def test_a_value_outside_the_vocabulary_names_file_and_column(
    frames: Frames, client: distributed.Client, tmp_path: Path
) -> None:
    root = write_parquet_dataset(frames, tmp_path / "ds", records_per_file=200)
    file = open_dataset(root).files[1]
    n = pq.read_table(file).num_rows
    _rewrite(file, {"status": pa.array(["Alleged"] * n, pa.string())})  # upper-cased
    with pytest.raises(DatasetError, match="status") as info:
        score(root, default_rubric(), AS_OF, backend="dask", scheduler=client)
    assert file.name in str(info.value)
    assert "Alleged" in str(info.value)


def test_unknown_company_and_bad_manifest(
    frames: Frames, client: distributed.Client, tmp_path: Path
) -> None:
    root = write_parquet_dataset(frames, tmp_path / "ds", records_per_file=200)
    file = open_dataset(root).files[0]
    n = pq.read_table(file).num_rows
    _rewrite(file, {"company_id": pa.array(["nobody-fictional"] * n, pa.string())})
    with pytest.raises(DatasetError, match="unknown companies: 'nobody-fictional'"):
        score(root, default_rubric(), AS_OF, backend="dask", scheduler=client)
    manifest = root / "bhrscore-dataset.json"
    doc = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**doc, "files": ["../outside.parquet"]}))
    with pytest.raises(DatasetError, match="outside the dataset directory"):
        open_dataset(root)
    with pytest.raises(DatasetError, match="not a bhrscore Parquet dataset"):
        open_dataset(tmp_path)


def test_writer_refuses_a_non_empty_directory(frames: Frames, tmp_path: Path) -> None:
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "keep.txt").write_text("x")
    with pytest.raises(DatasetError, match="not an empty directory"):
        write_parquet_dataset(frames, tmp_path / "ds")


def test_unknown_backend_lists_the_known_ones(frames: Frames) -> None:
    with pytest.raises(ValueError, match=r"unknown scoring backend 'spark' \(known: pandas, dask"):
        score(frames, default_rubric(), AS_OF, backend="spark")


# --- the CLI -----------------------------------------------------------------------------


def test_cli_backend_dask_prints_the_pandas_table(
    kazakhstan: EvidenceSet,
    client: distributed.Client,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = ["score", "--as-of", KZ_AS_OF.isoformat(), "--format", "csv"]
    code, expected, _ = run_cli([*base, str(KAZAKHSTAN)], capsys)
    assert code == 0
    address = client.scheduler.address
    root = write_parquet_dataset(kazakhstan, tmp_path / "kz", records_per_file=25)
    code, got, err = run_cli(
        [*base, str(root), "--backend", "dask", "--scheduler", address], capsys
    )
    assert code == 0, err
    assert got == expected


def test_cli_bad_dataset_exits_1_without_traceback(
    kazakhstan: EvidenceSet,
    client: distributed.Client,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = write_parquet_dataset(kazakhstan, tmp_path / "kz", records_per_file=25)
    shutil.copy(root / "companies.parquet", root / "evidence" / "part-000000.parquet")
    args = ["score", str(root), "--as-of", "2026-11-23", "--backend", "dask"]
    code, out, err = run_cli([*args, "--scheduler", client.scheduler.address], capsys)
    assert code == 1
    assert "part-000000.parquet" in err
    assert "Traceback" not in err + out


def test_cli_usage_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run_cli(["score", str(KAZAKHSTAN), "--workers", "2"], capsys)
    assert code == 2
    assert "--backend dask" in err
    code, _, err = run_cli(
        ["score", str(KAZAKHSTAN), "--backend", "dask", "--as-of", "2025-01-01,2026-01-01"], capsys
    )
    assert code == 2
    assert "one --as-of date" in err
    code, _, err = run_cli(
        ["score", str(KAZAKHSTAN), "--backend", "dask", "--worker-memory", "lots"], capsys
    )
    assert code == 2
    assert "not a size" in err
    monkeypatch.setitem(sys.modules, "distributed", None)  # the extra not installed
    code, _, err = run_cli(["score", str(KAZAKHSTAN), "--backend", "dask"], capsys)
    assert code == 2
    assert "pip install 'bhrscore[dask]'" in err


def test_record_keys_do_not_depend_on_the_other_ids() -> None:
    """A partition must draw the same bootstrap multiplicities as the whole set: a record's
    key is its id's alone, whatever the longest id beside it."""
    from bhrscore.rubric.replicates import record_keys

    alone = record_keys(np.array(["e1", "e22"], dtype=object))
    beside_longer = record_keys(np.array(["e1", "e22", "a-much-longer-record-id"], dtype=object))
    assert (alone == beside_longer[:2]).all()
    assert alone[0] != alone[1]


def test_more_partitions_than_companies(
    kazakhstan: EvidenceSet, client: distributed.Client
) -> None:
    """17 companies in at most 17 partitions (empty ones are dropped); group-level records
    ride with the last."""
    rubric = default_rubric()
    got = score(kazakhstan, rubric, KZ_AS_OF, backend="dask", scheduler=client, partitions=40)
    assert got.meta.options["backend"]["partitions"] <= len(kazakhstan.frames().companies)
    assert_same(score(kazakhstan, rubric, KZ_AS_OF), got)


def test_backend_options_need_a_backend_that_takes_them(frames: Frames) -> None:
    with pytest.raises(TypeError, match="the pandas backend takes no option scheduler"):
        score(frames, default_rubric(), AS_OF, scheduler="tcp://127.0.0.1:1")


def test_smallest_p_value_of_large_groups_does_not_overflow() -> None:
    """Found by benchmarks/bench_e2e.py: comparing groups of 10,000 companies (1M records)
    crashed ``bhrscore brief`` (a float of C(20000, 10000) overflows)."""
    from bhrscore.analysis.compare import _min_p

    assert _min_p(3, 3) == pytest.approx(0.1)  # 2 of the C(6, 3) = 20 splits
    assert _min_p(2, 3) == pytest.approx(0.1)  # 1 of the C(5, 2) = 10 splits
    assert _min_p(10_000, 10_000) == 0.0  # 2 / C(20000, 10000) underflows to 0


def test_dataset_cards_are_redacted_by_default(client: distributed.Client, tmp_path: Path) -> None:
    from tests.conftest import company, record

    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "companies.jsonl").write_text(json.dumps(company()) + "\n", encoding="utf-8")
    named = record(id="ud-zarina-fictionova-2024", sensitive=True, persons=["Zarina Fictionova"])
    (bundle / "evidence.jsonl").write_text(json.dumps(named) + "\n", encoding="utf-8")
    root = write_parquet_dataset(load_evidence(bundle), tmp_path / "dataset")
    rubric = default_rubric()

    def ids(card: ScoreCard) -> str:
        return " ".join(str(v) for v in card.indicators["evidence_ids"].tolist())

    redacted = score(root, rubric, AS_OF, backend="dask", scheduler=client)
    assert "zarina" not in ids(redacted).lower()
    assert redacted.meta.options["personal_data"] == "redacted"
    included = score(
        root, rubric, AS_OF, backend="dask", scheduler=client, include_personal_data=True
    )
    assert "ud-zarina-fictionova-2024" in ids(included)
