"""The office's catalogue: datasets with their terms, and the lineage every JoinedUp run records
through processAlgorithm's hook (processing/lineage.py). Runs drive real QGIS (processing.run,
qgis_process); hashes are checked against the system's own sha256sum; a catalogue that cannot be
written only warns."""
from __future__ import annotations

import datetime
import json
import sqlite3
import subprocess

import pytest
from test_workbench_validate import write_inputs

from joinedup.engine.catalogue import Catalogue, DatasetRef, without_secrets


@pytest.fixture
def catalogue_file(tmp_path, monkeypatch):
    path = tmp_path / "office" / "catalogue.gpkg"
    monkeypatch.setenv("JOINEDUP_CATALOGUE", str(path))
    return path


def capture():
    from qgis.core import QgsProcessingFeedback

    class Capture(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.warnings = []

        def pushWarning(self, text):  # noqa: N802
            self.warnings.append(text)
            super().pushWarning(text)

    return Capture()


def test_engine_terms_lineage_and_secrets(tmp_path):
    source = tmp_path / "arrears.csv"
    source.write_bytes("a,b\n1,2\n".encode("cp1252"))
    middle, final = tmp_path / "placed.gpkg", tmp_path / "report.csv"
    middle.write_bytes(b"x" * 10)
    final.write_bytes(b"y")
    cat = Catalogue(str(tmp_path / "cat.gpkg"))
    cat.register(DatasetRef(str(source)), owner_agency="Council tax", sharing_agreement="DSA-2026-014",
                 licence="internal", sensitivity="OFFICIAL-SENSITIVE", personal_data=True, retention_date="2026-01-31")
    cat.record_run("joinedup:importrecords", {"INPUT": str(source), "DB": "dbname=x password=hunter2 host=y",
                                              "SALT": "pepper"}, [DatasetRef(str(source))],
                   [DatasetRef(str(middle), "", 1, "EPSG:27700")])
    cat.record_run("joinedup:validatelayer", {"INPUT": str(middle)}, [DatasetRef(str(middle))],
                   [DatasetRef(str(final))])
    record = cat.dataset(str(source))
    sha = subprocess.run(["sha256sum", str(source)], capture_output=True, text=True, check=True).stdout.split()[0]
    assert record["sha256"] == sha and record["sensitivity"] == "OFFICIAL-SENSITIVE" and record["personal_data"] == 1
    steps = cat.lineage(str(final))
    assert [s["algorithm"] for s in steps] == ["joinedup:validatelayer", "joinedup:importrecords"]
    assert [d["name"] for d in cat.sources(str(final))] == ["arrears"]
    assert steps[1]["parameters"]["SALT"] == "***" and "hunter2" not in json.dumps(steps[1]["parameters"])
    assert cat.dataset(str(middle))["row_count"] == 1 and cat.dataset(str(middle))["crs"] == "EPSG:27700"
    warnings = cat.publication_warnings([DatasetRef(str(final))], today=datetime.date(2026, 12, 4))
    assert len(warnings) == 1 and "past its retention date (2026-01-31)" in warnings[0]
    assert "personal data" in warnings[0]
    assert [d["name"] for d in cat.datasets("council")] == ["arrears"]
    assert [d["name"] for d in cat.datasets(sensitivity="OFFICIAL-SENSITIVE")] == ["arrears"]
    with pytest.raises(ValueError, match="Sensitivity must be one of"):
        cat.register(DatasetRef(str(source)), sensitivity="SECRET")
    # QGIS's own GDAL opens it as a GeoPackage with the three tables.
    from osgeo import ogr

    opened = ogr.Open(str(tmp_path / "cat.gpkg"))
    assert opened.GetDriver().GetName() == "GPKG"
    assert {opened.GetLayer(i).GetName() for i in range(opened.GetLayerCount())} == {"datasets", "runs", "run_datasets"}


def test_secrets_never_recorded():
    clean = without_secrets({"CONNECTION": "postgres://u dbname='d' password='s3cret' host=h",
                             "API_KEY": "abc", "OUTPUT": "/tmp/x.gpkg", "LIST": ["token=zzz", 3]})
    text = json.dumps(clean)
    assert "s3cret" not in text and "abc" not in text and "zzz" not in text and "/tmp/x.gpkg" in text


def test_every_run_recorded_with_lineage(run_alg, tmp_path, catalogue_file):
    extract, schema = write_inputs(tmp_path)
    placed = str(tmp_path / "incidents.gpkg")
    run_alg("joinedup:importrecords", {"INPUT": str(extract), "IDENTIFIER_ACTION": 2, "OUTPUT": placed})
    violations = str(tmp_path / "violations.gpkg")
    run_alg("joinedup:validatelayer", {"INPUT": placed, "SCHEMA": str(schema), "VIOLATIONS": violations})
    cat = Catalogue(str(catalogue_file))
    steps = cat.lineage(violations)
    assert [s["algorithm"] for s in steps] == ["joinedup:validatelayer", "joinedup:importrecords"]
    assert {d["path"] for d in cat.sources(violations)} == {str(extract.resolve()), str(schema.resolve())}
    placed_record = steps[1]["outputs"][0]
    assert placed_record["row_count"] == 5 and placed_record["crs"] == "EPSG:27700"  # 5 rows, blank skipped


def test_publication_warns_on_personal_and_expired_inputs(run_alg, tmp_path, catalogue_file):
    extract, _ = write_inputs(tmp_path)
    placed = str(tmp_path / "incidents.gpkg")
    run_alg("joinedup:importrecords", {"INPUT": str(extract), "OUTPUT": placed})
    Catalogue(str(catalogue_file)).register(DatasetRef(str(extract)), personal_data=True,
                                             retention_date="2020-01-01")
    feedback = capture()
    run_alg("joinedup:publishopendata", {"INPUT": placed, "TITLE": "Incidents", "METHOD": 2,
                                         "OUTPUT": str(tmp_path / "package")}, feedback=feedback)
    said = [w for w in feedback.warnings if w.startswith("Catalogue:")]
    assert len(said) == 1 and "fire_incidents" in said[0] and "past its retention date (2020-01-01)" in said[0]


def test_unwritable_catalogue_only_warns(run_alg, tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("JOINEDUP_CATALOGUE", str(blocker / "catalogue.gpkg"))
    extract, _ = write_inputs(tmp_path)
    feedback = capture()
    results = run_alg("joinedup:importrecords", {"INPUT": str(extract), "OUTPUT": str(tmp_path / "out.gpkg")},
                      feedback=feedback)
    assert results["PLACED"] == 5
    assert any("could not be recorded in the catalogue" in w for w in feedback.warnings)


def test_locked_catalogue_only_warns(run_alg, tmp_path, catalogue_file):
    Catalogue(str(catalogue_file))
    holder = sqlite3.connect(str(catalogue_file))
    holder.execute("BEGIN EXCLUSIVE")
    try:
        extract, _ = write_inputs(tmp_path)
        feedback = capture()
        run_alg("joinedup:importrecords", {"INPUT": str(extract), "OUTPUT": str(tmp_path / "out.gpkg")},
                feedback=feedback)
        assert any("could not be recorded in the catalogue" in w for w in feedback.warnings)
    finally:
        holder.rollback()
        holder.close()


def test_qgis_process_records_too(run_alg, tmp_path):
    from qgis_process_helpers import qgis_process_run

    extract, _ = write_inputs(tmp_path)
    catalogue = tmp_path / "cat.gpkg"
    out = tmp_path / "placed.gpkg"
    qgis_process_run("joinedup:importrecords", {"INPUT": str(extract), "OUTPUT": str(out)},
                     env={"JOINEDUP_CATALOGUE": str(catalogue)})
    steps = Catalogue(str(catalogue)).lineage(str(out))
    assert [s["algorithm"] for s in steps] == ["joinedup:importrecords"]


def test_import_records_the_extract_terms(run_alg, tmp_path, catalogue_file):
    extract, _ = write_inputs(tmp_path)
    run_alg("joinedup:importrecords", {
        "INPUT": str(extract), "OWNER_AGENCY": "Fire and Rescue", "SHARING_AGREEMENT": "DSA-2026-014",
        "LICENCE": "internal use only", "SENSITIVITY": 1, "PERSONAL_DATA": True, "RETENTION_DATE": "2027-03-31",
        "OUTPUT": str(tmp_path / "placed.gpkg")})
    record = Catalogue(str(catalogue_file)).dataset(str(extract))
    assert (record["owner_agency"], record["sharing_agreement"], record["licence"], record["sensitivity"],
            record["personal_data"], record["retention_date"]) == (
        "Fire and Rescue", "DSA-2026-014", "internal use only", "OFFICIAL-SENSITIVE", 1, "2027-03-31")


def test_import_refuses_a_mistyped_retention_date(run_alg, tmp_path, catalogue_file):
    from qgis.core import QgsProcessingException

    extract, _ = write_inputs(tmp_path)
    with pytest.raises(QgsProcessingException, match="retention date must be written YYYY-MM-DD"):
        run_alg("joinedup:importrecords", {"INPUT": str(extract), "RETENTION_DATE": "31/03/2027",
                                           "OUTPUT": str(tmp_path / "placed.gpkg")})
    assert not (tmp_path / "placed.gpkg").exists()


def test_catalogue_off_records_nothing(run_alg, tmp_path, monkeypatch):
    monkeypatch.setenv("JOINEDUP_CATALOGUE", "off")
    monkeypatch.chdir(tmp_path)
    extract, _ = write_inputs(tmp_path)
    feedback = capture()
    run_alg("joinedup:importrecords", {"INPUT": str(extract), "OUTPUT": str(tmp_path / "out.gpkg")},
            feedback=feedback)
    assert not (tmp_path / "off").exists() and not feedback.warnings
