"""Area profile with EXECUTION on a real Dask LocalCluster (worker processes, no mocks), through
QGIS's processing.run: the same output as the in-process run, field for field, on the sample city
and on a seeded larger input (points on shared boundaries, NULL values, a null and an invalid
area, population 0 and NULL), whether the workers read a GeoPackage themselves or get the points
as partitions; point counts and sums equal QGIS's own native:joinbylocationsummary; line, polygon
and multipoint layers stay in-process with a log line; Cancel stops the workers; without
dask/distributed the local run works and a cluster choice says how to install them."""
import json
import multiprocessing
import subprocess
import sys
import textwrap

# dask/distributed are optional for users (the plugin runs without them), but the lock installs
# them, so on a machine `make setup` made the cluster tests run, never skip.
import dask_geopandas  # noqa: F401  (points sent as partitions need it; in requirements.lock)
import distributed  # noqa: F401  (in requirements.lock: missing it is a failure, not a skip)
import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE, plugin_parent
from feedback_helpers import recording_feedback
from joins_data import read_layer, write_layer
from test_scale_cluster import loopback  # noqa: F401 (brings 127.0.0.1 up inside `unshare -n`)

TWO_WORKERS = "local cluster:2"
CRS = "EPSG:27700"
X0, Y0 = 530_000.0, 180_000.0
N_POINTS = 30_000  # three chunks or partitions of 10,000 (engine.scale_points.chunk_rows_for)


def _layer(uri, name):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(str(uri), name, "ogr")
    assert layer.isValid(), uri
    return layer


def _memory_copy(uri, name):
    """The layer as a QGIS memory layer: not a file the workers can read."""
    from qgis.core import QgsFeatureRequest

    copy = _layer(uri, name).materialize(QgsFeatureRequest())
    copy.setName(name)
    return copy


def _table(path):
    return pd.DataFrame(read_layer(path).drop(columns="geometry"))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """Areas: a 6 × 6 grid of 200 m squares sharing edges, 40 overlapping irregular polygons, an
    invalid bow-tie (repaired), a null geometry and a square far from every point; population
    with 0 and NULL. Points: 30,000 seeded, a tenth on the grid's lines (on two or four squares'
    boundaries), 1 % without geometry; an integer field, an integer field with NULLs, a real
    field. The same points in EPSG:4326, lines, polygons and multipoints."""
    import geopandas as gpd
    import shapely

    folder = tmp_path_factory.mktemp("scaleprofile")
    rng = np.random.default_rng(21)
    squares = [shapely.box(X0 + x, Y0 + y, X0 + x + 200, Y0 + y + 200)
               for x in range(0, 1200, 200) for y in range(0, 1200, 200)]
    blobs = [shapely.Point(X0 + cx, Y0 + cy).buffer(r, quad_segs=5)
             for cx, cy, r in zip(rng.uniform(0, 1200, 40), rng.uniform(0, 1200, 40), rng.uniform(20, 160, 40),
                                  strict=True)]
    bowtie = shapely.Polygon([(X0 + 100, Y0 + 100), (X0 + 500, Y0 + 500), (X0 + 500, Y0 + 100),
                              (X0 + 100, Y0 + 500)])
    far = shapely.box(X0 + 5000, Y0 + 5000, X0 + 5100, Y0 + 5100)
    geoms = [*squares, *blobs, bowtie, None, far]
    population = pd.array(rng.integers(0, 3000, len(geoms)), dtype="Int64")
    population[[3, 10]] = 0
    population[[4, 11]] = pd.NA
    areas = gpd.GeoDataFrame({"area_id": np.arange(len(geoms)), "population": population},
                             geometry=gpd.GeoSeries(geoms), crs=CRS)
    x, y = rng.uniform(0, 1200, N_POINTS), rng.uniform(0, 1200, N_POINTS)
    on_grid = rng.random(N_POINTS) < 0.1
    x[on_grid] = np.round(x[on_grid] / 200) * 200
    y[on_grid[::-1]] = np.round(y[on_grid[::-1]] / 200) * 200
    pts = shapely.points(X0 + x, Y0 + y)
    pts[rng.random(N_POINTS) < 0.01] = None
    points = gpd.GeoDataFrame({
        "w": rng.integers(0, 1000, N_POINTS),
        "wn": pd.array(np.where(rng.random(N_POINTS) < 0.2, None, rng.integers(-50, 50, N_POINTS)), dtype="Int64"),
        "f": np.round(rng.normal(10, 3, N_POINTS), 3),
    }, geometry=gpd.GeoSeries(pts), crs=CRS)
    starts = rng.uniform(0, 1200, (300, 2))
    lines = gpd.GeoDataFrame({"k": np.arange(300)}, geometry=[
        shapely.LineString([(X0 + a, Y0 + b), (X0 + a + dx, Y0 + b + dy)])
        for (a, b), (dx, dy) in zip(starts, rng.normal(0, 150, (300, 2)), strict=True)], crs=CRS)
    parks = gpd.GeoDataFrame({"k": np.arange(30)}, geometry=[
        shapely.Point(X0 + a, Y0 + b).buffer(60) for a, b in rng.uniform(0, 1200, (30, 2))], crs=CRS)
    multi = gpd.GeoDataFrame({"w": np.arange(200)}, geometry=[
        shapely.MultiPoint([(X0 + a, Y0 + b), (X0 + a + 150, Y0 + b)]) for a, b in rng.uniform(0, 1000, (200, 2))],
        crs=CRS)
    gpkg = folder / "layers.gpkg"
    return {"folder": folder, "areas": write_layer(gpkg, "areas", areas), "points": write_layer(gpkg, "points", points),
            "wgs": write_layer(folder / "wgs.gpkg", "points", points.to_crs("EPSG:4326")),
            "lines": write_layer(gpkg, "lines", lines), "parks": write_layer(gpkg, "parks", parks),
            "multi": write_layer(gpkg, "multi", multi), "points_gdf": points}


