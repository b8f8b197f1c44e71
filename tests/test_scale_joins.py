"""Join by location's point summary with EXECUTION on a real Dask LocalCluster (worker processes,
no mocks), through QGIS's processing.run: the same output table as the in-process run and as
QGIS's own native:joinbylocationsummary, whether the workers read the GeoPackage themselves or
get the points as partitions; choices the cluster does not serve run in-process with a log
line; a bad EXECUTION text is one message; Cancel stops the workers."""
import multiprocessing

# dask/distributed are optional for users (the plugin runs without them), but the lock installs
# them, so on a machine `make setup` made the cluster tests run, never skip.
import dask_geopandas  # noqa: F401  (points sent as partitions need it; in requirements.lock)
import distributed  # noqa: F401  (in requirements.lock: missing it is a failure, not a skip)
import numpy as np
import pandas as pd
import pytest
from feedback_helpers import recording_feedback
from joins_data import read_layer, write_layer
from test_scale_cluster import loopback  # noqa: F401 (brings 127.0.0.1 up inside `unshare -n`)

TWO_WORKERS = "local cluster:2"
CRS = "EPSG:27700"
X0, Y0 = 530_000.0, 180_000.0
N_POINTS = 30_000  # three chunks or partitions of 10,000 (engine.scale_points.chunk_rows_for)
FIELDS = ["w", "wn", "f", "label"]  # named: with none QGIS would summarise GeoPackage's fid too
SUMMARY = {"METHOD": 3, "SUMMARIES": [0, 5], "JOIN_FIELDS": FIELDS, "DISCARD_NONMATCHING": False}


@pytest.fixture(scope="module")
def layers(tmp_path_factory):
    """Areas: a 6 × 6 grid of 200 m squares sharing edges, 40 overlapping irregular polygons,
    an invalid bow-tie (repaired), a null geometry and a square far from every point. Points:
    30,000 seeded, a tenth of them on the grid's lines (on two or four squares' boundaries), 1 %
    without geometry; an integer field, an integer field with nulls, a real field and a text
    field with nulls."""
    import geopandas as gpd
    import shapely

    folder = tmp_path_factory.mktemp("scalejoins")
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
    areas = gpd.GeoDataFrame({"area_id": np.arange(len(geoms)), "w": np.full(len(geoms), -1)},
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
        "label": np.where(rng.random(N_POINTS) < 0.3, None, "x").astype(object),
    }, geometry=gpd.GeoSeries(pts), crs=CRS)
    gpkg = folder / "layers.gpkg"
    return {"folder": folder, "areas": write_layer(gpkg, "areas", areas), "points": write_layer(gpkg, "points", points),
            "areas_gdf": areas, "points_gdf": points}


def _memory_copy(uri):
    """The layer as a QGIS memory layer: not a file the workers can read."""
    from qgis.core import QgsFeatureRequest, QgsVectorLayer

    layer = QgsVectorLayer(uri, "points in memory", "ogr")
    assert layer.isValid()
    return layer.materialize(QgsFeatureRequest())


def _table(path):
    return pd.DataFrame(read_layer(path).drop(columns="geometry"))


def _join(run_alg, layers, tag, join, predicate, execution, feedback=None):
    params = {"INPUT": layers["areas"], "JOIN": join, "PREDICATE": predicate, **SUMMARY, "EXECUTION": execution,
              "OUTPUT": str(layers["folder"] / f"{tag}.gpkg")}
    return run_alg("joinedup:joinbylocation", params, feedback=feedback)


