"""Address linkage at scale: 100,000 agency records against a 150,000-address gazetteer
(``--quick``: 5,000 against 15,000), through QGIS's processing.run.

Compared in one run on the same data:
- ``joinedup:linkaddresses`` (normalise -> deterministic keys -> uk_address_matcher on the rest),
  twice: first with an empty cache (the gazetteer is prepared for the matcher), then again
  (prepared gazetteer reused, as when a second agency table is linked to the same gazetteer);
- ``uk_address_matcher`` alone on the raw text (the established library as its authors run it),
  with its default stages and with its trigram stage, at the full size only with
  ``--with-ukam-alone`` (the default stages took 260 s here at full size, 23 minutes under load);
- QGIS's own nearest equivalent, ``native:joinattributestable`` on the exact address text (what a
  GIS officer does without JoinedUp): fast, but it finds only records typed exactly as in the
  gazetteer.
Reports records/second, precision and recall at the default threshold by error type.

``--council``: the independent council bench instead (``gen_council_bench.py``: a 19,000-UPRN
gazetteer with parent UPRNs and class codes, 5,000 records from five agencies, 11 % of them
addresses the gazetteer lacks), through processing.run with REF_PARENT_FIELD and REF_CLASS_FIELD,
first run and cached run, and uk_address_matcher alone on the same data; precision, recall and
false links by fault class and by agency.

``--national``: 1,000,000 records against 2,000,000 addresses (the generator's towns repeated),
the first run only, with the peak memory of the run itself (issue 21: national linkage planned
from a one-machine measurement; docs/scale.md).

``--partitioned`` (with ``--national``): the same, with PARTITION_MAX_ADDRESSES
(``--partition-size``, default 250,000): the gazetteer linked in partitions of whole postcode
districts, one after another; quality also on the records that have a usable postcode.

``--variants`` (with ``--council``): the bench with its variant address forms (``variants=True``:
sub-unit words, lettered, basement, top-floor and tenement flats, number ranges, house names,
Saint and apostrophes, punctuation, localities, mistyped and conflicting postcodes).
``--seeds 2 3 4`` (with ``--council``): the engine called directly on gazetteer seed *s*-1 and
records seed *s* for each seed given, quality by class and by agency, the review band's size
(no QGIS, no timing comparison).

    .venv/bin/python benchmarks/bench_linkage.py [--quick] [--with-ukam-alone] [--council [--variants]
                                                 [--seeds 2 3 4]] [--national [--partitioned]]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import current_peak_rss_mb, median_time, peak_rss_mb, qgis_session, report, reset_peak_rss  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--with-ukam-alone", action="store_true")
    parser.add_argument("--council", action="store_true")
    parser.add_argument("--national", action="store_true",
                        help="issue 21's one-machine measurement: 1,000,000 records against 2,000,000 "
                             "addresses, the first run only, with its own peak memory")
    parser.add_argument("--partitioned", action="store_true",
                        help="with --national: link in partitions of whole postcode districts")
    parser.add_argument("--partition-size", type=int, default=250_000)
    parser.add_argument("--variants", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="*")
    args = parser.parse_args()
    if args.council and args.seeds:
        return council_seeds(args.seeds, variants=args.variants)
    if args.council:
        return council(variants=args.variants)
    n_ref, n_rec = (15000, 5000) if args.quick else (2_000_000, 1_000_000) if args.national else (150000, 100000)
    processing = qgis_session()
    import gen_addresses as g
    import pandas as pd
    import pyogrio

    t0 = time.perf_counter()
    gaz = g.sized_gazetteer(n_ref, seed=1)
    extract = g.make_agency_extract(gaz, n_rec, seed=2, uprn_share=0.05)
    print(f"generated {len(gaz)} gazetteer rows ({gaz['town'].nunique()} towns), {len(extract)} records "
          f"in {time.perf_counter() - t0:.1f} s")
    folder = tempfile.mkdtemp(prefix="bench_linkage_")
    gaz_path = os.path.join(folder, "gazetteer.gpkg")
    pyogrio.write_dataframe(gaz, gaz_path, layer="gazetteer")
    csv_path = os.path.join(folder, "records.csv")
    extract.drop(columns=["true_uprn", "error_type"]).to_csv(csv_path, index=False)
    rows = []

    cache = os.path.join(folder, "gazetteer_cache")

    def run_joinedup():
        out = os.path.join(folder, f"linked_{time.perf_counter_ns()}.gpkg")
        return processing.run("joinedup:linkaddresses", {
            "INPUT": csv_path, "ADDRESS_FIELDS": ["address"], "POSTCODE_FIELD": "postcode",
            "UPRN_FIELD": "uprn", "REFERENCE": gaz_path, "REF_UPRN_FIELD": "uprn",
            "REF_ADDRESS_FIELDS": ["address"], "REF_POSTCODE_FIELD": "postcode",
            "CACHE_FOLDER": cache, "OUTPUT": out,
            "PARTITION_MAX_ADDRESSES": args.partition_size if args.partitioned else 0})

    # first run: the gazetteer is prepared for the matcher (cache empty); later runs against the
    # same gazetteer (another agency's table, next month's extract) reuse it
    labels = (("partitioned by postcode district",) if args.partitioned else
              ("first run, gazetteer prepared",)) if args.national else \
        ("first run, gazetteer prepared", "gazetteer already prepared")
    for label in labels:
        reset_peak_rss()  # the linkage's own peak, not the generator's
        seconds, times, result = median_time(run_joinedup, repeat=1)
        print(f"{label}: {seconds:.1f} s, peak RSS during the run {current_peak_rss_mb():.0f} MiB")
        linked = pyogrio.read_dataframe(result["OUTPUT"], read_geometry=False)
        quality = g.precision_recall(linked["matched_uprn"], extract["true_uprn"], extract["error_type"])
        allq = quality.set_index("error_type").loc["all"]
        rows.append({"method": f"joinedup:linkaddresses ({label})", "records": n_rec, "reference": n_ref,
                     "seconds": seconds, "records_per_s": n_rec / seconds,
                     "precision": allq["precision"], "recall": allq["recall"]})
    print(quality.to_string(index=False))
    print("methods:", linked["match_method"].value_counts().to_dict())
    if args.partitioned:
        left_out = linked["unmatched_reason"].str.contains("(partitioned run)", regex=False).to_numpy()
        print(f"records left out for want of a usable postcode or a known district: {int(left_out.sum())}")
        print("by fault class:", extract["error_type"][left_out].value_counts().to_dict())
        kept = g.precision_recall(linked["matched_uprn"][~left_out], extract["true_uprn"][~left_out],
                                  extract["error_type"][~left_out])
        print("quality on the records with a usable postcode:")
        print(kept.to_string(index=False))

    def run_native():
        out = os.path.join(folder, f"native_{time.perf_counter_ns()}.gpkg")
        return processing.run("native:joinattributestable", {
            "INPUT": csv_path, "FIELD": "address", "INPUT_2": gaz_path, "FIELD_2": "address",
            "FIELDS_TO_COPY": ["uprn"], "METHOD": 1, "DISCARD_NONMATCHING": False, "PREFIX": "ref_",
            "OUTPUT": out})

    if args.national:
        report("linkage_national" + ("_partitioned" if args.partitioned else ""), rows,
               notes="2 shared cores; one run (wall time); peak RSS printed above")
        return
    seconds, _, result = median_time(run_native, repeat=1)
    native = pyogrio.read_dataframe(result["OUTPUT"], read_geometry=False)
    nq = g.precision_recall(pd.to_numeric(native["ref_uprn"], errors="coerce"), extract["true_uprn"],
                            extract["error_type"]).set_index("error_type").loc["all"]
    rows.append({"method": "native:joinattributestable (exact text)", "records": n_rec, "reference": n_ref,
                 "seconds": seconds, "records_per_s": n_rec / seconds,
                 "precision": nq["precision"], "recall": nq["recall"]})

    if args.quick or args.with_ukam_alone:
        import duckdb
        from uk_address_matcher import AddressMatcher, ExactMatchStage, SplinkStage, UniqueTrigramStage

        def run_ukam(stages):
            con = duckdb.connect()
            canon = pd.DataFrame({"unique_id": gaz["uprn"].astype(str), "address_concat": gaz["address"],
                                  "postcode": gaz["postcode"]})
            postcode = extract["postcode"].astype(object).where(extract["postcode"].notna(), None)
            messy = pd.DataFrame({"unique_id": extract["record_id"], "address_concat": extract["address"],
                                  "postcode": postcode})
            con.register("c", canon)
            con.register("m", messy)
            res = AddressMatcher(canonical_addresses=con.table("c"), addresses_to_match=con.table("m"),
                                 con=con, show_progress="off", stages=stages).match().matches().df()
            con.close()
            return res

        for label, stages in (("default stages", None),
                              ("with its trigram stage", [ExactMatchStage(), UniqueTrigramStage(), SplinkStage()])):
            seconds, _, res = median_time(lambda: run_ukam(stages), repeat=1)
            res = extract[["record_id"]].merge(res, left_on="record_id", right_on="unique_id", how="left")
            uq = g.precision_recall(pd.to_numeric(res["resolved_canonical_id"], errors="coerce"),
                                    extract["true_uprn"], extract["error_type"]).set_index("error_type").loc["all"]
            rows.append({"method": f"uk_address_matcher alone ({label}, raw text, no threshold)",
                         "records": n_rec, "reference": n_ref, "seconds": seconds,
                         "records_per_s": n_rec / seconds, "precision": uq["precision"], "recall": uq["recall"]})
    report("linkage" + ("_quick" if args.quick else ""), rows,
           notes=f"peak RSS {peak_rss_mb():.0f} MiB; 2 shared cores; one run each (seconds are wall time)")


def council_seeds(seeds, variants: bool = False, n_streets: int = 180, n_records: int = 5000):
    """The council bench on several seeds, the engine called directly (see the module docstring)."""
    from common import plugin_importable

    plugin_importable()
    import gen_council_bench as g
    import pandas as pd

    from joinedup.engine.linkage import link_addresses

    pd.set_option("display.width", 200)
    for seed in seeds:
        gaz = g.make_gazetteer(n_streets, seed=seed - 1, variants=variants)
        records = g.make_records(gaz, n_records, seed=seed, variants=variants)
        started = time.perf_counter()
        out, rep = link_addresses(records[["record_id", "agency", "address", "postcode"]], g.gazetteer_layer(gaz),
                                  address_fields=["address"], postcode_field="postcode", ref_uprn_field="uprn",
                                  ref_address_fields=["address"], ref_postcode_field="postcode",
                                  ref_parent_field="parent_uprn", ref_class_field="class_code")
        seconds = time.perf_counter() - started
        recoverable = ~records["error_class"].isin(g.UNRECOVERABLE).to_numpy()
        rest = g.quality(out["matched_uprn"][recoverable], records[recoverable]).iloc[-1]
        print(f"seed {seed}: {len(records)} records x {len(gaz)} UPRNs, {seconds:.1f} s (engine), review band "
              f"{len(rep.review)}; without {', '.join(g.UNRECOVERABLE)}: precision {rest['precision']:.4f} "
              f"recall {rest['recall']:.4f}; levels {out['match_level'].value_counts().to_dict()}")
        print(g.quality(out["matched_uprn"], records).to_string(index=False))
        print(g.quality(out["matched_uprn"], records, by="agency").to_string(index=False))


def council(n_streets: int = 180, n_records: int = 5000, variants: bool = False):
    """The independent council bench (see the module docstring)."""
    processing = qgis_session()
    import gen_council_bench as g
    import pandas as pd
    import pyogrio

    gaz = g.make_gazetteer(n_streets, seed=1, variants=variants)
    records = g.make_records(gaz, n_records, seed=2, variants=variants)
    folder = tempfile.mkdtemp(prefix="bench_council_")
    gaz_path = os.path.join(folder, "gazetteer.gpkg")
    pyogrio.write_dataframe(g.gazetteer_layer(gaz), gaz_path, layer="gazetteer")
    csv_path = os.path.join(folder, "records.csv")
    records[["record_id", "agency", "address", "postcode"]].to_csv(csv_path, index=False)
    print(f"{len(gaz)} gazetteer rows, {len(records)} records "
          f"({int(records['true_uprn'].isna().sum())} not in the gazetteer)")
    cache = os.path.join(folder, "gazetteer_cache")
    rows = []

    def run_joinedup():
        return processing.run("joinedup:linkaddresses", {
            "INPUT": csv_path, "ADDRESS_FIELDS": ["address"], "POSTCODE_FIELD": "postcode",
            "REFERENCE": gaz_path, "REF_UPRN_FIELD": "uprn", "REF_ADDRESS_FIELDS": ["address"],
            "REF_POSTCODE_FIELD": "postcode", "REF_PARENT_FIELD": "parent_uprn",
            "REF_CLASS_FIELD": "class_code", "CACHE_FOLDER": cache,
            "OUTPUT": os.path.join(folder, f"linked_{time.perf_counter_ns()}.gpkg")})

    recoverable = ~records["error_class"].isin(g.UNRECOVERABLE)
    for label in ("first run, gazetteer prepared", "gazetteer already prepared"):
        seconds, _, result = median_time(run_joinedup, repeat=1)
        linked = pyogrio.read_dataframe(result["OUTPUT"], read_geometry=False)
        allq = g.quality(linked["matched_uprn"], records).set_index("error_class").loc["all"]
        restq = g.quality(linked["matched_uprn"][recoverable], records[recoverable]) \
            .set_index("error_class").loc["all"]
        rows.append({"method": f"joinedup:linkaddresses ({label})", "records": len(records),
                     "reference": len(gaz), "seconds": seconds, "precision": allq["precision"],
                     "recall": allq["recall"], "false_links": allq["false_links"],
                     "precision_recoverable": restq["precision"], "recall_recoverable": restq["recall"]})
    pd.set_option("display.width", 200)
    print(g.quality(linked["matched_uprn"], records).to_string(index=False))
    print(g.quality(linked["matched_uprn"], records, by="agency").to_string(index=False))
    print("match levels:", linked["match_level"].value_counts().to_dict())

    import duckdb
    from uk_address_matcher import AddressMatcher

    def run_ukam():
        con = duckdb.connect()
        con.register("c", pd.DataFrame({"unique_id": gaz["uprn"].astype(str), "address_concat": gaz["address"],
                                        "postcode": gaz["postcode"]}))
        con.register("m", pd.DataFrame({"unique_id": records["record_id"], "address_concat": records["address"],
                                        "postcode": records["postcode"].astype(object).where(
                                            records["postcode"].notna(), None)}))
        res = AddressMatcher(canonical_addresses=con.table("c"), addresses_to_match=con.table("m"),
                             con=con, show_progress="off").match().matches().df()
        con.close()
        return res

    seconds, _, res = median_time(run_ukam, repeat=1)
    res = records[["record_id"]].merge(res, left_on="record_id", right_on="unique_id", how="left")
    ukam = pd.to_numeric(res["resolved_canonical_id"], errors="coerce")
    uq = g.quality(ukam, records).set_index("error_class").loc["all"]
    rq = g.quality(ukam[recoverable.to_numpy()], records[recoverable]).set_index("error_class").loc["all"]
    rows.append({"method": "uk_address_matcher alone (default stages, raw text)", "records": len(records),
                 "reference": len(gaz), "seconds": seconds, "precision": uq["precision"],
                 "recall": uq["recall"], "false_links": uq["false_links"],
                 "precision_recoverable": rq["precision"], "recall_recoverable": rq["recall"]})
    report("linkage_council" + ("_variants" if variants else ""), rows,
           notes=f"peak RSS {peak_rss_mb():.0f} MiB; 2 shared cores; one run each (wall time); "
                 f"'recoverable' leaves out {', '.join(g.UNRECOVERABLE)}")


if __name__ == "__main__":
    main()
