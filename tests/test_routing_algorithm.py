"""joinedup:routeoptimisation through QGIS: processing.run, a model and qgis_process, on a hand-made
street grid with a one-way row. Today's rounds are priced against QGIS's own shortest paths."""
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import vroom  # noqa: F401,E402  (pyvroom is in requirements.lock: missing it is a failure, not a skip)
from qgis.core import QgsProcessing, QgsProcessingFeedback
from shapely import LineString, Point

CRS = "EPSG:3395"  # World Mercator: true to 1e-8 near (0, 0), where these hand-made streets lie (docs/crs.md)
TMP = QgsProcessing.TEMPORARY_OUTPUT
SECRET = "Flat 3, 12 Secret Street"  # stands for a home address: must not reach the log


def read(path):
    import pyogrio

    return pyogrio.read_dataframe(str(path).split("|")[0])


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """A 400 m × 400 m grid of 100 m streets; the bottom row (y = 0) is one-way eastwards.
    Two vehicles at the middle of the west and east edges; jobs 5 m off the streets."""
    folder = tmp_path_factory.mktemp("routing")
    geoms, oneway = [], []
    for i in range(5):
        for j in range(4):
            geoms.append(LineString([(j * 100, i * 100), ((j + 1) * 100, i * 100)]))
            oneway.append("yes" if i == 0 else None)
            geoms.append(LineString([(i * 100, j * 100), (i * 100, (j + 1) * 100)]))
            oneway.append(None)
    gpd.GeoDataFrame({"oneway": oneway}, geometry=geoms, crs=CRS).to_file(folder / "streets.gpkg")
    jobs = gpd.GeoDataFrame({
        "ref": ["a", "b", "c", "d", "e", "f", "g", "h", "i"],
        "address": [SECRET] * 9,
        "demand": [1, 1, 1, 1, 1, 1, 100, 1, 1],
        "service_min": [5, 5, 5, 5, 5, 5, 5, 5, 5],
        "window": ["08:00-12:00", None, "09:00-16:00", None, "", None, None, "03:00-04:00", None],
        "skill": [None, None, None, None, None, "lift", None, None, None],
        "today": ["west", "east", "west", "east", "west", None, None, None, None],
        "today_order": [3, 1, 1, 2, 2, None, None, None, None],
        "opens": ["08:00", None, "09:00", None, None, None, None, "03:00", None],
        "closes": ["12:00", None, "16:00", None, None, None, None, "04:00", None],
    }, geometry=[Point(150, 5), Point(350, 205), Point(5, 350), Point(250, 395), Point(105, 250),
                 Point(205, 150), Point(300, 105), Point(395, 50), Point(9000, 9000)], crs=CRS)
    jobs.to_file(folder / "jobs.gpkg")
    vehicles = gpd.GeoDataFrame({"name": ["west", "east"], "capacity": [10, 10],
                                 "shift": ["08:00-17:00", "08:30-16:30"]},
                                geometry=[Point(0, 200), Point(400, 200)], crs=CRS)
    vehicles.to_file(folder / "vehicles.gpkg")
    return {"streets": str(folder / "streets.gpkg"), "jobs": str(folder / "jobs.gpkg"),
            "vehicles": str(folder / "vehicles.gpkg"), "folder": folder, "jobs_gdf": jobs,
            "vehicles_gdf": vehicles}


def params(grid, **extra):
    p = {"INPUT": grid["streets"], "STRATEGY": 0, "DIRECTION_FIELD": "oneway", "VALUE_FORWARD": "yes",
         "DEFAULT_DIRECTION": 2, "DEFAULT_SPEED": 36.0, "MAX_SNAP": 50.0,
         "JOBS": grid["jobs"], "JOB_ID": "ref", "DEMAND_FIELD": "demand", "SERVICE_FIELD": "service_min",
         "WINDOW_FIELD": "window", "SKILL_FIELD": "skill",
         "VEHICLES": grid["vehicles"], "VEHICLE_ID": "name", "CAPACITY_FIELD": "capacity", "SHIFT_FIELD": "shift",
         "OBJECTIVE": 1, "TIME_LIMIT": 5, "QUALITY": 2,
         "ROUTES": TMP, "STOPS": TMP, "UNASSIGNED": TMP, "SUMMARY": TMP}
    p.update(extra)
    return p


def qgis_length(run_alg, grid, a, b):
    """Network length from point a to point b by QGIS's own shortest path (same one-way rule)."""
    res = run_alg("native:shortestpathpointtopoint", {
        "INPUT": grid["streets"], "STRATEGY": 0, "DIRECTION_FIELD": "oneway", "VALUE_FORWARD": "yes",
        "VALUE_BACKWARD": "", "VALUE_BOTH": "", "DEFAULT_DIRECTION": 2, "TOLERANCE": 0,
        "START_POINT": f"{a.x},{a.y} [{CRS}]", "END_POINT": f"{b.x},{b.y} [{CRS}]", "OUTPUT": "memory:"})
    return res["TRAVEL_COST"]