def _profile(run_alg, params, tag, folder, execution, feedback=None):
    return run_alg("joinedup:areaprofile", {**params, "EXECUTION": execution,
                                            "OUTPUT": str(folder / f"{tag}.gpkg")}, feedback=feedback)


def _assert_same(here, there, real=()):
    """Every column equal exactly, except sums and means of real values: within rounding (the
    chunks add in another order)."""
    a, b = _table(here), _table(there)
    assert list(a.columns) == list(b.columns)
    exact = [c for c in a.columns if c not in real]
    pd.testing.assert_frame_equal(a[exact], b[exact], check_exact=True)
    for column in real:
        pd.testing.assert_series_equal(a[column], b[column], check_exact=False, rtol=1e-12)
    return a, b


def test_sample_city_on_local_cluster_equals_in_process(run_alg, tmp_path):
    """The sample city's zones with its point layers as files (the workers read them), a memory
    copy (partitions), roads and buildings (in-process): the same output, to the bit (every
    value field is an integer), and the counts are QGIS's own."""
    city = SAMPLE / "sample_city.gpkg"
    params = {"AREAS": f"{city}|layername=zones",
              "LAYERS": [_layer(f"{city}|layername=incidents", "incidents"),
                         _layer(f"{city}|layername=clinics", "clinics"),
                         _memory_copy(f"{city}|layername=inspections", "inspections"),
                         _layer(f"{city}|layername=roads", "roads"),
                         _layer(f"{city}|layername=buildings", "buildings")],
              "VALUE_FIELDS": "incidents:severity; clinics:capacity", "POPULATION_FIELD": "population"}
    here = _profile(run_alg, params, "here", tmp_path, "local")
    feedback = recording_feedback()
    there = _profile(run_alg, params, "there", tmp_path, TWO_WORKERS, feedback)
    a, _ = _assert_same(here["OUTPUT"], there["OUTPUT"])
    assert list(a.columns) == [
        "zone_id", "name", "population", "incidents_count", "incidents_severity_sum", "incidents_severity_mean",
        "incidents_per_1000", "clinics_count", "clinics_capacity_sum", "clinics_capacity_mean", "clinics_per_1000",
        "inspections_count", "inspections_per_1000", "roads_length_m", "roads_per_1000", "buildings_share"]
    log = feedback.log
    assert "Execution: a local Dask cluster of 2 worker processes." in log
    assert "Execution: the workers read the points of incidents from sample_city.gpkg themselves." in log
    assert "Execution: the workers read the points of clinics from sample_city.gpkg themselves." in log
    assert "inspections: 600 points are sent to the workers as partitions." in log
    assert ("Execution: roads (lines), buildings (polygons) are measured in this process (the cluster counts "
            "point layers only).") in log
    assert a["incidents_count"].sum() >= 2500 and a["clinics_count"].sum() >= 12
    counted = _table(run_alg("native:countpointsinpolygon", {
        "POLYGONS": f"{city}|layername=zones", "POINTS": f"{city}|layername=incidents", "FIELD": "n",
        "OUTPUT": str(tmp_path / "count.gpkg")})["OUTPUT"])
    assert list(counted["zone_id"]) == list(a["zone_id"])
    assert list(_table(there["OUTPUT"])["incidents_count"]) == list(counted["n"].astype(int))


