"""joinedup:validatelayer on an extract brought in through joinedup:importrecords (Windows-1252,
semicolons, dd/mm dates, postcodes as typed, a blank row), checked against a Table Schema.
Every expected violation is worked out by hand from the rows written here."""
from __future__ import annotations

import json

import pandas as pd
import pytest

ALG = "joinedup:validatelayer"

# Fire incidents as a station exports them. Comments give what the schema below must find.
INCIDENTS = [
    "incident_ref;lsoa_code;postcode;category;appliances;caller_name;easting;northing",
    "F001;E01011312;LS1 4AP;dwelling fire;2;Ann Smith;429900;433700",      # 1 passes
    "F002;E0101131;ls14ap;dwelling fire;1;José Pérez;429910;433710",       # 2 lsoa pattern, postcode pattern
    "F003;W01000001;LS11 5BZ;chimney;1;Bo Li;428500;431800",               # 3 lsoa pattern, category enum
    ";;;;;;;",                                                              # blank: skipped on import
    "F004;E01011313;LS2 7XX;vehicle fire;-1;lowercase name;430000;434500",  # 5 appliances minimum, caller pattern
    "F005;;LS2 7XX;vehicle fire;two;Cy Doe;430010;434510",                  # 6 lsoa required, appliances type
]

SCHEMA = {
    "fields": [
        {"name": "incident_ref", "type": "string", "constraints": {"required": True, "unique": True}},
        {"name": "lsoa_code", "type": "string", "constraints": {"required": True, "pattern": "E0[0-9]{7}"}},
        {"name": "postcode", "type": "string",
         "constraints": {"pattern": "[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}"}},
        {"name": "category", "type": "string",
         "constraints": {"enum": ["dwelling fire", "vehicle fire", "other fire"]}},
        {"name": "appliances", "type": "integer", "constraints": {"minimum": 0, "maximum": 20}},
        {"name": "caller_name", "type": "string", "constraints": {"pattern": "[A-Z].*"}},
        {"name": "station", "type": "string"},
    ]
}

# (source_row, field, rule) worked out by hand from INCIDENTS and SCHEMA.
EXPECTED = {
    (2, "lsoa_code", "pattern"), (2, "postcode", "pattern"),
    (3, "lsoa_code", "pattern"), (3, "category", "enum"),
    (5, "appliances", "minimum"), (5, "caller_name", "pattern"),
    (6, "lsoa_code", "required"), (6, "appliances", "type"),
}


def write_inputs(folder):
    extract = folder / "fire_incidents.csv"
    extract.write_bytes(("\r\n".join(INCIDENTS) + "\r\n").encode("cp1252"))
    schema = folder / "fire_incidents.schema.json"
    schema.write_text(json.dumps(SCHEMA), encoding="utf-8")
    return extract, schema


def imported(run_alg, folder, extract):
    out = str(folder / "incidents.gpkg")
    run_alg("joinedup:importrecords", {"INPUT": str(extract), "IDENTIFIER_ACTION": 2, "OUTPUT": out})
    return out


def read(value):
    import geopandas as gpd

    path, _, layer = str(value).partition("|layername=")
    return gpd.read_file(path, layer=layer or None)


def test_every_violation_found_and_personal_values_hidden(run_alg, tmp_path):
    import geopandas as gpd

    extract, schema = write_inputs(tmp_path)
    layer = imported(run_alg, tmp_path, extract)
    rows = gpd.read_file(layer, fid_as_index=True)
    row_of_fid = dict(zip(rows.index, rows["source_row"], strict=True))
    results = run_alg(ALG, {"INPUT": layer, "SCHEMA": str(schema), "VIOLATIONS": str(tmp_path / "violations.gpkg")})
    violations = read(results["VIOLATIONS"])
    found = {(row_of_fid[f], field, rule) for f, field, rule in
             zip(violations["feature_id"], violations["field"], violations["rule"], strict=True)}
    assert found == EXPECTED
    assert results["VALID"] == 1 and results["INVALID"] == 4 and results["VIOLATION_COUNT"] == 8
    assert results["MISSING_FIELDS"] == 1  # station
    by_key = {(row_of_fid[f], field): v for f, field, v in
              zip(violations["feature_id"], violations["field"], violations["value"], strict=True)}
    assert by_key[(2, "postcode")] == "ls14ap"  # not personal: shown as written
    assert by_key[(3, "category")] == "chimney"
    assert by_key[(5, "caller_name")] == "(personal: not shown)"