def test_plan_accounts_for_every_job_and_prices_today_against_qgis(run_alg, grid):
    feedback = QgsProcessingFeedback()
    res = run_alg("joinedup:routeoptimisation",
                  params(grid, CURRENT_VEHICLE_FIELD="today", CURRENT_ORDER_FIELD="today_order"),
                  feedback=feedback)
    stops, un, routes, summary = (read(res[k]) for k in ("STOPS", "UNASSIGNED", "ROUTES", "SUMMARY"))
    served = set(stops.loc[stops.kind == "job", "job_id"])
    reasons = dict(zip(un.job_id, un.reason))
    assert served | set(reasons) == set(grid["jobs_gdf"].ref) and not served & set(reasons)
    assert reasons == {"f": "no vehicle has the required skill",
                       "g": "its demand is above every suitable vehicle's capacity",
                       "h": "outside every time window: no vehicle can reach it in its window within its shift",
                       "i": "not on the network"}
    assert res["JOBS_SERVED"] == 5 and res["JOBS_UNASSIGNED"] == 4
    assert len(routes) == res["VEHICLES_USED"] and set(routes.geom_type) == {"LineString"}
    # every route's drawn line is as long as the distance it reports
    np.testing.assert_allclose(routes.geometry.length / 1000.0, routes.distance_km, rtol=1e-9)
    # windows kept: a opens 08:00-12:00, c 09:00-16:00
    arrival = dict(zip(stops.job_id, stops.arrival))
    assert "08:00" <= arrival["a"] <= "12:00" and arrival["c"] >= "09:00" or \
        stops.loc[stops.job_id == "c", "waiting_min"].item() > 0
    # today's rounds, leg by leg with QGIS's own shortest path
    jobs = grid["jobs_gdf"].set_index("ref")
    depots = dict(zip(grid["vehicles_gdf"].name, grid["vehicles_gdf"].geometry))
    expected = 0.0
    for vehicle, group in jobs[jobs.today.notna()].groupby("today"):
        seq = [depots[vehicle]] + list(group.sort_values("today_order").geometry) + [depots[vehicle]]
        expected += sum(qgis_length(run_alg, grid, a, b) for a, b in zip(seq[:-1], seq[1:]))
    current = summary.set_index("plan").loc["current"]
    optimised = summary.set_index("plan").loc["optimised"]
    assert current.distance_km * 1000 == pytest.approx(expected, abs=0.01)
    assert res["SAVED_KM"] == pytest.approx(current.distance_km - optimised.distance_km)
    assert optimised.distance_km <= current.distance_km + 1e-9
    assert optimised.vehicles_available == 2 and optimised.vehicles_used == res["VEHICLES_USED"]
    # privacy: no address in any output unless chosen, and no job id or address in the log
    assert "address" not in stops.columns and "address" not in un.columns
    log = feedback.textLog()
    assert SECRET not in log
    assert "save" in log and "vehicle-hours a week" in log


def test_chosen_job_fields_are_copied(run_alg, grid):
    res = run_alg("joinedup:routeoptimisation", params(grid, JOB_FIELDS=["address"]))
    stops, un = read(res["STOPS"]), read(res["UNASSIGNED"])
    assert set(stops.loc[stops.kind == "job", "address"]) == {SECRET}
    assert stops.loc[stops.kind != "job", "address"].isna().all()
    assert set(un["address"]) == {SECRET}


def test_routes_never_run_against_the_one_way_row(run_alg, grid):
    res = run_alg("joinedup:routeoptimisation", params(grid, STRATEGY=1, OBJECTIVE=0))
    routes = read(res["ROUTES"])
    checked = 0
    for line in routes.geometry:
        c = np.asarray(line.coords)
        on_row = (np.abs(c[:-1, 1]) < 1e-6) & (np.abs(c[1:, 1]) < 1e-6)
        checked += int(on_row.sum())
        assert (np.diff(c[:, 0])[on_row] > 0).all()
    assert checked > 0  # job a lies on the one-way row: some route uses it


def test_bad_input_is_one_clear_message(run_alg, grid):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="Default shift"):
        run_alg("joinedup:routeoptimisation", params(grid, SHIFT_FIELD=None, DEFAULT_SHIFT="8 till 4"))
    with pytest.raises(QgsProcessingException, match="depots layer"):
        run_alg("joinedup:routeoptimisation", params(grid, START_DEPOT_FIELD="name"))