def test_seeded_input_on_local_cluster_equals_in_process_and_qgis(run_alg, seeded):
    """Points read by the workers from the GeoPackage, the same points in memory (partitions),
    in another CRS (read and reprojected here, then partitions), multipoints, lines and
    polygons (in-process): the same output, and the counts, sums and means QGIS's summary join
    gives."""
    folder = seeded["folder"]
    params = {"AREAS": seeded["areas"],
              "LAYERS": [_layer(seeded["points"], "pts file"), _memory_copy(seeded["points"], "pts memory"),
                         _layer(seeded["wgs"], "pts wgs"), _layer(seeded["multi"], "multi"),
                         _layer(seeded["lines"], "streets"), _layer(seeded["parks"], "parks")],
              "VALUE_FIELDS": "pts file:wn; pts memory:f; pts wgs:w; multi:w", "POPULATION_FIELD": "population"}
    here = _profile(run_alg, params, "here", folder, "local")
    feedback = recording_feedback()
    there = _profile(run_alg, params, "there", folder, TWO_WORKERS, feedback)
    a, b = _assert_same(here["OUTPUT"], there["OUTPUT"], real=("pts_memory_f_sum", "pts_memory_f_mean"))
    assert list(a.columns) == [
        "area_id", "population", "pts_file_count", "pts_file_wn_sum", "pts_file_wn_mean", "pts_file_per_1000",
        "pts_memory_count", "pts_memory_f_sum", "pts_memory_f_mean", "pts_memory_per_1000",
        "pts_wgs_count", "pts_wgs_w_sum", "pts_wgs_w_mean", "pts_wgs_per_1000",
        "multi_count", "multi_w_sum", "multi_w_mean", "multi_per_1000",
        "streets_length_m", "streets_per_1000", "parks_share"]
    log = feedback.log
    assert "Execution: the workers read the points of pts file from layers.gpkg themselves." in log
    assert "pts file: 30000 points in 3 chunks of up to 10000." in log
    placed = int(seeded["points_gdf"].geometry.notna().sum())
    assert f"pts file: {N_POINTS - placed} points had no usable geometry and were counted nowhere." in log
    assert f"pts memory: {placed} points are sent to the workers as partitions." in log
    assert any(line.startswith("Execution: the points of pts wgs are read here and sent to the workers, because "
                               "the layer's CRS is not the one") for line in log), log
    assert "Execution: multi holds multipoints, which the cluster does not count; it is counted in this process." \
        in log
    assert "Execution: streets (lines), parks (polygons) are measured in this process (the cluster counts point " \
           "layers only)." in log
    # what the seeded input exercises: points on shared edges count for both squares; NULLs
    grid = b[b["area_id"] < 36]
    assert grid["pts_file_count"].sum() > placed, "points on shared boundaries count for every square they touch"
    assert b["pts_file_count"].iloc[-1] == 0 and b["pts_file_count"].iloc[-2] == 0  # far square, null area
    assert (b["pts_file_wn_sum"] != 0).any() and b["pts_file_wn_mean"].isna().iloc[-1]
    assert b.loc[[3, 10], "pts_file_per_1000"].isna().all() and b.loc[[4, 11], "pts_file_per_1000"].isna().all()
    assert (b["pts_file_count"] == b["pts_memory_count"]).all()
    # reprojected there and back, the points leave the edges (some the grid's outer ones): one square at most
    assert 0.95 * placed < grid["pts_wgs_count"].sum() <= placed < grid["pts_file_count"].sum()

    # independently: QGIS's own summary join of the same points (count of w = every matched point)
    qgis = _table(run_alg("native:joinbylocationsummary", {
        "INPUT": seeded["areas"], "JOIN": seeded["points"], "PREDICATE": [0], "JOIN_FIELDS": ["w", "wn", "f"],
        "SUMMARIES": [0, 5, 6], "DISCARD_NONMATCHING": False,
        "OUTPUT": str(folder / "qgis.gpkg")})["OUTPUT"]).set_index("area_id").sort_index()
    o = b.set_index("area_id").sort_index()
    assert (o["pts_file_count"].to_numpy() == qgis["w_count"].fillna(0).to_numpy()).all()
    assert (o["pts_file_wn_sum"].to_numpy() == qgis["wn_sum"].fillna(0).to_numpy()).all()
    # QGIS writes double statistics rounded to 6 decimals, NULL where nothing matched
    np.testing.assert_allclose(o["pts_file_wn_mean"], qgis["wn_mean"], rtol=0, atol=5.01e-7)
    np.testing.assert_allclose(o["pts_memory_f_sum"], qgis["f_sum"].fillna(0), rtol=1e-12, atol=5.01e-7)
    np.testing.assert_allclose(o["pts_memory_f_mean"], qgis["f_mean"], rtol=1e-12, atol=5.01e-7)


