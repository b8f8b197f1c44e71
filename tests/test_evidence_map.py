"""joinedup:evidencemap on the real OSM buildings: the layout renders (PDF pages, map not
blank, legend one entry per class, scale bar, north arrow, attribution), the saved project
opens with its layout, atlas pages, headless qgis_process, and clear messages on bad input."""
import json
import os
import subprocess

import numpy as np
import pytest
from conftest import REPO
from evidence_helpers import image_array, make_evidence_data, pdf_page_images, pdf_pages, pdf_text, region

OSM = "© OpenStreetMap contributors, ODbL 1.0"


@pytest.fixture(scope="module")
def gpkg(real_data, tmp_path_factory):
    return make_evidence_data(real_data, tmp_path_factory.mktemp("evidence_data"))


@pytest.fixture(scope="module")
def rendered(run_alg, gpkg, tmp_path_factory):
    """One run with every output: reused by the rendering checks below."""
    from qgis.core import QgsProject

    out = tmp_path_factory.mktemp("evidencemap")
    before = (len(QgsProject.instance().mapLayers()), QgsProject.instance().layoutManager().layouts())
    params = {
        "INPUT": f"{gpkg}|layername=buildings", "FIELD": "area_m2", "METHOD": 0, "CLASSES": 5,
        "UNITS": "m²", "CONTEXT": [f"{gpkg}|layername=roads"], "TITLE": "Building footprints",
        "SUBTITLE": "Central Helsinki", "ORGANISATION": "City data office", "SOURCES": OSM,
        "DATE": "2026-11-23", "PAPER": 0, "DPI": 100,
        "OUTPUT_PDF": str(out / "map.pdf"), "OUTPUT_PNG": str(out / "map.png"),
        "OUTPUT_PROJECT": str(out / "map.qgz"), "PROVENANCE": str(out / "provenance.json"),
    }
    results = run_alg("joinedup:evidencemap", params)
    after = (len(QgsProject.instance().mapLayers()), QgsProject.instance().layoutManager().layouts())
    assert before == after, "evidencemap must not touch the user's project"
    return out, results


@pytest.fixture(scope="module")
def saved_layout(rendered):
    """The layout as a planner gets it: read back from the saved .qgz in a new project."""
    from qgis.core import QgsProject

    out, results = rendered
    project = QgsProject()
    assert project.read(results["OUTPUT_PROJECT"]), project.error()
    layouts = project.layoutManager().printLayouts()
    assert len(layouts) == 1
    yield project, layouts[0]
    project.clear()


def test_pdf_has_one_page_and_the_texts(rendered):
    out, results = rendered
    assert results["PAGES"] == 1
    assert pdf_pages(out / "map.pdf") == 1
    text = pdf_text(out / "map.pdf")
    for expected in ("Building footprints", "Central Helsinki", "OpenStreetMap contributors",
                     "ODbL", "City data office", "2026-11-23", "natural breaks", "Disclosure control",
                     "m²"):
        assert expected in text, expected


def test_legend_has_one_entry_per_class_with_labels(rendered, saved_layout):
    from qgis.core import QgsLayoutItemLegend

    _, results = rendered
    project, layout = saved_layout
    legend = layout.itemById("legend")
    assert isinstance(legend, QgsLayoutItemLegend)
    layer_nodes = legend.model().rootGroup().findLayers()
    assert len(layer_nodes) == 1
    nodes = legend.model().layerLegendNodes(layer_nodes[0])
    breaks = json.loads(results["BREAKS"])
    assert len(nodes) == results["CLASSES_MADE"] == len(breaks) == 5
    labels = [n.data(0) for n in nodes]
    assert all(label.endswith("m²") for label in labels)
    assert labels[-1].split("–")[1].strip().startswith(f"{breaks[-1]:,.0f}")


def test_layout_items_scale_bar_north_arrow_attribution(saved_layout):
    from qgis.core import QgsLayoutItemLabel, QgsLayoutItemMap, QgsLayoutItemPicture, QgsLayoutItemScaleBar

    project, layout = saved_layout
    map_item = layout.itemById("map")
    assert isinstance(map_item, QgsLayoutItemMap)
    assert [lyr.name() for lyr in map_item.layers()] == ["roads", "buildings"]
    assert map_item.crs().authid() == "EPSG:3067"
    scalebar = layout.itemById("scalebar")
    assert isinstance(scalebar, QgsLayoutItemScaleBar) and scalebar.linkedMap() is map_item
    assert scalebar.unitsPerSegment() > 0
    arrow = layout.itemById("north_arrow")
    assert isinstance(arrow, QgsLayoutItemPicture) and os.path.exists(arrow.picturePath())
    sources = layout.itemById("sources")
    assert isinstance(sources, QgsLayoutItemLabel) and OSM in sources.text()
    buildings = project.mapLayersByName("buildings")[0]
    assert buildings.renderer().type() == "graduatedSymbol"
    assert len(buildings.renderer().ranges()) == 5


