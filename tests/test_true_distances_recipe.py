"""The whole devolution recipe (the shipped model) on a Web Mercator copy of the sample city
gives the answers it gives on the city's own metric CRS (EPSG:3067, true to 0.01 % there):
the ground-metre rule (docs/crs.md) applied to every step at once, as a GIS officer meets it
when the layers come from a web download."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import REPO, SAMPLE

pytestmark = pytest.mark.slow
LAYERS = ("zones", "incidents", "inspections", "amenities", "roads", "clinics", "schools", "gps_points",
          "collisions")


def run_recipe(folder, source):
    """The model on the layers of GeoPackage ``source``; returns {output name: GeoDataFrame}."""
    import pyogrio
    from qgis import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProcessingModelAlgorithm, QgsProject

    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(str(REPO / "resources" / "models" / "devolution_evidence.model3"))
    parameters, outputs = {}, {}
    for definition in model.parameterDefinitions():
        name = definition.name().lower()
        if definition.isDestination():
            outputs[name] = folder / f"{name}.gpkg"
            parameters[definition.name()] = str(outputs[name])
        elif name in LAYERS:
            parameters[definition.name()] = f"{source}|layername={name}"
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = QgsProcessingFeedback()
    processing.run(model, parameters, context=context, feedback=feedback)
    return {name: pyogrio.read_dataframe(path) for name, path in outputs.items() if path.exists()}, feedback


def test_recipe_on_web_mercator_gives_the_metric_answers(plugin, tmp_path):
    import pyogrio

    mercator = tmp_path / "sample_3857.gpkg"
    for layer in LAYERS:
        frame = pyogrio.read_dataframe(SAMPLE / "sample_city.gpkg", layer=layer)
        pyogrio.write_dataframe(frame.to_crs("EPSG:3857"), mercator, layer=layer)
    (tmp_path / "m").mkdir()
    (tmp_path / "t").mkdir()
    metric, _ = run_recipe(tmp_path / "t", SAMPLE / "sample_city.gpkg")
    web, feedback = run_recipe(tmp_path / "m", mercator)
    log = feedback.textLog()
    assert "EPSG:3857" in log and "scale error" in log  # every reprojection is named
    assert set(web) == set(metric)
    for name, ours in web.items():
        if getattr(ours, "crs", None) is not None:  # tables have none
            assert ours.crs.to_epsg() == 3857, f"{name} is not in the input's CRS"

    # coverage of clinics within the recipe's threshold, per zone and in total
    summary_m, summary_w = metric["coverage_summary"].iloc[0], web["coverage_summary"].iloc[0]
    assert summary_w["covered_demand"] == pytest.approx(summary_m["covered_demand"], rel=1e-3)
    np.testing.assert_allclose(web["access_clinics"]["nearest_cost"], metric["access_clinics"]["nearest_cost"],
                               rtol=1e-3, equal_nan=True)
    # lengths on the ground: matched routes and flows
    np.testing.assert_allclose(np.sort(web["matched_routes"]["length_m"]),
                               np.sort(metric["matched_routes"]["length_m"]), rtol=1e-3)
    assert web["flows"]["length_m"].sum() == pytest.approx(metric["flows"]["length_m"].sum(), rel=1e-3)
    # the same new clinic sites, and the same priority ranking
    assert sorted(web["new_clinic_sites"]["site_id"]) == sorted(metric["new_clinic_sites"]["site_id"])
    ranks_w = web["priority_index"].set_index("zone_id")["pi_rank"]
    ranks_m = metric["priority_index"].set_index("zone_id")["pi_rank"]
    assert (ranks_w.reindex(ranks_m.index) - ranks_m).abs().max() <= 1
    # hot-spot cells: the same number of cells of the same ground size
    assert len(web["incident_hotspots"]) == len(metric["incident_hotspots"])
