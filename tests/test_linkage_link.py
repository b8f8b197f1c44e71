"""joinedup:linkaddresses through QGIS's processing.run on the seeded synthetic gazetteer:
quality by error type against the kept truth, CSV encodings, and the unhappy paths."""
import pandas as pd
import pyogrio
import pytest

ALG = "joinedup:linkaddresses"


@pytest.fixture(scope="module")
def town(tmp_path_factory, real_data):
    """One synthetic town (about 7,500 addresses) as a GeoPackage, and a 2,000-record council
    tax extract with recording errors, as UTF-8 CSV."""
    import gen_addresses as g

    folder = tmp_path_factory.mktemp("linkage")
    gaz = g.make_gazetteer(1, seed=11, osm_path=real_data / "helsinki.osm.pbf")
    gaz_path = folder / "gazetteer.gpkg"
    pyogrio.write_dataframe(gaz, gaz_path, layer="gazetteer")
    extract = g.make_agency_extract(gaz, 2000, seed=12, uprn_share=0.1)
    csv_path = folder / "council_tax.csv"
    extract.drop(columns=["true_uprn", "error_type"]).to_csv(csv_path, index=False, encoding="utf-8")
    return {"folder": folder, "gaz": gaz, "gaz_path": str(gaz_path), "extract": extract,
            "csv": str(csv_path)}


def params(town, **extra):
    base = {"INPUT": town["csv"], "ADDRESS_FIELDS": ["address"], "POSTCODE_FIELD": "postcode",
            "UPRN_FIELD": "uprn", "REFERENCE": town["gaz_path"], "REF_UPRN_FIELD": "uprn",
            "REF_ADDRESS_FIELDS": ["address"], "REF_POSTCODE_FIELD": "postcode",
            "OUTPUT": str(town["folder"] / f"out_{len(extra)}_{abs(hash(str(extra)))}.gpkg")}
    base.update(extra)
    return base


def read(path):
    return pyogrio.read_dataframe(path)


def test_quality_by_error_type(run_alg, town, record_property):
    import gen_addresses as g

    result = run_alg(ALG, params(town))
    out = read(result["OUTPUT"])
    truth = town["extract"]
    info = pyogrio.read_info(result["OUTPUT"])
    types = dict(zip(info["fields"], info["dtypes"]))
    assert types["matched_uprn"] == types["candidate_uprn"] == "int64"  # whole numbers, as in the gazetteer
    assert len(out) == len(truth)  # nothing lost
    assert out["SOURCE_ROW"].tolist() == list(range(len(truth)))
    assert out["record_id"].tolist() == truth["record_id"].tolist()
    table = g.precision_recall(out["matched_uprn"], truth["true_uprn"], truth["error_type"])
    print("\n" + table.to_string(index=False))
    record_property("precision_recall", table.to_dict("records"))
    overall = table.set_index("error_type").loc["all"]
    assert overall["precision"] >= 0.99
    assert overall["recall"] >= 0.95
    per_type = table.set_index("error_type").drop(index=["all", "not_in_gazetteer"])
    assert (per_type["precision"] >= 0.99).all(), per_type
    # this generator's wrong postcode is another postcode of the same street: the same record as a
    # house number typed wrong under the right postcode, so many are left to the review, whose
    # candidate is then the right address
    assert (per_type.drop(index="wrong_postcode")["recall"] >= 0.9).all(), per_type
    assert per_type.loc["wrong_postcode", "recall"] >= 0.4, per_type
    left = (truth["error_type"].eq("wrong_postcode") & out["matched_uprn"].isna()).to_numpy()
    assert out.loc[left, "unmatched_reason"].str.startswith("postcode disagrees").mean() >= 0.9
    assert (out.loc[left, "candidate_uprn"].astype("Int64").to_numpy()
            == truth.loc[left, "true_uprn"].astype("Int64").to_numpy()).mean() >= 0.95
    # records not in the gazetteer stay unmatched, with a reason
    absent = out[truth["error_type"].eq("not_in_gazetteer").to_numpy()]
    assert (absent["match_status"] == "unmatched").mean() >= 0.98
    assert absent["unmatched_reason"].str.len().gt(0).all()
    # methods: the UPRN path is used for records that carry one
    carried = truth["uprn"].notna().to_numpy()
    assert (out.loc[carried, "match_method"] == "uprn").all()
    assert (out.loc[carried, "matched_uprn"].astype("int64") == truth.loc[carried, "uprn"].astype("int64")).all()
    # geometry: the gazetteer point of the matched UPRN; none when unmatched
    matched = out["match_status"] == "matched"
    assert out.geometry[~matched].isna().all()
    points = town["gaz"].set_index("uprn").geometry
    expected = points.reindex(out.loc[matched, "matched_uprn"].astype("int64")).to_numpy()
    assert (out.geometry[matched].distance(pd.Series(expected, index=out.index[matched]).pipe(
        lambda s: __import__("geopandas").GeoSeries(s, crs=out.crs))) < 0.01).all()
    # names are dropped by default
    assert "account_name" not in out.columns
    assert out["match_probability"].dropna().between(0, 1).all()
    assert set(out["match_method"]) <= {"uprn", "exact", "trigram", "probabilistic", "number slip", ""}
    # mistyped street words are found by the exact keys (a slip of one letter read as the
    # gazetteer's word) or reach the matcher's stages (and are right, above)
    typos = truth["error_type"].eq("typo").to_numpy()
    assert "exact" in set(out.loc[typos, "match_method"])
    assert {"trigram", "probabilistic"} & set(out.loc[typos, "match_method"])