@pytest.mark.parametrize("source, predicate", [("file", [0]), ("memory", [0]), ("file", [1, 3])])
def test_point_summary_on_local_cluster_equals_in_process_and_qgis(run_alg, layers, source, predicate):
    join = layers["points"] if source == "file" else _memory_copy(layers["points"])
    tag = f"{source}_{'_'.join(map(str, predicate))}"
    here = _join(run_alg, layers, f"here_{tag}", join, predicate, "local")
    feedback = recording_feedback()
    there = _join(run_alg, layers, f"there_{tag}", join, predicate, TWO_WORKERS, feedback)
    assert "Execution: a local Dask cluster of 2 worker processes." in feedback.log
    if source == "file":
        assert "The workers read the points from layers.gpkg themselves." in feedback.log
    else:
        assert f"The {N_POINTS} points are sent to the workers as partitions." in feedback.log
    assert here["JOINED_COUNT"] == there["JOINED_COUNT"]
    a, b = _table(here["OUTPUT"]), _table(there["OUTPUT"])
    assert list(a.columns) == ["area_id", "w", "w_count", "w_sum", "wn_count", "wn_sum", "f_count", "f_sum",
                               "label_count"]
    # everything but the real field's sums exactly (counts, integer sums, INPUT's own fields)
    exact = [c for c in a.columns if c != "f_sum"]
    pd.testing.assert_frame_equal(a[exact], b[exact], check_exact=True)
    pd.testing.assert_series_equal(a["f_sum"], b["f_sum"], check_exact=False, rtol=1e-12)
    assert a["w_count"].iloc[-1] == 0 and 0 < here["JOINED_COUNT"] < len(a)  # the far square matched nothing
    assert a.loc[a["area_id"] < 36, "w_count"].sum() > N_POINTS * 0.99  # every placed point is in a square

    qgis = run_alg("native:joinbylocationsummary", {
        "INPUT": layers["areas"], "JOIN": join, "PREDICATE": predicate, "JOIN_FIELDS": FIELDS, "SUMMARIES": [0, 5],
        "DISCARD_NONMATCHING": False, "OUTPUT": str(layers["folder"] / f"qgis_{tag}.gpkg")})
    q = _table(qgis["OUTPUT"]).set_index("area_id").sort_index()
    o = b.set_index("area_id").sort_index()
    assert list(q.columns) == list(o.columns), "the same statistics, names and order as QGIS"
    # QGIS writes NULL where an area matched nothing; JoinedUp 0 (documented)
    q = q.fillna(0)
    for column in exact:
        if column != "area_id":
            assert (o[column].to_numpy(float) == q[column].to_numpy(float)).all(), column
    # QGIS writes double statistics rounded to 6 decimals
    np.testing.assert_allclose(o["f_sum"].to_numpy(float), q["f_sum"].to_numpy(float), rtol=1e-12, atol=5.01e-7)


def test_geoparquet_read_by_the_workers_equals_in_process(layers):
    """The engine's path for a GeoParquet file (QGIS's GDAL here has no Parquet driver, so the
    dialog cannot offer one): each worker reads its row ranges itself."""
    from joinedup.engine.errors import Feedback
    from joinedup.engine.joins import join_by_location
    from joinedup.engine.scale import Execution
    from joinedup.engine.scale_points import summary_join_on_cluster

    path = layers["folder"] / "points.parquet"
    layers["points_gdf"].to_parquet(path)
    areas, points = layers["areas_gdf"], layers["points_gdf"]
    options = {"predicates": ("intersects",), "join_fields": ["w", "wn", "label"], "summaries": ("count", "sum")}
    here = join_by_location(areas, points, method="summary", **options)
    feedback = Feedback()
    there = summary_join_on_cluster(areas, None, points_path=str(path), execution=Execution("local cluster", workers=2),
                                    feedback=feedback, **options)
    assert "The workers read the points from points.parquet themselves." in feedback.messages
    pd.testing.assert_frame_equal(pd.DataFrame(here.output.drop(columns="geometry")),
                                  pd.DataFrame(there.output.drop(columns="geometry")), check_exact=True)
    assert here.notes == there.notes and here.output["w_count"].sum() > 0


