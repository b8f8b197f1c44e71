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