def test_windows_1252_csv_and_bad_rows(run_alg, town):
    """A Windows-1252 CSV with accents, empty and whitespace addresses, a non-UK address and
    a foreign postcode: every row comes back, text intact, unmatched rows with a reason."""
    gaz = town["gaz"]
    flat = gaz[gaz["kind"] == "flat"].iloc[5]
    rows = pd.DataFrame({
        "ref": ["a", "b", "c", "d", "e"],
        "address": [flat["address"].upper(), "", "   ", "Mannerheimintie 5, Helsinki", flat["address"]],
        "postcode": [flat["postcode"].replace(" ", ""), "", None, "00100", "00100"],
        "tenant_name": ["Chloé Müller", "Björn Ål", "", None, "Zoë"],
    })
    path = town["folder"] / "cp1252.csv"
    path.write_bytes(rows.to_csv(index=False, sep=";").encode("cp1252"))
    result = run_alg(ALG, params(town, INPUT=str(path), UPRN_FIELD=None, IDENTIFIER_ACTION=2))
    out = read(result["OUTPUT"])
    assert out["ref"].tolist() == ["a", "b", "c", "d", "e"]
    assert out["tenant_name"][0] == "Chloé Müller" and out["tenant_name"][1] == "Björn Ål"
    assert out["address"][3] == "Mannerheimintie 5, Helsinki"
    assert out["matched_uprn"][0] == flat["uprn"] and out["matched_uprn"][4] == flat["uprn"]
    assert out["match_status"].tolist()[1:4] == ["unmatched"] * 3
    assert out["unmatched_reason"][1].startswith("empty address")
    assert out["unmatched_reason"][2].startswith("empty address")
    assert out["unmatched_reason"][3] != ""
    assert "not a UK postcode" in out["note"][4]
    assert result["MATCHED"] == 2 and result["UNMATCHED"] == 3


def test_duplicate_uprns_reported_and_missing_columns(run_alg, town):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    gaz = town["gaz"].iloc[:400].copy()
    dup = pd.concat([gaz, gaz.iloc[[10, 11]]], ignore_index=True)
    import geopandas as gpd
    dup = gpd.GeoDataFrame(dup, geometry="geometry", crs=gaz.crs)
    ref_path = town["folder"] / "dup.gpkg"
    pyogrio.write_dataframe(dup, ref_path)
    # (a slip of two letters: one letter would be read by the exact keys, and this record must
    # reach the matcher, which uses the prepared gazetteer)
    typo = gaz.iloc[50]["address"].replace(" Street", " Strt").replace(" Road", " Raod")
    records = pd.DataFrame({"address": [gaz.iloc[10]["address"], typo],
                            "postcode": [gaz.iloc[10]["postcode"], gaz.iloc[50]["postcode"]]})
    rec_path = town["folder"] / "few.csv"
    records.to_csv(rec_path, index=False)
    feedback = QgsProcessingFeedback()
    logs = []
    feedback.pushInfo = logs.append
    cache = town["folder"] / "cache"
    result = run_alg(ALG, params(town, INPUT=str(rec_path), UPRN_FIELD=None, REFERENCE=str(ref_path),
                                 CACHE_FOLDER=str(cache)), feedback=feedback)
    assert result["DUPLICATE_UPRNS"] == 2
    assert any("2 UPRNs appear more than once" in line for line in logs), logs
    out = read(result["OUTPUT"])
    assert out["matched_uprn"].tolist() == [gaz.iloc[10]["uprn"], gaz.iloc[50]["uprn"]]
    # a second run reuses the prepared gazetteer and gives the same answer
    again = run_alg(ALG, params(town, INPUT=str(rec_path), UPRN_FIELD=None, REFERENCE=str(ref_path),
                                CACHE_FOLDER=str(cache)), feedback=feedback)
    assert any("Using the prepared gazetteer cached" in line for line in logs), logs
    assert read(again["OUTPUT"])["matched_uprn"].tolist() == out["matched_uprn"].tolist()

    with pytest.raises(QgsProcessingException, match="street"):
        run_alg(ALG, params(town, INPUT=str(rec_path), UPRN_FIELD=None, ADDRESS_FIELDS=["street"]))
    with pytest.raises(QgsProcessingException, match="(?i)no field named|not found|street"):
        run_alg(ALG, params(town, INPUT=str(rec_path), UPRN_FIELD=None, REFERENCE=str(ref_path),
                            REF_ADDRESS_FIELDS=["nope"]))


