"""joinedup:linkaddresses with PARTITION_MAX_ADDRESSES (issue 21: national linkage in partitions
of whole postcode districts): same UPRNs as the run without partitions for records with a usable
postcode, every record once, records without a postcode left unmatched with their reason, and no
link across districts."""
import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

ALG = "joinedup:linkaddresses"


def _params(folder, csv, gaz, name, **extra):
    base = {"INPUT": str(csv), "ADDRESS_FIELDS": ["address"], "POSTCODE_FIELD": "postcode",
            "REFERENCE": str(gaz), "REF_UPRN_FIELD": "uprn", "REF_ADDRESS_FIELDS": ["address"],
            "REF_POSTCODE_FIELD": "postcode", "OUTPUT": str(folder / f"{name}.gpkg")}
    base.update(extra)
    return base


def test_two_districts_same_street_never_cross(run_alg, tmp_path):
    # the same street and number in two districts; a record is linked within its own district only
    gaz = gpd.GeoDataFrame({
        "uprn": [1001, 1002, 2001, 2002],
        "address": ["12 High Street, Ashbury", "14 High Street, Ashbury",
                    "12 High Street, Marston", "16 Mill Lane, Marston"],
        "postcode": ["JU1 1AB", "JU1 1AB", "JU2 1AB", "JU2 1AD"]},
        geometry=shapely.points([(0, 0), (1, 0), (100, 0), (101, 0)]), crs="EPSG:27700")
    gaz_path = tmp_path / "gaz.gpkg"
    pyogrio.write_dataframe(gaz, gaz_path)
    records = pd.DataFrame({"address": ["12 High Street", "12 High Street", "12 High Street", "16 Mill Lane",
                                        "14 High Street"],
                            "postcode": ["JU2 1AB", "JU1 1AB", None, "ZZ9 9ZZ", "JU2 1AB"]})
    csv = tmp_path / "records.csv"
    records.to_csv(csv, index=False)
    out = pyogrio.read_dataframe(run_alg(ALG, _params(tmp_path, csv, gaz_path, "parts",
                                                      PARTITION_MAX_ADDRESSES=2))["OUTPUT"])
    assert out["SOURCE_ROW"].tolist() == [0, 1, 2, 3, 4]  # every record once, in input order
    uprn = out["matched_uprn"].astype("Int64").tolist()
    assert uprn[0] == 2001 and uprn[1] == 1001
    assert pd.isna(uprn[2]) and out["unmatched_reason"][2].startswith("no postcode (partitioned run)")
    assert pd.isna(uprn[3]) and out["unmatched_reason"][3] == "postcode district not in the gazetteer (partitioned run)"
    assert pd.isna(uprn[4])  # 14 High Street is in JU1 only: never linked from JU2's partition
    whole = pyogrio.read_dataframe(run_alg(ALG, _params(tmp_path, csv, gaz_path, "whole"))["OUTPUT"])
    assert list(whole.columns) == list(out.columns)


def test_same_uprns_as_whole_run_on_generated_towns(run_alg, tmp_path, real_data):
    import gen_addresses as g

    gaz = g.make_gazetteer(2, seed=21, osm_path=real_data / "helsinki.osm.pbf")
    gaz_path = tmp_path / "gaz.gpkg"
    pyogrio.write_dataframe(gaz, gaz_path)
    extract = g.make_agency_extract(gaz, 800, seed=22, uprn_share=0.05)
    csv = tmp_path / "records.csv"
    extract.drop(columns=["true_uprn", "error_type"]).to_csv(csv, index=False)
    districts = gaz["postcode"].str.split(" ").str[0].value_counts()
    assert len(districts) == 2
    extra = {"UPRN_FIELD": "uprn"}
    whole = pyogrio.read_dataframe(run_alg(ALG, _params(tmp_path, csv, gaz_path, "whole", **extra))["OUTPUT"])
    parts = pyogrio.read_dataframe(run_alg(ALG, _params(tmp_path, csv, gaz_path, "parts", **extra,
                                                        PARTITION_MAX_ADDRESSES=int(districts.max())))["OUTPUT"])
    assert parts["SOURCE_ROW"].tolist() == list(range(len(extract)))
    assert list(parts.columns) == list(whole.columns)
    left = parts["unmatched_reason"].str.contains("(partitioned run)", regex=False)
    assert (extract["error_type"][left] == "missing_postcode").all()
    a = whole["matched_uprn"].astype("Int64").fillna(-1)[~left]
    b = parts["matched_uprn"].astype("Int64").fillna(-1)[~left]
    assert (a == b).all(), extract[~left][a != b]
