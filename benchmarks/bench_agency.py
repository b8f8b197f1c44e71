"""JoinedUp's address linkage (engine.linkage.link_addresses, used as a black box) against the agency
bench of benchmarks/gen_agency_bench.py: a synthetic council gazetteer and records from council tax,
the electoral register, housing benefit, environmental health and business rates, each with its truth.

    .venv/bin/python benchmarks/bench_agency.py [--seeds 11 12] [--records 5000] [--streets 170]
                                                [--bench opendata|tenement|commercial|rural]

``--bench opendata``: the open-data bench of benchmarks/gen_opendata_bench.py instead (records as
EPC, Price Paid, food hygiene, rating-list, Companies House, patient and police extracts write
addresses; a Welsh town, a London borough, a university town; seeds 21 and up).
``--bench tenement``: the Scottish bench of benchmarks/gen_tenement_bench.py (Glasgow and Edinburgh
tenements, towers, halls, HMOs and care homes, as council tax, the assessors' roll, Scottish EPCs,
housing associations, HMO and landlord registers, NHS Scotland and police Scotland write them;
seeds 31 and up).
``--bench commercial``: the non-domestic bench of benchmarks/gen_commercial_bench.py (shopping
centres, kiosks, office floors and suites, arches, markets, business parks, flats over shops, as
business rates, food hygiene, fire safety audits, premises licences, Companies House, trading
standards, planning enforcement and a BID levy write them; seeds 61 and up).
``--bench rural``: the rural England and Wales bench of benchmarks/gen_rural_bench.py (named houses,
farms and their outbuildings, unnamed roads, park homes, Welsh and bilingual names, as council
tax, the electoral register, EPC, Price Paid, fire safety visits, septic tank and private water
supply registers and farm holdings write them; seeds 51 and up).

For each seed (gazetteer seed s, records seed s + 1) it prints precision and recall by error class and
by agency, overall and without the unrecoverable records (text that is letter for letter another real
address), how many unmatched records were placed on their street (match_level 'street'), then the
first wrong links and a sample of misses grouped by class, so that failures can be read. With
several seeds it ends with the pooled tables.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_agency_bench  # noqa: E402
import gen_commercial_bench  # noqa: E402
import gen_opendata_bench  # noqa: E402
import gen_rural_bench  # noqa: E402
import gen_tenement_bench  # noqa: E402
from common import plugin_importable  # noqa: E402
from gen_agency_bench import gazetteer_layer, quality  # noqa: E402

# (both benches make their gazetteer and records by the same interface)
BENCHES = {"agency": gen_agency_bench, "opendata": gen_opendata_bench, "tenement": gen_tenement_bench,
           "commercial": gen_commercial_bench, "rural": gen_rural_bench}

N_WRONG = 40
N_MISSES = 40


def link(records: pd.DataFrame, gaz: pd.DataFrame) -> pd.DataFrame:
    plugin_importable()
    from joinedup.engine.linkage import link_addresses

    out, _rep = link_addresses(records[["record_id", "agency", "address", "postcode"]], gazetteer_layer(gaz),
                               address_fields=["address"], postcode_field="postcode", ref_uprn_field="uprn",
                               ref_address_fields=["address"], ref_postcode_field="postcode",
                               ref_parent_field="parent_uprn", ref_class_field="class_code",
                               ref_usrn_field="usrn")
    return out


def street_level(records: pd.DataFrame, out: pd.DataFrame, gaz: pd.DataFrame) -> str:
    """How the unmatched records were placed on streets (match_level 'street'), checked against the
    USRN of their true address where the gazetteer has it, and against the bench's new streets."""
    usrn_of = dict(zip(gaz["uprn"].astype("int64"), gaz["usrn"].astype("int64")))
    level = out["match_level"].to_numpy()
    unmatched = out["matched_uprn"].isna().to_numpy()
    street = level == "street"
    truth = records["true_uprn"].reset_index(drop=True)
    known = street & truth.notna().to_numpy()
    true_usrn = truth[known].map(lambda u: usrn_of.get(int(u))).to_numpy()
    right = int((pd.to_numeric(pd.Series(list(out["matched_usrn"][known]))).to_numpy() == true_usrn).sum())
    new = records["error_class"].str.contains("new_street").to_numpy()
    return (f"street level: {int(street.sum())} of {int(unmatched.sum())} unmatched records placed on a street; "
            f"{right} of {int(known.sum())} with a true address on its street (USRN); "
            f"{int((street & new).sum())} of {int(new.sum())} on a new street placed")


def table(df: pd.DataFrame) -> str:
    return df.to_string(index=False, float_format=lambda v: f"{v:.3f}")


def overall(q: pd.DataFrame) -> str:
    r = q[q.iloc[:, 0] == "all"].iloc[0]
    return (f"records {r['records']}, links {r['links']}, right {r['right']}, precision {r['precision']:.3f}, "
            f"recall {r['recall']:.3f}, false links {r['false_links']}")


