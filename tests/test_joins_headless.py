"""The join algorithms headless: through qgis_process (with QGIS_PLUGINPATH, via
scripts/qgis_process.sh), and the shipped model that chains native:buffer with
joinedup:areaprofile, through processing.run and through qgis_process."""
from __future__ import annotations

from pathlib import Path

import pytest
from joins_data import *  # noqa: F401,F403  (fixtures)
from joins_data import layer_uri, read_layer
from qgis_process_helpers import qgis_process_run

pytestmark = pytest.mark.slow
MODEL = Path(__file__).resolve().parents[1] / "resources" / "models" / "area_profile_with_buffer.model3"


def test_joinbylocation_summary_headless(osm_gpkg, tmp_path):
    out = tmp_path / "summary.gpkg"
    answer = qgis_process_run("joinedup:joinbylocation", {
        "INPUT": layer_uri(osm_gpkg, "polys"), "JOIN": layer_uri(osm_gpkg, "points"),
        "PREDICATE": [0], "METHOD": 3, "JOIN_FIELDS": ["name_len"], "SUMMARIES": [0, 6],
        "OUTPUT": str(out)})
    assert Path(answer["results"]["OUTPUT"].split("|")[0]) == out
    result = read_layer(answer["results"]["OUTPUT"])
    polys = read_layer(layer_uri(osm_gpkg, "polys"))
    assert len(result) == len(polys)
    assert (result.name_len_count >= 0).all() and result.name_len_count.sum() > 100
    assert answer["results"]["JOINED_COUNT"] == int((result.name_len_count > 0).sum()) or \
        answer["results"]["JOINED_COUNT"] >= int((result.name_len_count > 0).sum())


def test_joinnearest_headless(osm_gpkg, tmp_path):
    out = tmp_path / "near.gpkg"
    answer = qgis_process_run("joinedup:joinnearest", {
        "INPUT": layer_uri(osm_gpkg, "polys"), "INPUT_2": layer_uri(osm_gpkg, "points"),
        "FIELDS_TO_COPY": ["jid"], "NEIGHBORS": 2, "MAX_DISTANCE": 100, "OUTPUT": str(out)})
    result = read_layer(answer["results"]["OUTPUT"])
    assert set(result.n.dropna().astype(int)) == {1, 2}
    assert result["distance"].max() <= 100


def test_areaprofile_headless(osm_gpkg, tmp_path):
    out = tmp_path / "profile.gpkg"
    answer = qgis_process_run("joinedup:areaprofile", {
        "AREAS": layer_uri(osm_gpkg, "polys"),
        "LAYERS": [layer_uri(osm_gpkg, "points"), layer_uri(osm_gpkg, "lines")],
        "OUTPUT": str(out)})
    result = read_layer(answer["results"]["OUTPUT"])
    assert len(result) == len(read_layer(layer_uri(osm_gpkg, "polys")))
    assert any(c.endswith("_count") for c in result.columns)
    assert any(c.endswith("_length_m") for c in result.columns)


def test_headless_bad_input_is_a_message_not_a_traceback(osm_gpkg, tmp_path):
    answer = qgis_process_run("joinedup:areaprofile", {
        "AREAS": layer_uri(osm_gpkg, "polys"), "LAYERS": [layer_uri(osm_gpkg, "points")],
        "VALUE_FIELDS": "nope", "OUTPUT": str(tmp_path / "x.gpkg")}, check=False)
    assert answer["returncode"] != 0
    text = answer["stdout"] + answer["stderr"]
    assert "No layer has a field named 'nope'" in text
    assert "Traceback" not in text


def _model_inputs(osm_gpkg):
    return {"CENTRES": layer_uri(osm_gpkg, "points"), "BUFFER_M": 100,
            "LAYERS": [layer_uri(osm_gpkg, "lines"), layer_uri(osm_gpkg, "polys")]}


def test_shipped_model_runs_in_processing(plugin, osm_gpkg, tmp_path):
    from qgis import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProcessingModelAlgorithm

    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(str(MODEL))
    assert [c.algorithmId() for c in model.childAlgorithms().values()].count("joinedup:areaprofile") == 1
    out = tmp_path / "model.gpkg"
    result = processing.run(model, {**_model_inputs(osm_gpkg), "area_profile": str(out)},
                            context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    profile = read_layer(result["area_profile"])
    points = read_layer(layer_uri(osm_gpkg, "points"))
    assert len(profile) == len(points), "one buffer (area) per centre"
    share = [c for c in profile.columns if c.endswith("_share")]
    length = [c for c in profile.columns if c.endswith("_length_m")]
    assert share and length
    assert profile[share[0]].between(0, 1).all() and profile[share[0]].max() > 0.2
    # a 100 m buffer has at most pi * 100 m * ... : street length inside is positive somewhere
    assert profile[length[0]].max() > 100


def test_shipped_model_runs_in_qgis_process(osm_gpkg, tmp_path):
    out = tmp_path / "model_qp.gpkg"
    answer = qgis_process_run(str(MODEL), {**_model_inputs(osm_gpkg), "area_profile": str(out)})
    profile = read_layer(answer["results"]["area_profile"])
    assert len(profile) == len(read_layer(layer_uri(osm_gpkg, "points")))
