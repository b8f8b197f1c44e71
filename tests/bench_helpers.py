"""Running an independent address bench (benchmarks/gen_*_bench.py) through
joinedup:linkaddresses as a user would: its gazetteer written to a GeoPackage, its records to a
CSV, every hierarchy field given."""
import pyogrio

ALG = "joinedup:linkaddresses"


def link_bench(run_alg, folder, bench, gazetteer, records):
    """(records, the algorithm's output read back) for a bench's ``gazetteer`` and ``records``
    (frames of ``bench``'s make_gazetteer and make_records), written into ``folder``."""
    gaz_path = folder / "gazetteer.gpkg"
    pyogrio.write_dataframe(bench.gazetteer_layer(gazetteer), gaz_path, layer="gazetteer")
    csv = folder / "records.csv"
    records[["record_id", "agency", "address", "postcode"]].to_csv(csv, index=False, encoding="utf-8")
    result = run_alg(ALG, {"INPUT": str(csv), "ADDRESS_FIELDS": ["address"], "POSTCODE_FIELD": "postcode",
                           "REFERENCE": str(gaz_path), "REF_UPRN_FIELD": "uprn", "REF_ADDRESS_FIELDS": ["address"],
                           "REF_POSTCODE_FIELD": "postcode", "REF_PARENT_FIELD": "parent_uprn",
                           "REF_CLASS_FIELD": "class_code", "REF_USRN_FIELD": "usrn",
                           "OUTPUT": str(folder / "linked.gpkg")})
    return records, pyogrio.read_dataframe(result["OUTPUT"])


def linked_bench(run_alg, tmp_path_factory, bench, seed, n_records):
    """A bench's gazetteer (``seed``) and ``n_records`` records (``seed + 1``) linked through
    :func:`link_bench` in a folder of their own: (records, output)."""
    gaz = bench.make_gazetteer(seed=seed)
    return link_bench(run_alg, tmp_path_factory.mktemp(f"{bench.__name__}_{seed}"), bench, gaz,
                      bench.make_records(gaz, n_records, seed=seed + 1))


def bench_quality(bench, records, out, record_property):
    """(quality by error class, quality of all the recoverable records) of a bench's linked output,
    printed and kept in the test report; every record must come back, in order."""
    assert out["record_id"].tolist() == records["record_id"].tolist()  # every record, in order
    by_class = bench.quality(out["matched_uprn"], records).set_index("error_class")
    print("\n" + by_class.to_string() + "\n" + bench.quality(out["matched_uprn"], records, by="agency").to_string())
    record_property("by_class", by_class.reset_index().to_dict("records"))
    recoverable = ~records["unrecoverable"].to_numpy()
    rest = bench.quality(out["matched_uprn"][recoverable], records[recoverable]).set_index("error_class").loc["all"]
    return by_class, rest