@pytest.mark.parametrize("ids", ["gaps", "sparse"])
def test_geopackage_chunks_by_feature_id_miss_nothing(layers, tmp_path, ids):
    """GeoPackage chunks are ranges of feature ids (read through the id's index): ids with gaps
    (deleted features) still put every point in exactly one chunk; ids too sparse for ranges
    fall back to row ranges. The chunks' sum equals the whole layer's join."""
    import shutil

    from osgeo import ogr

    from joinedup.engine.errors import Feedback
    from joinedup.engine.joins import join_by_location
    from joinedup.engine.scale_points import _fid_range, summary_join_on_cluster

    path = tmp_path / "points.gpkg"
    shutil.copy(str(layers["points"]).split("|")[0], path)
    ds = ogr.Open(str(path), 1)
    sql = ("DELETE FROM points WHERE fid % 7 = 0 OR (fid > 10000 AND fid < 12500)" if ids == "gaps"
           else "UPDATE points SET fid = 1000000000 WHERE fid = 3")
    ds.ExecuteSQL(sql)
    ds = None
    points = read_layer(f"{path}|layername=points")
    lo, hi, _ = _fid_range(path, "points")
    assert (lo, hi) == ((1, N_POINTS) if ids == "gaps" else (1, 1_000_000_000))
    areas = layers["areas_gdf"]
    options = {"predicates": ("intersects",), "join_fields": ["w", "wn"], "summaries": ("count", "sum")}
    here = join_by_location(areas, points, method="summary", **options)
    feedback = Feedback()
    chunked = summary_join_on_cluster(areas, None, points_path=str(path), points_layer="points", feedback=feedback,
                                      **options)
    # gaps: ids 1 .. 30,000 in three ranges of 10,000 ids; sparse: three row ranges (not 100,000 id ranges)
    assert f"{len(points)} points in 3 chunks of up to 10000." in feedback.messages
    pd.testing.assert_frame_equal(pd.DataFrame(here.output.drop(columns="geometry")),
                                  pd.DataFrame(chunked.output.drop(columns="geometry")), check_exact=True)
    assert here.output["w_count"].sum() > 0.9 * len(points)


@pytest.mark.parametrize("change, reason", [
    ({"METHOD": 0}, "the cluster serves the summary join type only, not 'one-to-many'"),
    ({"SUMMARIES": [0, 6]}, "the cluster calculates count and sum only, not mean"),
    ({"SUMMARIES": []}, "no summaries were chosen, which means all of them"),
    ({"PREDICATE": [5]}, "the cluster matches with the predicates intersects, contains, touches only, not 'within'"),
    ({"JOIN": "areas"}, "the join layer holds Polygon features; the cluster summarises single points"),
])
def test_what_the_cluster_does_not_serve_runs_in_process_and_says_why(run_alg, layers, change, reason):
    params = {"INPUT": layers["areas"], "JOIN": layers["points"], "PREDICATE": [0], **SUMMARY,
              "OUTPUT": str(layers["folder"] / "refused_here.gpkg")}
    if change.get("JOIN") == "areas":
        change = {"JOIN": layers["areas"], "JOIN_FIELDS": ["area_id"]}
    params.update(change)
    here = run_alg("joinedup:joinbylocation", {**params, "EXECUTION": "local"})
    feedback = recording_feedback()
    there = run_alg("joinedup:joinbylocation", {**params, "EXECUTION": TWO_WORKERS,
                                                "OUTPUT": str(layers["folder"] / "refused_there.gpkg")},
                    feedback=feedback)
    said = [line for line in feedback.log if line.startswith("Execution: this join runs in this process, because ")]
    assert len(said) == 1 and reason in said[0], feedback.log
    pd.testing.assert_frame_equal(_table(here["OUTPUT"]), _table(there["OUTPUT"]), check_exact=True)


def test_bad_execution_text_is_one_message(run_alg, layers):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="local cluster:N"):
        _join(run_alg, layers, "bad", layers["points"], [0], "somewhere else")


def test_cancel_stops_the_workers(run_alg, layers):
    """Cancel pressed once the two worker processes run: one message, no output, no worker left."""
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    before = set(multiprocessing.active_children())  # pools other tests left do not count
    seen = []

    class CancelWhenWorking(QgsProcessingFeedback):
        def isCanceled(self):  # noqa: N802 (QGIS's name)
            seen.append(len(set(multiprocessing.active_children()) - before))
            return seen[-1] >= 2

    output = layers["folder"] / "cancelled.gpkg"
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        _join(run_alg, layers, "cancelled", layers["points"], [0], TWO_WORKERS, CancelWhenWorking())
    assert max(seen) >= 2                                           # the workers were running
    assert set(multiprocessing.active_children()) - before == set()  # and are gone
    assert not output.exists()
