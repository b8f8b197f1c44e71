"""Direct identifiers in agency tables with the headers councils really export: found whatever
their case and spacing, dropped by default, named in the log, and the hashing salt kept out of
parameters, logs and outputs."""
import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from qgis.core import QgsProcessingFeedback
from shapely.geometry import Point

from joinedup.engine.identifiers import guess_identifier_fields

ALG = "joinedup:linkaddresses"
# Headers as electoral registers, council tax and benefits systems export them.
PERSON_HEADERS = ["Elector Name", "First Name", "Date of Birth", "Forename(s)", "Email Address",
                  "Phone Number", "Liable Party", "SURNAME", "Tel No", "NI Number"]
NOT_PERSON = ["Address", "Postcode", "House Name", "Street Name", "Property Ref", "Band",
              "Business Name", "Premises Name"]


def test_realistic_headers_found():
    assert guess_identifier_fields(PERSON_HEADERS + NOT_PERSON) == PERSON_HEADERS


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    folder = tmp_path_factory.mktemp("privacy")
    gaz = gpd.GeoDataFrame({"uprn": [1001, 1002], "address": ["1 HIGH STREET, LINDWORTH", "2 HIGH STREET, LINDWORTH"],
                            "postcode": ["LW1 2AB", "LW1 2AB"]},
                           geometry=[Point(0, 0), Point(10, 0)], crs="EPSG:27700")
    gaz_path = folder / "gazetteer.gpkg"
    pyogrio.write_dataframe(gaz, gaz_path, layer="gazetteer")
    people = {h: [f"{h} value one", f"{h} value two"] for h in PERSON_HEADERS}
    records = pd.DataFrame({**people, "Address": ["1 High St, Lindworth", "2 High St, Lindworth"],
                            "Postcode": ["LW1 2AB", "LW1 2AB"], "Band": ["B", "C"]})
    csv = folder / "electoral.csv"
    records.to_csv(csv, index=False)
    return folder, csv, gaz_path


def _params(folder, csv, gaz_path, name, **extra):
    params = {"INPUT": str(csv), "ADDRESS_FIELDS": ["Address"], "POSTCODE_FIELD": "Postcode",
              "REFERENCE": str(gaz_path), "REF_UPRN_FIELD": "uprn", "REF_ADDRESS_FIELDS": ["address"],
              "REF_POSTCODE_FIELD": "postcode", "OUTPUT": str(folder / f"{name}.gpkg")}
    params.update(extra)
    return params


def test_identifiers_dropped_by_default_and_named_in_the_log(run_alg, extract):
    folder, csv, gaz_path = extract
    log = QgsProcessingFeedback()  # keeps its own text log
    result = run_alg(ALG, _params(folder, csv, gaz_path, "default"), feedback=log)
    out = pyogrio.read_dataframe(result["OUTPUT"], read_geometry=False)
    assert not set(PERSON_HEADERS) & set(out.columns)
    assert {"Address", "Postcode", "Band"} <= set(out.columns)
    assert out["matched_uprn"].tolist() == [1001, 1002]
    said = log.textLog()
    assert "dropped" in said and all(h in said for h in PERSON_HEADERS)
    assert "value one" not in said  # no personal value is ever logged


def test_salt_is_not_a_parameter_and_never_written(run_alg, extract, monkeypatch):
    from qgis.core import QgsApplication

    folder, csv, gaz_path = extract
    alg = QgsApplication.processingRegistry().algorithmById(ALG)
    assert alg.parameterDefinition("SALT") is None  # so not in the history, models or provenance
    secret = "correct-horse-battery-staple"
    monkeypatch.setenv("JOINEDUP_HASH_SALT", secret)
    log = QgsProcessingFeedback()  # keeps its own text log
    result = run_alg(ALG, _params(folder, csv, gaz_path, "hashed", IDENTIFIER_ACTION=0), feedback=log)
    out = pyogrio.read_dataframe(result["OUTPUT"], read_geometry=False)
    # hashed with the salt from the environment: the code is SHA-256(salt + value), checked here
    import hashlib

    expected = hashlib.sha256((secret + "ELECTOR NAME VALUE ONE").encode()).hexdigest()[:16]
    assert out["Elector Name"].iloc[0] == expected
    said = log.textLog()
    assert secret not in said and "JOINEDUP_HASH_SALT" in said
    with open(result["OUTPUT"], "rb") as handle:
        assert secret.encode() not in handle.read()