def test_empty_input_and_cancel(run_alg, town):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    path = town["folder"] / "header_only.csv"
    path.write_text("address,postcode\n", encoding="utf-8")
    result = run_alg(ALG, params(town, INPUT=str(path), UPRN_FIELD=None))
    out = read(result["OUTPUT"])
    assert len(out) == 0 and result["MATCHED"] == 0

    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg(ALG, params(town), feedback=feedback)


@pytest.mark.parametrize("cancel_after", ["Normalised exact keys", "Prepared gazetteer cached"])
def test_cancel_stops_the_matcher_threads(town, tmp_path, cancel_after, monkeypatch):
    """Cancel while the gazetteer is being prepared in the background, and while the matcher
    runs: the engine raises EngineCancelled, DuckDB's threads stop and temporary files go."""
    import tempfile
    import threading
    from pathlib import Path

    from joinedup.engine.errors import EngineCancelled, Feedback
    from joinedup.engine.linkage import link_addresses

    asked = []
    feedback = Feedback(info=lambda m: asked.append(m) if m.startswith(cancel_after) else None,
                        is_cancelled=lambda: bool(asked))
    # this run's temporary folders in a folder of its own: another process linking addresses at
    # the same time (a benchmark, a second test session) has its own in the shared temp folder
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    before = set(p.name for p in Path(tempfile.gettempdir()).glob("joinedup_*"))
    records = town["extract"].drop(columns=["true_uprn", "error_type", "uprn"])
    with pytest.raises(EngineCancelled):
        link_addresses(records, town["gaz"], address_fields=["address"], postcode_field="postcode",
                       ref_uprn_field="uprn", ref_address_fields=["address"],
                       ref_postcode_field="postcode", cache_dir=str(tmp_path / "cache"),
                       feedback=feedback)
    assert asked, "the cancel point was never reached"
    assert not [t for t in threading.enumerate() if t.name.startswith("joinedup-") and t.is_alive()]
    after = set(p.name for p in Path(tempfile.gettempdir()).glob("joinedup_*"))
    assert after <= before  # temporary folders removed
    assert not list((tmp_path / "cache").glob(".building_*"))  # nothing half-built left in the cache


def test_polygon_gazetteer_gives_points_and_unwritable_cache_is_skipped(town, tmp_path):
    """A gazetteer of property polygons: matched records get a point inside their property.
    A cache folder that cannot be made: the run goes on, preparing the gazetteer for itself."""
    import shapely

    from joinedup.engine.errors import Feedback
    from joinedup.engine.linkage import link_addresses

    gaz = town["gaz"].iloc[:2000].copy()
    gaz["geometry"] = gaz.buffer(4.0)
    picks = gaz.iloc[::100]
    records = pd.DataFrame({"address": picks["address"].str.replace(" Street", " Stret").to_numpy(),
                            "postcode": picks["postcode"].to_numpy()})
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    logs = []
    out, report = link_addresses(records, gaz, address_fields=["address"], postcode_field="postcode",
                                 ref_uprn_field="uprn", ref_address_fields=["address"],
                                 ref_postcode_field="postcode", cache_dir=str(blocker / "cache"),
                                 feedback=Feedback(info=logs.append))
    assert out["matched_uprn"].tolist() == picks["uprn"].tolist()
    assert (out.geometry.geom_type == "Point").all()
    assert shapely.contains(picks.geometry.to_numpy(), out.geometry.to_numpy()).all()
    assert report.reference_not_points == len(picks)
    assert any("point inside their gazetteer feature" in line for line in report.describe())
    assert any(line.startswith("Cannot write to the cache folder") for line in logs), logs


