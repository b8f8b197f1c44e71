"""joinedup:evidencepack on the sample city: one multi-page PDF with cover, findings, map,
charts, method and provenance; the provenance lists every input used with the right feature
counts; bad input gives clear messages."""
import json

import numpy as np
import pytest
from conftest import REPO
from evidence_helpers import pdf_page_images, pdf_pages, pdf_text

SAMPLE = REPO / "resources" / "sample" / "sample_city.gpkg"
OSM = "© OpenStreetMap contributors, ODbL 1.0"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A copy of the sample city: QGIS switches a GeoPackage it opens to WAL mode, which
    changes the file's bytes (and hash), so the committed file is never opened here."""
    import shutil

    assert SAMPLE.exists(), "resources/sample/sample_city.gpkg is missing (make sample)"
    copy = tmp_path_factory.mktemp("sample") / "sample_city.gpkg"
    shutil.copyfile(SAMPLE, copy)
    return copy


@pytest.fixture(scope="module")
def pack(run_alg, sample, tmp_path_factory):
    """An evidencemap step, then the pack reading and extending the same provenance file."""
    out = tmp_path_factory.mktemp("pack")
    prov = out / "provenance.json"
    run_alg("joinedup:evidencemap", {
        "INPUT": f"{sample}|layername=zones", "FIELD": "population", "UNITS": "people", "DPI": 50,
        "CONTEXT": [f"{sample}|layername=roads"], "OUTPUT_PDF": str(out / "map.pdf"),
        "PROVENANCE": str(prov)})
    results = run_alg("joinedup:evidencepack", {
        "INPUT": f"{sample}|layername=zones", "FIELD": "population", "NAME_FIELD": "name",
        "TOP_N": 8, "UNITS": "people", "TITLE": "Where people live",
        "SUBTITLE": "Synthetic population per zone", "ORGANISATION": "City data office",
        "SOURCES": OSM + "; synthetic population", "CONTEXT": [f"{sample}|layername=roads"],
        "DISCLOSURE": "Disclosure control: zone counts below 10 would be suppressed.",
        "PROVENANCE": str(prov), "DPI": 80,
        "OUTPUT": str(out / "pack.pdf"), "OUTPUT_PROJECT": str(out / "pack.qgz")})
    return out, results


@pytest.fixture(scope="module")
def zones(sample):
    import pyogrio

    return pyogrio.read_dataframe(sample, layer="zones")


def test_pack_pages_and_their_contents(pack, zones):
    out, results = pack
    pdf = out / "pack.pdf"
    assert results["PAGES"] == pdf_pages(pdf) == 6
    for page in range(1, 7):  # every page numbered, and carries the footer
        text = " ".join(pdf_text(pdf, page).split())
        assert f"Page {page} of 6" in text, (page, text[-300:])
        assert "City data office" in text and "Made with QGIS and JoinedUp" in text, (page, text[-300:])
    cover = pdf_text(pdf, 1)
    assert "Where people live" in cover and "City data office" in cover
    assert "zone counts below 10 would be suppressed" in cover
    summary = pdf_text(pdf, 2)
    assert "Summary of findings" in summary
    expected = zones.sort_values("population", ascending=False, kind="stable").head(8)
    positions = [summary.find(name) for name in expected["name"]]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), "top 8 in order"
    assert f"{int(expected['population'].iloc[0]):,}" in summary
    assert "OpenStreetMap" in pdf_text(pdf, 3) and "people" in pdf_text(pdf, 3)
    assert "Distribution of population" in pdf_text(pdf, 4) or "Charts" in pdf_text(pdf, 4)
    method = pdf_text(pdf, 5)
    assert "natural breaks" in method and "OpenStreetMap" in method and "Disclosure control" in method
    assert "Provenance" in pdf_text(pdf, 6)


def test_pack_pages_are_not_blank(pack, tmp_path):
    out, _ = pack
    pages = pdf_page_images(out / "pack.pdf", tmp_path, 30)
    assert len(pages) == 6
    assert all(p.std() > 5 for p in pages)
    charts = pages[3]
    assert (charts < 200).mean() > 0.03, "the charts page has hardly any ink"