def test_geoparquet_read_by_the_workers_equals_in_process(seeded):
    """The engine's path for a GeoParquet file (QGIS's GDAL here has no Parquet driver, so the
    dialog cannot offer one): each worker reads its row ranges itself."""
    from joinedup.engine.errors import Feedback
    from joinedup.engine.joins import profile_areas
    from joinedup.engine.scale import Execution
    from joinedup.engine.scale_points import PointFile, profile_areas_on_cluster

    path = seeded["folder"] / "points.parquet"
    points = seeded["points_gdf"]
    points.to_parquet(path)
    areas = read_layer(seeded["areas"])
    here, _ = profile_areas(areas, [("pts", points)], value_fields="w", population_field="population")
    feedback = Feedback()
    there, _ = profile_areas_on_cluster(areas, [("pts", PointFile(str(path)))], value_fields="w",
                                        population_field="population",
                                        execution=Execution("local cluster", workers=2), feedback=feedback)
    assert "Execution: the workers read the points of pts from points.parquet themselves." in feedback.messages
    pd.testing.assert_frame_equal(pd.DataFrame(here.drop(columns="geometry")),
                                  pd.DataFrame(there.drop(columns="geometry")), check_exact=True)
    assert here["pts_count"].sum() > N_POINTS * 0.99


def test_by_hand_with_an_empty_layer(tmp_path):
    """Two squares sharing an edge, three points: one on the shared edge (counts for both), one
    with a NULL value (counted, not summed); an empty point layer. By hand, and equal to the
    in-process profile column for column, types included (no values at all: an integer sum)."""
    import geopandas as gpd
    import shapely

    from joinedup.engine.joins import profile_areas
    from joinedup.engine.scale import Execution
    from joinedup.engine.scale_points import PointFile, profile_areas_on_cluster

    x, y = 385_000.0, 6_670_000.0  # inside EPSG:3067's area, so the profile measures in it
    areas = gpd.GeoDataFrame({"a": [1, 2], "population": [2000, 0]},
                             geometry=[shapely.box(x, y, x + 10, y + 10), shapely.box(x + 10, y, x + 20, y + 10)],
                             crs="EPSG:3067")
    points = gpd.GeoDataFrame({"v": [1.5, None, 2.0]},
                              geometry=shapely.points([[x + 10, y + 5], [x + 5, y + 5], [x + 15, y + 5]]),
                              crs="EPSG:3067")
    path = tmp_path / "p.gpkg"
    write_layer(path, "pts", points)
    write_layer(path, "empty", points.iloc[:0])
    layers = [("pts", points), ("empty", points.iloc[:0])]
    here, _ = profile_areas(areas, layers, value_fields="v", population_field="population")
    there, _ = profile_areas_on_cluster(areas, [(name, PointFile(str(path), name)) for name, _ in layers],
                                        value_fields="v", population_field="population",
                                        execution=Execution("local cluster", workers=2))
    pd.testing.assert_frame_equal(pd.DataFrame(here.drop(columns="geometry")),
                                  pd.DataFrame(there.drop(columns="geometry")), check_exact=True)
    assert there["pts_count"].tolist() == [2, 2]
    assert there["pts_v_sum"].tolist() == [1.5, 3.5] and there["pts_v_mean"].tolist() == [1.5, 1.75]
    assert there["pts_per_1000"].iloc[0] == 1.0 and np.isnan(there["pts_per_1000"].iloc[1])
    assert there["empty_count"].tolist() == [0, 0] and there["empty_v_sum"].dtype == np.int64
    assert there["empty_v_mean"].isna().all()


