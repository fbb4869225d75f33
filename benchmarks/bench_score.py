"""Scoring benchmark: the engine against a hand-written vectorised pandas floor.

Synthetic data (``bhrscore.synthetic``: fictional companies) at 100k and 1M evidence records
for 10,000 companies, scored with the labour-rights rubric 1.1.0 (``rubrics/archive/``; the
floor was written for it; 2.0.0 differs only in how silence and sufficiency are handled).
The floor computes the same scores with plain pandas written for this one rubric (no
provenance, no registry, no validation): the best one could do by hand. Prints both times,
their ratio (target: engine within 2x of the floor; the engine without the per-company
intervals, which the floor does not compute), the 1M/100k scaling, and checks that both agree
numerically. Then the cost of the per-company intervals (``score``'s default bootstrap) with
the default rubric (2.0.0: screenings and silences included), over the same score without them.
The evidence-set hash recorded in score cards is timed separately (it is not scoring).

``--stages`` adds the stages of ``bhrscore brief`` that belong to scoring and comparison: the
bootstrap replicates alone, the privacy policy (``Privacy.of``), and the two comparisons of
the briefing (by origin group and by sector) against their floor: drawing the same random
numbers (permutation keys and bootstrap indices, seeded) without any statistic, measured in
the same run. The draws are fixed by the seed, so the comparisons cannot go below it without
changing the published p-values and intervals.

Run: ``python benchmarks/bench_score.py [--sizes 100000 1000000] [--companies 10000]
[--stages]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bhrscore.evidence.frame import Frames
from bhrscore.rubric import default_rubric, load_rubric, score
from bhrscore.synthetic import DEFAULT_AS_OF, synthetic_frames

AS_OF = DEFAULT_AS_OF
RUBRIC = Path(__file__).resolve().parents[1] / "rubrics" / "archive" / "labour-rights-1.1.0.yaml"
STATUS_W = {
    "verified": 1.0,
    "corroborated": 0.75,
    "alleged": 0.5,
    "disputed": 0.25,
    "retracted": 0.0,
}
RELIABILITY_W = {"high": 1.0, "medium": 0.8, "low": 0.5}
INVOLVEMENT_W = {"caused": 1.0, "contributed": 0.75, "directly_linked": 0.5}
REPRESENTATIVES = ["union_leader", "defender", "journalist", "lawyer", "family_member"]
SEVERE = [
    "arrest_detention",
    "criminal_charge",
    "physical_attack",
    "killing",
    "leadership_ban",
    "family_reprisal",
]


def _contains(col: pd.Series, values: list[str]) -> pd.Series:
    # list cells repeat a few combinations: test each distinct tuple once
    codes, uniques = pd.factorize(col)
    hit = np.array([any(v in u for v in values) for u in uniques] + [False], dtype=bool)
    return pd.Series(hit[codes], index=col.index)


COLUMNS = [
    "company_id", "kind", "status", "reliability", "effective_date", "event", "union.status",
    "benchmark.type", "benchmark_ratio", "relative_to_peers", "gap.type", "gap.ratio",
    "arrears.amount", "arrears.days", "arrears.workers_affected", "actor",
    "company_involvement", "remedy", "target_role", "action", "statement_type", "topics",
    "strength", "company_response.status",
]  # fmt: skip


def floor(frames: Frames, as_of: dt.date) -> pd.Series:
    """Total score per company for the default rubric, in plain pandas."""
    ids = frames.companies["id"].astype("string").sort_values().to_numpy()
    idx = pd.Index(ids, name="company_id")
    ev = frames.evidence[COLUMNS]
    ev = ev[ev["company_id"].notna()]
    age = (pd.Timestamp(as_of) - ev["effective_date"]).dt.days.to_numpy()
    start = pd.Timestamp(as_of.replace(year=as_of.year - 15))
    w = (
        ev["status"].map(STATUS_W).astype(float).to_numpy()
        * ev["reliability"].map(RELIABILITY_W).astype(float).fillna(0.8).to_numpy()
        * 0.5 ** (age / (365.25 * 6))
    )
    keep = (ev["effective_date"] >= start) & (ev["effective_date"] <= pd.Timestamp(as_of)) & (w > 0)
    ev = ev[keep.to_numpy()].assign(w=w[keep.to_numpy()])
    kind = ev["kind"]

    def wmean(mask: pd.Series, value: pd.Series) -> pd.Series:
        sel = mask & value.notna()
        d = pd.DataFrame(
            {"c": ev["company_id"][sel], "wv": ev["w"][sel] * value[sel], "w": ev["w"][sel]}
        )
        g = d.groupby("c")[["wv", "w"]].sum()
        return (g["wv"] / g["w"]).reindex(idx)

    def wsum(mask: pd.Series, value: pd.Series | float = 1.0) -> pd.Series:
        v = ev["w"][mask] * (value[mask] if isinstance(value, pd.Series) else value)
        return v.groupby(ev["company_id"][mask]).sum().reindex(idx)

    def wmax(mask: pd.Series, value: pd.Series | None = None) -> pd.Series:
        v = ev["w"][mask] if value is None else value[mask]
        return v.groupby(ev["company_id"][mask]).max().reindex(idx)

    def lin(x: pd.Series, lo: float, hi: float) -> pd.Series:
        return (100 * (x - lo) / (hi - lo)).clip(0, 100)

    ud, wage, ret, st = (
        (kind == "union_dialogue"),
        (kind == "wage"),
        (kind == "retaliation"),
        (kind == "statement"),
    )
    event_map = {
        "recognition": 100,
        "collective_agreement": 100,
        "negotiation": 75,
        "meeting": 50,
        "request_ignored": 0,
        "refusal_to_meet": 0,
        "lockout": 0,
    }
    dialogue_record = wmean(ud, ev["event"].map(event_map).astype(float)).fillna(0)
    indep = (
        ud
        & ev["event"].isin(["recognition", "collective_agreement", "negotiation"])
        & (ev["union.status"] == "independent")
    )
    independent = (100 * wmax(indep)).fillna(0)
    dialogue = 0.6 * dialogue_record + 0.4 * independent

    living = lin(
        wmean(wage & (ev["benchmark.type"] == "living_wage"), ev["benchmark_ratio"].astype(float)),
        0.5,
        1.0,
    ).fillna(0)
    peer_map = {"lowest": 0, "below": 25, "similar": 50, "above": 75, "highest": 100}
    peer = wmean(wage, ev["relative_to_peers"].map(peer_map).astype(float)).fillna(0)
    gap = lin(
        wmean(wage & (ev["gap.type"] == "local_vs_expatriate"), ev["gap.ratio"].astype(float)),
        0.5,
        1.0,
    ).fillna(0)
    arrears_mask = wage & (
        ev["arrears.amount"].notna()
        | ev["arrears.days"].notna()
        | ev["arrears.workers_affected"].notna()
    )
    arrears = (100 - 50 * wsum(arrears_mask)).clip(0, 100).fillna(100)
    wages = 0.35 * living + 0.25 * peer + 0.15 * gap + 0.25 * arrears

    reprisal = ret & (
        ev["actor"].isin(["company", "security_contractor"])
        | ev["company_involvement"].isin(["caused", "contributed"])
    )
    harm = (
        ev["remedy"]
        .map({"none": 1.0, "charges_dropped": 0.75, "reinstated": 0.5, "compensated": 0.5})
        .astype(float)
        .fillna(1.0)
    )
    reprisals = (100 - 50 * wsum(reprisal, harm)).clip(0, 100).fillna(100)
    reps = (100 - 100 * wmax(reprisal & ev["target_role"].isin(REPRESENTATIVES))).fillna(100)
    retaliation = 0.6 * reprisals + 0.4 * reps
    inv_w = ev["company_involvement"].map(INVOLVEMENT_W).astype(float).fillna(0.5) * ev["w"]
    lethal = ret & (ev["action"] == "killing") & ev["company_involvement"].notna()
    lethal_cap = (100 - 100 * wmax(lethal, inv_w)).reindex(idx)
    retaliation = np.fmin(retaliation, lethal_cap)

    policy = st & (ev["statement_type"] == "policy_commitment")
    topics = ev["topics"]
    foa_mask = policy & _contains(topics, ["freedom_of_association", "collective_bargaining"])
    strength = ev["strength"].map({"explicit": 100.0, "general": 60.0}).astype(float).fillna(60.0)
    foa = wmax(foa_mask, strength).fillna(0)
    nonret = (100 * wmax(policy & _contains(topics, ["non_retaliation", "defenders"]))).fillna(0)
    lw = (100 * wmax(policy & _contains(topics, ["living_wage"]))).fillna(0)
    resp_mask = (ud | wage | ret) & ev["company_response.status"].notna()
    unanswered = (
        ev["company_response.status"]
        .map({"responded": 0.0, "declined": 0.75, "no_response": 1.0, "invited": 0.0})
        .astype(float)
    )
    # linear 0..2 inverted: 100 - 50 x weighted unanswered allegations; none = 100
    responds = (100 - 50 * wsum(resp_mask, unanswered)).clip(0, 100).fillna(100)
    statements = 0.35 * foa + 0.25 * nonret + 0.15 * lw + 0.25 * responds

    claims = policy & _contains(
        topics, ["freedom_of_association", "collective_bargaining", "non_retaliation", "defenders"]
    )
    has_claim = ev["company_id"][claims].drop_duplicates()
    contra = reprisal | (ud & ev["event"].isin(["request_ignored", "refusal_to_meet", "lockout"]))
    say_do = (100 - 100 * wmax(contra).fillna(0)).where(idx.isin(has_claim))

    num = (
        0.25 * dialogue
        + 0.25 * wages
        + 0.3 * retaliation
        + 0.1 * statements
        + 0.1 * say_do.fillna(0)
    )
    total = num / (0.9 + 0.1 * say_do.notna())
    severe = reprisal & ev["action"].isin(SEVERE)
    points = (10 * wmax(severe, inv_w)).fillna(0)
    return (total - points).clip(lower=0)


def _draw_counts(comparisons: list[Any]) -> tuple[int, int]:
    """Random numbers the comparisons draw: permutation keys and bootstrap indices."""
    keys = indices = 0
    for comp in comparisons:
        opts = comp.options
        at_least = opts["min_n_interval"]
        n = comp.groups["n"].astype(int)
        indices += int(n[n >= at_least].sum()) * opts["resamples"]
        pairs = comp.pairwise
        a, b = pairs["n_a"].astype(int), pairs["n_b"].astype(int)
        tested = (a > 0) & (b > 0)
        keys += int((a + b)[tested].sum()) * opts["permutations"]
        both = (a >= at_least) & (b >= at_least)
        indices += int((a + b)[both].sum()) * opts["resamples"]
    return keys, indices


def _draw(keys: int, indices: int) -> None:
    """Draw ``keys`` uniforms and ``indices`` bounded integers, in blocks of 2M."""
    rng = np.random.default_rng(0)
    for total, draw in ((keys, rng.random), (indices, lambda k: rng.integers(0, 1000, k))):
        while total > 0:
            step = min(total, 2_000_000)
            draw(step)
            total -= step


def stages(frames: Frames, repeat: int) -> None:
    """Replicates, privacy policy and the briefing's two comparisons (with their floor)."""
    from bhrscore.analysis.compare import compare
    from bhrscore.evidence.privacy import Privacy
    from bhrscore.rubric.engine import prepare, replicate_totals
    from bhrscore.rubric.uncertainty import resolve_uncertainty

    default = default_rubric()
    options = resolve_uncertainty(True)
    assert options is not None
    prep = prepare(frames, default.policies, AS_OF)
    t_rep, _ = timed(lambda: replicate_totals(prep, default, AS_OF, options), repeat)
    t_priv, _ = timed(lambda: Privacy.of(frames), repeat)
    card = score(frames, default, AS_OF, evidence_hash="-")
    t_cmp, comps = timed(
        lambda: [compare(card, by=k, evidence=frames) for k in ("origin_group", "sector")],
        repeat,
    )
    keys, indices = _draw_counts(comps)
    t_draw, _ = timed(lambda: _draw(keys, indices), repeat)
    print(
        f"{'':>10} replicate totals ({options.replicates}): {t_rep:7.3f} s;"
        f" Privacy.of: {t_priv:7.3f} s"
    )
    print(
        f"{'':>10} compare by origin group + by sector: {t_cmp:7.3f} s; floor (their"
        f" {keys / 1e6:.0f}M permutation keys and {indices / 1e6:.0f}M bootstrap indices"
        f" drawn): {t_draw:7.3f} s, ratio {t_cmp / t_draw:5.2f}x"
    )


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-hash", action="store_true", help="do not time the evidence hash")
    parser.add_argument(
        "--skip-uncertainty", action="store_true", help="do not time the per-company intervals"
    )
    parser.add_argument(
        "--stages", action="store_true", help="time replicates, privacy and comparisons too"
    )
    args = parser.parse_args()
    rubric = load_rubric(RUBRIC)
    default = default_rubric()
    engine_times: dict[int, float] = {}
    print(
        f"rubric {rubric.id} {rubric.version}, {args.companies:,} companies, best of {args.repeat}"
    )
    for n in args.sizes:
        frames = synthetic_frames(args.companies, n, seed=args.seed)
        t_engine, card = timed(
            lambda f=frames: score(f, rubric, AS_OF, evidence_hash="-", uncertainty=False),
            args.repeat,
        )
        t_floor, totals = timed(lambda f=frames: floor(f, AS_OF), args.repeat)
        engine_totals = card.companies.set_index("company_id")["total"].astype(float)
        diff = float(
            np.nanmax(
                np.abs(engine_totals.to_numpy() - totals.reindex(engine_totals.index).to_numpy())
            )
        )
        agree = diff < 1e-9
        engine_times[n] = t_engine
        print(
            f"{n:>10,} records: engine {t_engine:7.3f} s, floor {t_floor:7.3f} s,"
            f" ratio {t_engine / t_floor:5.2f}x (target <= 2x), max |diff| {diff:.2e}"
            f" {'OK' if agree else 'MISMATCH'}"
        )
        if not agree:
            raise SystemExit("engine and floor disagree")
        if not args.skip_uncertainty:
            t_plain, _ = timed(
                lambda f=frames: score(f, default, AS_OF, evidence_hash="-", uncertainty=False),
                args.repeat,
            )
            t_unc, with_intervals = timed(
                lambda f=frames: score(f, default, AS_OF, evidence_hash="-"), args.repeat
            )
            reps = with_intervals.meta.options["uncertainty"]["replicates"]
            extra = t_unc - t_plain
            print(
                f"{'':>10} default rubric {default.version}: {t_plain:7.3f} s; with per-company"
                f" intervals ({reps} bootstrap replicates, the default): {t_unc:7.3f} s, i.e."
                f" +{extra:.3f} s ({extra / reps * 1000:.1f} ms per replicate)"
            )
        if not args.skip_hash:
            t_hash, _ = timed(frames.content_hash, 1)
            print(f"{'':>10} evidence hash (Frames.content_hash, in the card): {t_hash:7.3f} s")
        if args.stages:
            stages(frames, args.repeat)
    if len(engine_times) >= 2:
        small, large = min(engine_times), max(engine_times)
        scale = engine_times[large] / engine_times[small]
        print(
            f"scaling {large:,}/{small:,} records: {scale:.2f}x time for {large / small:.0f}x data"
        )


if __name__ == "__main__":
    main()