def test_pixels_map_is_not_blank_and_scale_bar_is_drawn(rendered, saved_layout, tmp_path):
    out, _ = rendered
    _, layout = saved_layout
    dpi = 50
    pages = pdf_page_images(out / "map.pdf", tmp_path, dpi)
    assert len(pages) == 1
    page = pages[0]
    map_pixels = region(page, layout.itemById("map"), dpi)
    assert map_pixels.size and map_pixels.std() > 20, "the map area is blank"
    assert len(np.unique(map_pixels)) > 20
    scalebar = region(page, layout.itemById("scalebar"), dpi)
    assert (scalebar < 80).sum() > 20, "no dark scale-bar pixels"
    legend = region(page, layout.itemById("legend"), dpi)
    assert legend.std() > 20
    # The PNG export: A4 at 100 dpi, and not blank either.
    png = image_array(out / "map.png")
    assert abs(png.shape[1] - 827) <= 2 and abs(png.shape[0] - 1169) <= 2
    assert region(png, layout.itemById("map"), 100).std() > 20


def test_provenance_records_inputs_with_feature_counts(rendered, gpkg):
    import pyogrio

    out, _ = rendered
    doc = json.loads((out / "provenance.json").read_text())
    assert doc["format"] == "joinedup-provenance"
    step = doc["steps"][-1]
    assert step["algorithm"] == "joinedup:evidencemap"
    inputs = {(i["parameter"], i["layer"]): i for i in step["inputs"]}
    for parameter, layer in (("INPUT", "buildings"), ("CONTEXT", "roads")):
        record = inputs[(parameter, layer)]
        assert record["features"] == pyogrio.read_info(gpkg, layer=layer)["features"]
        assert record["crs"] == "EPSG:3067" and len(record["sha256"]) == 64
    assert {o["parameter"] for o in step["outputs"]} == {"OUTPUT_PDF", "OUTPUT_PNG", "OUTPUT_PROJECT"}


def test_atlas_one_page_per_district(run_alg, gpkg, tmp_path):
    results = run_alg("joinedup:evidencemap", {
        "INPUT": f"{gpkg}|layername=buildings", "FIELD": "area_m2", "METHOD": 1, "CLASSES": 4,
        "COVERAGE": f"{gpkg}|layername=districts", "COVERAGE_NAME_FIELD": "district",
        "PAPER": 1, "DPI": 72, "OUTPUT_PDF": str(tmp_path / "atlas.pdf")})
    assert results["PAGES"] == 4
    assert pdf_pages(tmp_path / "atlas.pdf") == 4
    assert "South-East" in pdf_text(tmp_path / "atlas.pdf", page=4)
    pages = pdf_page_images(tmp_path / "atlas.pdf", tmp_path, 30)
    assert len(pages) == 4 and all(p.std() > 10 for p in pages)


def test_fewer_distinct_values_than_classes_gives_fewer_classes(run_alg, gpkg, tmp_path):
    from qgis.core import QgsProcessingFeedback, QgsProject

    class Capture(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.warnings = []

        def pushWarning(self, text):  # noqa: N802
            self.warnings.append(text)
            super().pushWarning(text)

    feedback = Capture()
    results = run_alg("joinedup:evidencemap", {
        "INPUT": f"{gpkg}|layername=buildings", "FIELD": "three", "CLASSES": 5, "DPI": 50,
        "OUTPUT_PDF": str(tmp_path / "three.pdf"), "OUTPUT_PROJECT": str(tmp_path / "three.qgz")},
        feedback=feedback)
    assert results["CLASSES_MADE"] == 3
    assert any("only 3 distinct values" in w for w in feedback.warnings)
    project = QgsProject()
    assert project.read(str(tmp_path / "three.qgz"))
    legend = project.layoutManager().printLayouts()[0].itemById("legend")
    assert len(legend.model().layerLegendNodes(legend.model().rootGroup().findLayers()[0])) == 3
    project.clear()


@pytest.mark.parametrize("field, layer, message", [
    ("allnull", "buildings", "no numeric values"),
    ("area_m2", "empty", "has no features"),
    ("nosuchfield", "buildings", "is not in buildings"),
])
def test_bad_input_gives_a_clear_message(run_alg, gpkg, tmp_path, field, layer, message):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match=message) as error:
        run_alg("joinedup:evidencemap", {"INPUT": f"{gpkg}|layername={layer}", "FIELD": field,
                                         "OUTPUT_PDF": str(tmp_path / "x.pdf")})
    assert "Traceback" not in str(error.value)
    assert not (tmp_path / "x.pdf").exists()