def test_cancel_stops_the_workers(run_alg, seeded):
    """Cancel pressed once the two worker processes run: one message, no output, no worker left."""
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    before = set(multiprocessing.active_children())  # pools other tests left do not count
    seen = []

    class CancelWhenWorking(QgsProcessingFeedback):
        def isCanceled(self):  # noqa: N802 (QGIS's name)
            seen.append(len(set(multiprocessing.active_children()) - before))
            return seen[-1] >= 2

    folder = seeded["folder"]
    params = {"AREAS": seeded["areas"], "LAYERS": [_layer(seeded["points"], "pts")], "VALUE_FIELDS": "w"}
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        _profile(run_alg, params, "cancelled", folder, TWO_WORKERS, CancelWhenWorking())
    assert max(seen) >= 2                                           # the workers were running
    assert set(multiprocessing.active_children()) - before == set()  # and are gone
    assert not (folder / "cancelled.gpkg").exists()


PROBE = textwrap.dedent("""
    import json, sys
    for name in ('dask', 'distributed', 'dask_geopandas'):
        sys.modules[name] = None          # `import name` now fails: the package is "missing"
    from qgis.core import QgsApplication, QgsProcessingException
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append('/usr/share/qgis/python/plugins')
    from processing.core.Processing import Processing
    Processing.initialize()
    sys.path.insert(0, {plugin_parent!r})
    import joinedup
    plugin = joinedup.classFactory(None)
    plugin.initProcessing()
    from qgis import processing
    outcome = {{}}
    for execution in ('local', 'local cluster:2'):
        try:
            out = processing.run('joinedup:areaprofile', {{'AREAS': {areas!r}, 'LAYERS': [{points!r}],
                                 'VALUE_FIELDS': 'w', 'EXECUTION': execution, 'OUTPUT': 'memory:'}})['OUTPUT']
            outcome[execution] = sorted(f['points_count'] for f in out.getFeatures())
        except QgsProcessingException as exc:
            outcome[execution] = str(exc)
    plugin.unload()
    print('PROBE' + json.dumps(outcome))
""")


def test_without_distributed_local_works_and_cluster_says_how_to_install(seeded, tmp_path):
    """A fresh QGIS in which dask, distributed and dask-geopandas cannot be imported: the local
    profile runs, the cluster choice stops with how to install them, no traceback."""
    code = PROBE.format(plugin_parent=str(plugin_parent()), areas=seeded["areas"], points=seeded["points"])
    # cwd away from the checkout: the repo's processing/ would shadow QGIS's Processing framework
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    line = next((x for x in done.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    outcome = json.loads(line[len("PROBE"):])
    areas = read_layer(seeded["areas"])
    from joinedup.engine.joins import profile_areas

    want, _ = profile_areas(areas, [("points", seeded["points_gdf"])])
    assert outcome["local"] == sorted(want["points_count"].tolist())
    assert "dask and distributed" in outcome["local cluster:2"] and "pip install" in outcome["local cluster:2"]
    assert "Traceback" not in outcome["local cluster:2"] and "Traceback" not in done.stderr