def spread(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """Up to n rows taken in turn from each error class (shuffled with the seed), so that rare kinds of
    failure are shown next to the common ones."""
    rng = np.random.default_rng(seed)
    df = df.iloc[rng.permutation(len(df))]
    df = df.assign(_turn=df.groupby("error_class").cumcount())
    return df.sort_values(["_turn"], kind="stable").head(n).sort_values(["error_class", "record_id"])


def counts(df: pd.DataFrame) -> str:
    return ", ".join(f"{k} {v}" for k, v in df["error_class"].value_counts().items())


def show_failures(records: pd.DataFrame, out: pd.DataFrame, gaz: pd.DataFrame, seed: int) -> None:
    address = dict(zip(gaz["uprn"].astype("int64"), gaz["address"]))
    matched = pd.to_numeric(pd.Series(list(out["matched_uprn"]), dtype=object), errors="coerce").astype("Int64")
    df = records.reset_index(drop=True).copy()
    df["matched"] = matched.values
    for col in ("match_level", "match_method", "unmatched_reason"):
        df[col] = list(out[col]) if col in out else None
    truth = df["true_uprn"]
    linked = df["matched"].notna()
    wrong = df[linked & (truth.isna() | (df["matched"] != truth).fillna(True))]
    print(f"\n-- wrong links: {len(wrong)} ({counts(wrong)}); {min(N_WRONG, len(wrong))} shown, classes in turn")
    for r in spread(wrong, N_WRONG, seed).itertuples():
        flag = " unrecoverable" if r.unrecoverable else ""
        print(f"  [{r.error_class}{flag}] {r.agency}: {r.address!r} pc={r.postcode}")
        print(f"      linked ({r.match_method}, {r.match_level}): {address.get(int(r.matched), '?')}")
        truth_text = address.get(int(r.true_uprn)) if pd.notna(r.true_uprn) else "(not in the gazetteer)"
        print(f"      truth ({r.true_level}): {truth_text}")
    misses = df[truth.notna() & ~linked]
    print(f"\n-- misses: {len(misses)} of {int(truth.notna().sum())} records with a true UPRN ({counts(misses)}); "
          f"{min(N_MISSES, len(misses))} shown, classes in turn")
    for cls, part in spread(misses, N_MISSES, seed).groupby("error_class"):
        print(f"  {cls}")
        for r in part.itertuples():
            print(f"    [{r.agency}] {r.address!r} pc={r.postcode} -> {r.unmatched_reason}")
            print(f"        truth ({r.true_level}): {address.get(int(r.true_uprn), '?')}")


def run(bench, seed: int, n_records: int, n_streets: int | None) -> tuple:
    gaz = bench.make_gazetteer(seed=seed, **({"n_streets": n_streets} if n_streets else {}))
    records = bench.make_records(gaz, n=n_records, seed=seed + 1)
    start = time.perf_counter()
    out = link(records, gaz)
    seconds = time.perf_counter() - start
    if len(out) != len(records):
        raise SystemExit(f"link_addresses returned {len(out)} rows for {len(records)} records")
    matched = out["matched_uprn"]
    print(f"\n==== seed {seed}: gazetteer {len(gaz)} rows, {len(records)} records "
          f"({records['true_uprn'].isna().mean():.1%} without a true UPRN, "
          f"{records['unrecoverable'].mean():.1%} unrecoverable); linked in {seconds:.1f} s")
    print("\n-- by error class")
    by_class = quality(matched, records)
    rec_only = quality(matched, records, recoverable_only=True)
    by_class = by_class.merge(rec_only[["error_class", "precision", "recall"]].rename(
        columns={"precision": "P_recov", "recall": "R_recov"}), on="error_class", how="left")
    print(table(by_class))
    print("\n-- by agency")
    print(table(quality(matched, records, by="agency")))
    print(f"\noverall:                  {overall(quality(matched, records))}")
    print(f"without unrecoverable:    {overall(rec_only)}")
    print(street_level(records, out, gaz))
    show_failures(records, out, gaz, seed)
    return records, matched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", choices=sorted(BENCHES), default="agency")
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--streets", type=int, help="streets in the gazetteer (the bench's own default)")
    args = parser.parse_args()
    pooled_records, pooled_matched = [], []
    seeds = args.seeds or [{"agency": 11, "opendata": 21, "tenement": 31, "rural": 51, "commercial": 61}[args.bench]]
    for seed in seeds:
        records, matched = run(BENCHES[args.bench], seed, args.records, args.streets)
        pooled_records.append(records.assign(record_id=records["record_id"] + f"-{seed}"))
        pooled_matched += list(matched)
    if len(seeds) > 1:
        records = pd.concat(pooled_records, ignore_index=True)
        print(f"\n==== pooled seeds {' '.join(map(str, seeds))}")
        print(table(quality(pooled_matched, records, by="agency")))
        print(f"\noverall:                  {overall(quality(pooled_matched, records))}")
        print(f"without unrecoverable:    {overall(quality(pooled_matched, records, recoverable_only=True))}")


if __name__ == "__main__":
    main()