def test_pack_map_page_legend_one_entry_per_class(pack):
    from qgis.core import QgsLayoutItemLegend, QgsProject

    out, _ = pack
    project = QgsProject()
    assert project.read(str(out / "pack.qgz"))
    layout = project.layoutManager().printLayouts()[0]
    assert layout.pageCollection().pageCount() == 6
    legend = next(i for i in layout.items() if isinstance(i, QgsLayoutItemLegend))
    assert legend.page() == 2
    nodes = legend.model().layerLegendNodes(legend.model().rootGroup().findLayers()[0])
    assert len(nodes) == 5
    project.clear()


def test_provenance_lists_every_input_with_feature_counts(pack, sample):
    import pyogrio

    out, results = pack
    doc = json.loads((out / "provenance.json").read_text())
    assert [s["algorithm"] for s in doc["steps"]] == ["joinedup:evidencemap", "joinedup:evidencepack"]
    assert results["STEPS"] == 2
    expected = {layer: pyogrio.read_info(sample, layer=layer)["features"] for layer in ("zones", "roads")}
    for step in doc["steps"]:
        got = {i["layer"]: i["features"] for i in step["inputs"]}
        assert got == expected, step["algorithm"]
        assert all(i["crs"] == "EPSG:3067" and len(i["sha256"]) == 64 for i in step["inputs"])
    assert doc["steps"][1]["outputs"][0]["path"].endswith("pack.pdf")
    # ... and the printed provenance says the same.
    text = pdf_text(out / "pack.pdf", 6)
    assert "joinedup:evidencemap" in text and "joinedup:evidencepack" in text
    compact = " ".join(text.split())
    for layer, count in expected.items():
        assert f"{count:,} features" in compact
        assert layer in compact


def test_long_provenance_continues_on_extra_pages(run_alg, sample, tmp_path):
    from joinedup.engine.provenance import append_step, describe_file

    prov = tmp_path / "long.json"
    record = describe_file(f"{sample}|layername=incidents", parameter="INPUT")
    for i in range(40):
        append_step(str(prov), {"algorithm": f"joinedup:step{i:02d}", "inputs": [record],
                                "parameters": {"RADIUS_M": 100 + i}})
    results = run_alg("joinedup:evidencepack", {
        "INPUT": f"{sample}|layername=zones", "FIELD": "population", "DPI": 50,
        "PROVENANCE": str(prov), "OUTPUT": str(tmp_path / "long.pdf")})
    pages = pdf_pages(tmp_path / "long.pdf")
    assert results["PAGES"] == pages > 6
    last = " ".join(pdf_text(tmp_path / "long.pdf", pages).split())
    assert f"Page {pages} of {pages}" in last and "Made with QGIS and JoinedUp" in last
    assert results["STEPS"] == 41
    assert "joinedup:step39" in pdf_text(tmp_path / "long.pdf", pages) or \
        "joinedup:step39" in pdf_text(tmp_path / "long.pdf", pages - 1)


@pytest.mark.parametrize("case, message", [
    ("allnull", "no numeric values"),
    ("bad_provenance", "could not be read as JSON"),
    ("unwritable", "does not exist"),
])
def test_pack_bad_input_gives_clear_messages(run_alg, sample, tmp_path, case, message):
    import pyogrio
    from qgis.core import QgsProcessingException

    params = {"INPUT": f"{sample}|layername=zones", "FIELD": "population", "DPI": 50,
              "OUTPUT": str(tmp_path / "p.pdf")}
    if case == "allnull":
        z = pyogrio.read_dataframe(sample, layer="zones")
        z["empty_rate"] = np.nan
        pyogrio.write_dataframe(z, tmp_path / "z.gpkg", layer="zones")
        params.update(INPUT=f"{tmp_path / 'z.gpkg'}|layername=zones", FIELD="empty_rate")
    elif case == "bad_provenance":
        (tmp_path / "bad.json").write_text("{oops")
        params["PROVENANCE"] = str(tmp_path / "bad.json")
    else:
        params["OUTPUT"] = str(tmp_path / "missing" / "p.pdf")
    with pytest.raises(QgsProcessingException, match=message) as error:
        run_alg("joinedup:evidencepack", params)
    assert "Traceback" not in str(error.value)
    assert not (tmp_path / "p.pdf").exists()