def test_without_the_matcher_a_clear_message(run_alg, town, monkeypatch):
    import sys

    from qgis.core import QgsProcessingException

    monkeypatch.setitem(sys.modules, "uk_address_matcher", None)
    with pytest.raises(QgsProcessingException, match="pip install"):
        run_alg(ALG, params(town))


def test_spreadsheet_and_delimited_text_layer(run_alg, town):
    """A spreadsheet, and a delimited-text layer whose own encoding is Windows-1252, reach the
    algorithm through QGIS with their text intact."""
    from qgis.core import QgsVectorLayer

    gaz = town["gaz"]
    picks = gaz[gaz["kind"] == "flat"].iloc[[3, 40]]
    frame = pd.DataFrame({"address": picks["address"].tolist(), "postcode": picks["postcode"].tolist(),
                          "tenant_name": ["Chloé", "Åsa"], "m3_used": [1.5, 0.0]})
    # (a numeric column lets GDAL see that the first row is a header: with text columns only it
    # cannot tell, and reads Field1, Field2 ... - see docs/linkage.md)
    xlsx = town["folder"] / "records.xlsx"
    pyogrio.write_dataframe(frame, xlsx, driver="XLSX")
    out = read(run_alg(ALG, params(town, INPUT=str(xlsx), UPRN_FIELD=None, IDENTIFIER_ACTION=2))["OUTPUT"])
    assert out["matched_uprn"].tolist() == picks["uprn"].tolist()
    assert out["tenant_name"].tolist() == ["Chloé", "Åsa"]

    path = town["folder"] / "records_1252.txt"
    path.write_bytes(frame.to_csv(index=False).encode("cp1252"))
    layer = QgsVectorLayer(f"file://{path}?type=csv&delimiter=,&encoding=windows-1252&geomType=none",
                           "records", "delimitedtext")
    assert layer.isValid() and layer.featureCount() == 2
    out = read(run_alg(ALG, params(town, INPUT=layer, UPRN_FIELD=None, IDENTIFIER_FIELDS=["tenant_name"],
                                   IDENTIFIER_ACTION=1))["OUTPUT"])
    assert out["matched_uprn"].tolist() == picks["uprn"].tolist()
    assert "tenant_name" not in out.columns  # dropped as asked
    assert out["address"].tolist() == frame["address"].tolist()


@pytest.mark.slow
def test_linkaddresses_through_qgis_process(town, tmp_path):
    """QGIS's own qgis_process runs the linkage (DuckDB on a background thread inside QGIS's
    binary), exits cleanly, gives the same links as processing.run, and keeps the prepared
    gazetteer in its profile by default."""
    import gen_addresses as g
    from qgis_process_helpers import qgis_process_run

    config = tmp_path / "profile"
    out = tmp_path / "linked.gpkg"
    answer = qgis_process_run(ALG, {**params(town), "OUTPUT": str(out)},
                              env={"JOINEDUP_QGIS_CONFIG": str(config)})
    assert answer["returncode"] == 0
    linked = read(answer["results"]["OUTPUT"])
    truth = town["extract"]
    assert len(linked) == len(truth)
    table = g.precision_recall(linked["matched_uprn"], truth["true_uprn"], truth["error_type"])
    overall = table.set_index("error_type").loc["all"]
    assert overall["precision"] >= 0.99 and overall["recall"] >= 0.95
    assert answer["results"]["MATCHED"] == int((linked["match_status"] == "matched").sum())
    cached = list(config.glob("profiles/default/joinedup/gazetteer_cache/prepared_gazetteer_*/ukam_manifest.json"))
    assert len(cached) == 1, list(config.rglob("*"))[:20]
    # a run that stops on bad input (after DuckDB was imported) exits with QGIS's error code
    # and its message, not with an abort at exit
    failed = qgis_process_run(ALG, {**params(town), "REF_ADDRESS_FIELDS": ["nope"],
                                    "OUTPUT": str(tmp_path / "never.gpkg")},
                              env={"JOINEDUP_QGIS_CONFIG": str(config)}, check=False)
    assert failed["returncode"] == 1, failed["stderr"][-2000:]
    assert "nope" in failed["stdout"] + failed["stderr"]