def test_depots_layer_and_vehicle_table(run_alg, grid):
    """Vehicles as a table naming their depots."""
    folder = grid["folder"]
    depots = gpd.GeoDataFrame({"depot": ["D1"]}, geometry=[Point(200, 0)], crs=CRS)
    depots.to_file(folder / "depots.gpkg")
    table = gpd.GeoDataFrame({"van": ["v1", "v2"], "from": ["D1", "D1"], "seats": [3, 3]},
                             geometry=[None, None], crs=CRS)
    table.to_file(folder / "vans.gpkg")
    res = run_alg("joinedup:routeoptimisation", params(
        grid, VEHICLES=str(folder / "vans.gpkg"), VEHICLE_ID="van", CAPACITY_FIELD="seats", SHIFT_FIELD=None,
        DEPOTS=str(folder / "depots.gpkg"), DEPOT_ID="depot", START_DEPOT_FIELD="from"))
    stops = read(res["STOPS"])
    depot_stops = stops[stops.kind != "job"]
    assert ((depot_stops.geometry.x - 200).abs() < 1e-9).all() and (depot_stops.geometry.y.abs() < 1e-9).all()
    per_vehicle = stops[stops.kind == "job"].groupby("vehicle_id").size()
    assert (per_vehicle <= 3).all() and per_vehicle.sum() == res["JOBS_SERVED"] == 5


def test_runs_inside_a_model(plugin, grid):
    from qgis import processing
    from qgis.core import (
        QgsProcessingContext,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFeatureSource,
    )

    model = QgsProcessingModelAlgorithm("rounds", "tests")
    for name in ("streets", "jobs", "vehicles"):
        model.addModelParameter(QgsProcessingParameterFeatureSource(name, name), QgsProcessingModelParameter(name))
    child = QgsProcessingModelChildAlgorithm("joinedup:routeoptimisation")
    child.setChildId("plan")
    fixed = {k: v for k, v in params(grid).items() if k not in ("INPUT", "JOBS", "VEHICLES", "ROUTES", "STOPS",
                                                                "UNASSIGNED", "SUMMARY")}
    sources = {k: [QgsProcessingModelChildParameterSource.fromStaticValue(v)] for k, v in fixed.items()}
    sources["INPUT"] = [QgsProcessingModelChildParameterSource.fromModelParameter("streets")]
    sources["JOBS"] = [QgsProcessingModelChildParameterSource.fromModelParameter("jobs")]
    sources["VEHICLES"] = [QgsProcessingModelChildParameterSource.fromModelParameter("vehicles")]
    for key, value in sources.items():
        child.addParameterSources(key, value)
    out = QgsProcessingModelOutput("stops", "stops")
    out.setChildOutputName("STOPS")
    child.setModelOutputs({"stops": out})
    model.addChildAlgorithm(child)
    model.updateDestinationParameters()  # declares 'stops' as the model's own output parameter
    model_file = grid["folder"] / "rounds.model3"
    assert model.toFile(str(model_file))
    saved = QgsProcessingModelAlgorithm()  # run it as QGIS runs a .model3 from the toolbox
    assert saved.fromFile(str(model_file))
    path = grid["folder"] / "model_stops.gpkg"
    result = processing.run(saved, {"streets": grid["streets"], "jobs": grid["jobs"], "vehicles": grid["vehicles"],
                                    "stops": str(path)}, context=QgsProcessingContext(),
                            feedback=QgsProcessingFeedback())
    stops = read(result["stops"])
    assert (stops.kind == "job").sum() == 5


def test_runs_through_qgis_process(grid):
    from qgis_process_helpers import qgis_process_run

    folder = grid["folder"]
    p = params(grid, ROUTES=str(folder / "qp_routes.gpkg"), STOPS=str(folder / "qp_stops.gpkg"),
               UNASSIGNED=str(folder / "qp_un.gpkg"), SUMMARY=str(folder / "qp_summary.gpkg"))
    answer = qgis_process_run("joinedup:routeoptimisation", p)
    assert answer["results"]["JOBS_SERVED"] == 5
    assert len(read(answer["results"]["UNASSIGNED"])) == 4


def test_without_the_solver_only_this_algorithm_says_how_to_install():
    """pyvroom blocked in a fresh interpreter: the engine and the dependency check still import,
    and the message names the pip package."""
    plugins = Path(__file__).resolve().parents[1] / ".build" / "plugins"
    code = (
        "import sys; sys.modules['vroom'] = None\n"
        f"sys.path.insert(0, {str(plugins)!r})\n"
        "from joinedup.dependencies import optional_missing_message, missing_message\n"
        "import joinedup.engine.routing\n"
        "print(repr(optional_missing_message('routeoptimisation')))\n"
        "print(repr(optional_missing_message('odmatrix')))\n")
    out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True).stdout
    first, second = out.strip().splitlines()
    assert "pyvroom" in first
    assert second == "''"


def test_windows_from_two_fields_equal_windows_as_text(run_alg, grid):
    as_text = run_alg("joinedup:routeoptimisation", params(grid))
    as_fields = run_alg("joinedup:routeoptimisation", params(grid, WINDOW_FIELD="opens", WINDOW_END_FIELD="closes"))
    for key in ("JOBS_SERVED", "JOBS_UNASSIGNED", "VEHICLES_USED"):
        assert as_text[key] == as_fields[key]
    assert as_fields["DISTANCE_KM"] == pytest.approx(as_text["DISTANCE_KM"])
    un = read(as_fields["UNASSIGNED"])
    assert un.loc[un.job_id == "h", "reason"].item().startswith("outside every time window")