def test_unwritable_outputs_give_a_clear_message(run_alg, gpkg, tmp_path):
    from qgis.core import QgsProcessingException

    params = {"INPUT": f"{gpkg}|layername=buildings", "FIELD": "area_m2", "DPI": 50}
    with pytest.raises(QgsProcessingException, match="folder .* does not exist"):
        run_alg("joinedup:evidencemap", dict(params, OUTPUT_PDF=str(tmp_path / "no" / "such" / "m.pdf")))
    # A path the checks let through but the PDF engine cannot write (it is a folder):
    # QgsLayoutExporter's error becomes a message, not a traceback.
    folder = tmp_path / "is_a_folder.pdf"
    folder.mkdir()
    with pytest.raises(QgsProcessingException, match="Could not export the layout as PDF"):
        run_alg("joinedup:evidencemap", dict(params, OUTPUT_PDF=str(folder)))


def _qgis_process(args, timeout=300):
    return subprocess.run([str(REPO / "scripts" / "qgis_process.sh")] + args,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_headless_through_qgis_process(gpkg, tmp_path):
    pdf = tmp_path / "headless.pdf"
    done = _qgis_process(
        ["run", "joinedup:evidencemap", "--json", "--",
         f"INPUT={gpkg}|layername=buildings", "FIELD=area_m2", "UNITS=m²", "DPI=60",
         f"SOURCES={OSM}", f"OUTPUT_PDF={pdf}", f"OUTPUT_PNG={tmp_path / 'headless.png'}"])
    assert "{" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads(done.stdout[done.stdout.index("{"):])["results"]
    assert results["CLASSES_MADE"] == 5
    assert pdf_pages(pdf) == 1 and "OpenStreetMap" in pdf_text(pdf)
    assert image_array(tmp_path / "headless.png").std() > 20


@pytest.mark.slow
def test_headless_exit_code_is_zero(gpkg, tmp_path):
    done = _qgis_process(["run", "joinedup:evidencemap", "--", f"INPUT={gpkg}|layername=buildings",
                          "FIELD=area_m2", "DPI=50", f"OUTPUT_PDF={tmp_path / 'x.pdf'}"])
    assert done.returncode == 0, done.stderr[-500:]
    assert (tmp_path / "x.pdf").stat().st_size > 0


def test_memory_layer_is_copied_beside_the_project(run_alg, gpkg, tmp_path):
    """A layer that is not a file still opens from the saved project on another machine."""
    from qgis.core import QgsFeature, QgsProject, QgsVectorLayer

    source = QgsVectorLayer(f"{gpkg}|layername=buildings", "buildings", "ogr")
    memory = QgsVectorLayer("Polygon?crs=EPSG:3067&field=area_m2:double", "scratch", "memory")
    features = []
    for feature in source.getFeatures():
        copy = QgsFeature(memory.fields())
        copy.setGeometry(feature.geometry())
        copy.setAttributes([feature["area_m2"]])
        features.append(copy)
    memory.dataProvider().addFeatures(features)
    results = run_alg("joinedup:evidencemap", {"INPUT": memory, "FIELD": "area_m2", "DPI": 50,
                                               "OUTPUT_PDF": str(tmp_path / "m.pdf"),
                                               "OUTPUT_PROJECT": str(tmp_path / "m.qgz")})
    assert results["CLASSES_MADE"] == 5
    assert (tmp_path / "m_data" / "layers.gpkg").exists()
    project = QgsProject()
    assert project.read(str(tmp_path / "m.qgz"))
    layer = project.mapLayersByName("scratch")[0]
    assert layer.isValid() and layer.featureCount() == source.featureCount()
    project.clear()


def test_cancel_gives_a_clear_message_and_no_pdf(run_alg, gpkg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg("joinedup:evidencemap", {"INPUT": f"{gpkg}|layername=buildings", "FIELD": "area_m2",
                                         "OUTPUT_PDF": str(tmp_path / "c.pdf")}, feedback=feedback)
    assert not (tmp_path / "c.pdf").exists()