def test_engine_without_qgis_and_blank_row():
    from joinedup.engine.opendata import validate_table

    frame = pd.DataFrame({"lsoa_code": ["E01000001", None], "appliances": ["3", None]})
    result = validate_table(frame, _schema_object())
    assert list(result.violations["rule"]) == ["blank-row"]
    assert result.violations["feature_id"].tolist() == [2]


def _schema_object():
    import frictionless

    return frictionless.Schema.from_descriptor(
        {"fields": [{"name": "lsoa_code", "type": "string", "constraints": {"required": True}},
                    {"name": "appliances", "type": "integer"}]})


@pytest.mark.parametrize("text, said", [
    ("{not json", "is not JSON"),
    ('{"title": "no fields"}', "needs a 'fields' list"),
    ('{"fields": [{"name": "x", "type": "colour"}]}', "not a valid Table Schema"),
])
def test_bad_schema_one_message(run_alg, tmp_path, text, said):
    from qgis.core import QgsProcessingException

    extract, _ = write_inputs(tmp_path)
    layer = imported(run_alg, tmp_path, extract)
    schema = tmp_path / "bad.json"
    schema.write_text(text, encoding="utf-8")
    with pytest.raises(QgsProcessingException, match=said):
        run_alg(ALG, {"INPUT": layer, "SCHEMA": str(schema), "VIOLATIONS": str(tmp_path / "v.gpkg")})


def test_through_qgis_process(run_alg, tmp_path):
    from qgis_process_helpers import qgis_process_run

    extract, schema = write_inputs(tmp_path)
    layer = imported(run_alg, tmp_path, extract)
    answer = qgis_process_run(ALG, {"INPUT": layer, "SCHEMA": str(schema),
                                    "VIOLATIONS": str(tmp_path / "violations.gpkg")})
    assert answer["results"]["VIOLATION_COUNT"] == 8
    assert "Ann Smith" not in answer["stdout"] and "lowercase name" not in answer["stdout"]


def test_chunks_give_the_same_violations_and_cancel_stops(monkeypatch):
    import frictionless

    from joinedup.engine import opendata
    from joinedup.engine.errors import EngineCancelled, Feedback

    schema = frictionless.Schema.from_descriptor(
        {"fields": [{"name": "lsoa_code", "type": "string", "constraints": {"pattern": "E0[0-9]{7}"}},
                    {"name": "appliances", "type": "integer", "constraints": {"minimum": 0}}]})
    frame = pd.DataFrame({"lsoa_code": ["E01000001", "X", "E01000002", "Y", None],
                          "appliances": ["1", "-1", "x", "2", None]})
    whole = opendata.validate_table(frame, schema)
    monkeypatch.setattr(opendata, "VALIDATION_CHUNK", 2)
    chunked = opendata.validate_table(frame, schema)
    # By hand: row 2 pattern + minimum, row 3 type, row 4 pattern, row 5 blank.
    expected = [(2, "lsoa_code", "pattern"), (2, "appliances", "minimum"), (3, "appliances", "type"),
                (4, "lsoa_code", "pattern"), (5, "(every field)", "blank-row")]
    for result in (whole, chunked):
        assert sorted(zip(result.violations["feature_id"], result.violations["field"], result.violations["rule"],
                          strict=True)) == sorted(expected)
    with pytest.raises(EngineCancelled):
        opendata.validate_table(frame, schema, feedback=Feedback(is_cancelled=lambda: True))