def test_gazetteer_in_separate_fields_links_as_one_line(town):
    """A gazetteer as councils keep it, in parts (flat, house name, number as an integer with
    its suffix apart, street, town), links the same records to the same UPRNs as the one-line
    address."""
    from joinedup.engine.linkage import link_addresses

    gaz = town["gaz"].copy()
    number = gaz["house_number"].str.extract(r"^(\d+)([A-Z]?)$")
    gaz["pao_number"] = pd.to_numeric(number[0]).astype("Int64")  # 12 (an integer field)
    gaz["pao_suffix"] = number[1].where(number[1] != "")          # A
    records = town["extract"].drop(columns=["true_uprn", "error_type", "uprn"]).iloc[:600]
    common = dict(postcode_field="postcode", ref_uprn_field="uprn", ref_postcode_field="postcode")
    one_line, _ = link_addresses(records, gaz, address_fields=["address"], ref_address_fields=["address"],
                                 **common)
    in_parts, _ = link_addresses(records, gaz, address_fields=["address"],
                                 ref_address_fields=["sao", "house_name", "pao_number", "pao_suffix",
                                                     "street", "town"], **common)
    assert in_parts["matched_uprn"].fillna(-1).tolist() == one_line["matched_uprn"].fillna(-1).tolist()
    # and those links are right: against the generator's truth
    import gen_addresses as g

    truth = town["extract"].iloc[:600]
    quality = g.precision_recall(in_parts["matched_uprn"], truth["true_uprn"], truth["error_type"])
    overall = quality.set_index("error_type").loc["all"]
    assert overall["precision"] >= 0.99 and overall["recall"] >= 0.95, quality
    # the matched address is the gazetteer's, joined from its parts
    row = in_parts["matched_address"].dropna().iloc[0]
    assert ", " in row and not row.startswith(",")


@pytest.mark.slow
def test_gazetteer_csv_without_points_through_qgis_process(run_alg, town, tmp_path):
    """A gazetteer given as a CSV table of uprn, parent_uprn, class_code, address, postcode and
    usrn, without coordinates (as councils often export an LLPG extract), links through
    qgis_process to the same UPRNs as the same gazetteer with its points; every record is in
    the output, and none has a point (the gazetteer gives none)."""
    from qgis_process_helpers import qgis_process_run

    gaz = pd.DataFrame(town["gaz"].drop(columns="geometry"))
    gaz["class_code"] = gaz["kind"].map({"parent": "PP", "flat": "RD06", "single": "RD04"})
    gaz["usrn"] = pd.factorize(gaz["street"] + gaz["town"])[0] + 8_000_000
    gaz_csv = tmp_path / "llpg_extract.csv"
    gaz[["uprn", "parent_uprn", "class_code", "address", "postcode", "usrn"]].to_csv(gaz_csv, index=False)
    records = town["extract"].drop(columns=["true_uprn", "error_type", "uprn"]).iloc[:300]
    records_csv = tmp_path / "records.csv"
    records.to_csv(records_csv, index=False)
    common = {"INPUT": str(records_csv), "ADDRESS_FIELDS": ["address"], "POSTCODE_FIELD": "postcode",
              "REF_UPRN_FIELD": "uprn", "REF_ADDRESS_FIELDS": ["address"], "REF_POSTCODE_FIELD": "postcode"}
    answer = qgis_process_run(ALG, {**common, "REFERENCE": str(gaz_csv), "REF_PARENT_FIELD": "parent_uprn",
                                    "REF_CLASS_FIELD": "class_code", "REF_USRN_FIELD": "usrn",
                                    "OUTPUT": str(tmp_path / "linked.gpkg")},
                              env={"JOINEDUP_QGIS_CONFIG": str(tmp_path / "profile")})
    assert answer["returncode"] == 0, answer["stderr"][-2000:]
    linked = read(answer["results"]["OUTPUT"])
    with_points = read(run_alg(ALG, {**common, "REFERENCE": town["gaz_path"],
                                     "OUTPUT": str(tmp_path / "with_points.gpkg")})["OUTPUT"])
    assert len(linked) == len(records)
    # (OGR reads a CSV's columns as text: the UPRN comes back as the text it was)
    def uprns(frame):
        return pd.to_numeric(frame["matched_uprn"]).astype("Int64").tolist()
    assert uprns(linked) == uprns(with_points)
    assert (linked["match_status"] == "matched").sum() > 250
    assert linked.geometry.isna().all() or linked.geometry.is_empty.all()
    matched = linked["match_status"] == "matched"
    assert linked.loc[matched, "matched_usrn"].notna().all()
