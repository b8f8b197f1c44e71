"""Gi* against PySAL esda on real OSM data for every weights type, and bad input."""
import warnings

import numpy as np
import pytest
import shapely

from joinedup.engine import hotspots as eng
from joinedup.engine.errors import InputError


@pytest.fixture(scope="module")
def osm_points(real_data):
    import geopandas as gpd

    pts = gpd.read_file(real_data / "helsinki.osm.pbf", layer="points").to_crs(3067)
    return shapely.get_coordinates(pts.geometry.values)


@pytest.fixture(scope="module")
def osm_polygons(real_data):
    import geopandas as gpd

    from joinedup.engine.geometry import clean_geometries

    mp = gpd.read_file(real_data / "helsinki.osm.pbf", layer="multipolygons",
                       on_invalid="fix").to_crs(3067)
    usable, _, _ = clean_geometries(mp, "repair")
    return usable.reset_index(drop=True)


def _esda_z(y, w, transform):
    from esda.getisord import G_Local

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return G_Local(np.asarray(y, float), w, transform=transform, star=True, permutations=0).Zs


@pytest.mark.parametrize("kind", ["queen", "rook"])
@pytest.mark.parametrize("transform", ["B", "R"])
def test_contiguity_on_grid_over_real_points_equals_esda(osm_points, kind, transform):
    import geopandas as gpd
    from libpysal.weights import Queen, Rook

    cell, _ = eng.auto_cell_size(osm_points)
    grid = eng.point_grid(osm_points, shape="square", cell_size=cell)
    y = np.bincount(grid.cell_of_point, minlength=len(grid.geometry))
    assert y.sum() == len(osm_points)
    frame = gpd.GeoDataFrame({"y": y}, geometry=grid.geometry, crs=3067)
    w = (Queen if kind == "queen" else Rook).from_dataframe(frame, use_index=False, silence_warnings=True)
    W = eng.weights_for(kind, grid=grid)
    ws = w.sparse.tocsr()
    assert (abs(ws - W) > 0).nnz == 0  # the same neighbours
    # and the same as the geometric polygon test
    assert (abs(eng.contiguity_weights(grid.geometry, rook=kind == "rook") - W) > 0).nnz == 0
    res = eng.gi_star(y, W, transform=transform)
    np.testing.assert_allclose(res.z, _esda_z(y, w, transform), atol=1e-6, rtol=0)


@pytest.mark.parametrize("transform", ["B", "R"])
def test_knn_on_real_buildings_equals_esda(osm_polygons, transform):
    from libpysal.weights import KNN

    xy = shapely.get_coordinates(shapely.centroid(osm_polygons.geometry.values))
    y = shapely.area(osm_polygons.geometry.values)
    w = KNN.from_array(xy, k=6)
    W = eng.weights_for("knn", xy=xy, k=6)
    assert (abs(w.sparse.tocsr() - W) > 0).nnz == 0
    res = eng.gi_star(y, W, transform=transform)
    np.testing.assert_allclose(res.z, _esda_z(y, w, transform), atol=1e-6, rtol=0)


@pytest.mark.parametrize("transform", ["B", "R"])
def test_distance_band_on_real_buildings_equals_esda(osm_polygons, transform):
    from libpysal.weights import DistanceBand
    from libpysal.weights import W as PysalW

    xy = shapely.get_coordinates(shapely.centroid(osm_polygons.geometry.values))
    y = shapely.area(osm_polygons.geometry.values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = DistanceBand.from_array(xy, threshold=100, binary=True, silence_warnings=True)
    W = eng.weights_for("distance", xy=xy, distance=100)
    diff = (W - w.sparse.tocsr()).tocoo()
    # the only differences: buildings with the same centroid, which libpysal drops (distance 0)
    assert all(np.hypot(*(xy[i] - xy[j])) == 0 for i, j in zip(diff.row, diff.col))
    res = eng.gi_star(y, W, transform=transform)
    ok = ~res.islands
    # compare with esda given exactly these neighbours
    wj = PysalW.from_sparse(W)
    np.testing.assert_allclose(res.z[ok], _esda_z(y, wj, transform)[ok], atol=1e-6, rtol=0)
    # and with libpysal's own weights wherever the neighbour sets agree
    same = ok & ~np.isin(np.arange(len(y)), diff.row)
    own = _esda_z(y, w, transform)
    assert same.sum() > 0.95 * len(y)
    np.testing.assert_allclose(res.z[same], own[same], atol=1e-6, rtol=0)


def test_permutation_p_like_esda_and_seeded(osm_points):
    from esda.getisord import G_Local
    from libpysal.weights import W as PysalW

    cell, _ = eng.auto_cell_size(osm_points)
    grid = eng.point_grid(osm_points, shape="hexagon", cell_size=cell)
    y = np.bincount(grid.cell_of_point, minlength=len(grid.geometry)).astype(float)
    W = eng.weights_for("queen", grid=grid)
    a = eng.gi_star(y, W, inference="permutation", permutations=999, seed=7)
    b = eng.gi_star(y, W, inference="permutation", permutations=999, seed=7)
    np.testing.assert_array_equal(a.p_sim, b.p_sim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = G_Local(y, PysalW.from_sparse(W), transform="B", star=True, permutations=999, seed=7)
    # different random streams: pseudo p-values agree in distribution, not digit for digit
    assert np.abs(a.p_sim - e.p_sim).max() < 0.08
    assert np.corrcoef(a.p_sim, e.p_sim)[0, 1] > 0.95
    assert ((a.p_sim < 0.05) == (e.p_sim < 0.05)).mean() > 0.95


def test_fdr_and_classes():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    q = eng.benjamini_hochberg(p)
    # hand-computed: p_(i) * m / i, then the running minimum from the top
    expected = np.minimum.accumulate((p * 10 / np.arange(1, 11))[::-1])[::-1]
    np.testing.assert_allclose(q, expected)
    z = np.array([3.0, 2.1, 1.7, 0.5, -1.7, -2.1, -3.0, np.nan])
    pp = np.array([0.003, 0.04, 0.09, 0.6, 0.09, 0.04, 0.003, np.nan])
    assert eng.classify(z, pp).tolist() == [3, 2, 1, 0, -1, -2, -3, 0]


def test_hexagon_grid_cells_hold_their_points(osm_points):
    grid = eng.point_grid(osm_points, shape="hexagon", cell_size=60)
    cells = grid.geometry[grid.cell_of_point]
    pts = shapely.points(osm_points)
    assert shapely.covers(shapely.buffer(cells, 1e-6), pts).all()
    area = shapely.area(grid.geometry)
    np.testing.assert_allclose(area, 3600, rtol=1e-9)
    W = eng.weights_for("queen", grid=grid)
    assert (abs(eng.contiguity_weights(shapely.set_precision(grid.geometry, 1e-6)) - W) > 0).nnz == 0


def test_bad_input():
    import scipy.sparse as sp

    W = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], float))
    with pytest.raises(InputError, match="at least 3"):
        eng.gi_star([5.0], sp.csr_matrix((1, 1)))
    with pytest.raises(InputError, match="sum to zero"):
        eng.gi_star([0.0, 0.0, 0.0], W)
    with pytest.raises(InputError, match="equal"):
        eng.gi_star([4.0, 4.0, 4.0], W)
    with pytest.raises(InputError, match="NaN"):
        eng.gi_star([4.0, np.nan, 1.0], W)
    island = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], float))
    res = eng.gi_star([1.0, 2.0, 3.0, 9.0], island)
    assert res.islands.tolist() == [False, False, True, True]
    assert np.isnan(res.z[2:]).all() and np.isfinite(res.z[:2]).all()
    assert "islands" in res.notes[0]


def _memory_polygons(values, crs="EPSG:3067"):
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

    layer = QgsVectorLayer(f"Polygon?crs={crs}&field=v:double", "areas", "memory")
    feats = []
    for i, v in enumerate(values):
        f = QgsFeature(layer.fields())
        x, y = 385000 + (i % 6) * 100, 6671000 + (i // 6) * 100
        f.setGeometry(QgsGeometry.fromWkt(f"POLYGON(({x} {y},{x+100} {y},{x+100} {y+100},{x} {y+100},{x} {y}))"))
        f.setAttributes([v])
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    return layer


def test_algorithm_on_polygons_accounts_for_every_feature(plugin, run_alg, tmp_path):
    import geopandas as gpd
    from libpysal.weights import Queen

    rng = np.random.default_rng(1)
    values = list(rng.poisson(20, 36).astype(float))
    values[5] = None  # a null value
    layer = _memory_polygons(values)
    out = run_alg("joinedup:hotspots", {"INPUT": layer, "FIELD": "v", "WEIGHTS": 0,
                                        "OUTPUT": str(tmp_path / "hs.gpkg")})["OUTPUT"]
    got = gpd.read_file(out)
    assert len(got) == 36
    assert got.loc[5, "gi_class"] == eng.NO_VALUE_LABEL and np.isnan(got.loc[5, "gi_z"])
    keep = got.drop(index=5).reset_index(drop=True)
    w = Queen.from_dataframe(keep, use_index=False, silence_warnings=True)
    np.testing.assert_allclose(keep["gi_z"], _esda_z(keep["v"], w, "B"), atol=1e-6)


def test_algorithm_on_points_grid_with_suppression(plugin, run_alg, real_data, tmp_path):
    import geopandas as gpd

    out = run_alg("joinedup:hotspots", {
        "INPUT": str(real_data / "helsinki.osm.pbf") + "|layername=points", "GRID_SHAPE": 1,
        "WEIGHTS": 0, "INFERENCE": 1, "PERMUTATIONS": 99, "FDR": True, "SUPPRESS_BELOW": 5,
        "OUTPUT": str(tmp_path / "grid.gpkg")})["OUTPUT"]
    got = gpd.read_file(out)
    assert got.crs.to_epsg() == 4326  # counted in UTM 35N, written back in the input's CRS (issue 23)
    flagged = got["point_count_flag"] == "primary"
    assert flagged.any() and got.loc[flagged, "point_count"].isna().all()
    assert got["point_count"].fillna(0).max() >= 5
    assert set(got["gi_bin"].dropna().unique()) <= {-3, -2, -1, 0, 1, 2, 3}
    assert (got["gi_bin"] > 0).any()


def test_algorithm_errors(plugin, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsVectorLayer

    empty = QgsVectorLayer("Polygon?crs=EPSG:3067&field=v:double", "empty", "memory")
    with pytest.raises(QgsProcessingException, match="no features"):
        run_alg("joinedup:hotspots", {"INPUT": empty, "FIELD": "v", "OUTPUT": str(tmp_path / "a.gpkg")})
    with pytest.raises(QgsProcessingException, match="at least 3"):
        run_alg("joinedup:hotspots", {"INPUT": _memory_polygons([4.0]), "FIELD": "v",
                                      "OUTPUT": str(tmp_path / "b.gpkg")})
    with pytest.raises(QgsProcessingException, match="equal"):
        run_alg("joinedup:hotspots", {"INPUT": _memory_polygons([4.0] * 12), "FIELD": "v",
                                      "OUTPUT": str(tmp_path / "c.gpkg")})
    with pytest.raises(QgsProcessingException, match="value field"):
        run_alg("joinedup:hotspots", {"INPUT": _memory_polygons([4.0] * 12),
                                      "OUTPUT": str(tmp_path / "d.gpkg")})


def test_cancel_gives_a_clear_message(plugin, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    feedback = QgsProcessingFeedback()
    feedback.cancel()
    rng = np.random.default_rng(2)
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg("joinedup:hotspots", {"INPUT": _memory_polygons(list(rng.poisson(9, 36).astype(float))),
                                      "FIELD": "v", "INFERENCE": 1, "OUTPUT": str(tmp_path / "c.gpkg")},
                feedback=feedback)


@pytest.mark.parametrize("policy", [0, 1])
def test_algorithm_on_real_buildings_keeps_every_feature(plugin, run_alg, real_data, tmp_path, policy):
    import geopandas as gpd
    from qgis import processing
    from qgis.core import QgsProcessing

    src = str(real_data / "helsinki.osm.pbf") + "|layername=multipolygons"
    with_area = processing.run("native:fieldcalculator", {
        "INPUT": src, "FIELD_NAME": "area_m2", "FIELD_TYPE": 0, "FORMULA": "area(transform($geometry, "
        "'EPSG:4326', 'EPSG:3067'))", "OUTPUT": QgsProcessing.TEMPORARY_OUTPUT})["OUTPUT"]
    n_in = with_area.featureCount()
    out = run_alg("joinedup:hotspots", {"INPUT": with_area, "FIELD": "area_m2", "WEIGHTS": 3,
                                        "NEIGHBOURS": 6, "INVALID_GEOMETRIES": policy,
                                        "OUTPUT": str(tmp_path / f"b{policy}.gpkg")})["OUTPUT"]
    got = gpd.read_file(out)
    assert len(got) == n_in
    analysed = got["gi_z"].notna()
    assert analysed.sum() > 0.9 * n_in
    allowed = ["Invalid geometry", eng.NO_VALUE_LABEL, eng.ISLAND_LABEL]
    assert got.loc[~analysed, "gi_class"].isin(allowed).all()


def test_automatic_distance_band_leaves_no_island(osm_polygons):
    xy = shapely.get_coordinates(shapely.centroid(osm_polygons.geometry.values))
    band = eng.auto_distance_band(xy)
    W = eng.weights_for("distance", xy=xy, distance=0)
    assert (np.diff(W.indptr) > 0).all()
    W_smaller = eng.distance_band_weights(xy, band * 0.999)
    assert (np.diff(W_smaller.indptr) == 0).any()


# --- publication under disclosure control: an attacker tries to undo the suppression --------

def _incident_grid(points_xy):
    """The grid and queen weights joinedup:hotspots makes for points by default (hexagons,
    automatic cell size): a reader can rebuild both from the published cells."""
    cell, _ = eng.auto_cell_size(points_xy)
    grid = eng.point_grid(points_xy, shape="hexagon", cell_size=cell)
    return grid, eng.weights_for("queen", grid=grid)


def _solve_hidden_from_z(published, total, W, z):
    """The attack on published Gi* z-scores: with binary weights, cell i's neighbourhood sum
    is ``S_i = T (W_i/n + z_i c_i u)`` with ``c_i`` known from the weights and ``u = s/ybar``
    one unknown number, so every z is one linear equation in the hidden counts and ``u``;
    with the total, least squares solves them. Returns the hidden cells and their values."""
    import scipy.sparse as sp

    n = len(published)
    hidden = np.flatnonzero(np.isnan(published))
    known = np.where(np.isnan(published), 0.0, published)
    Ws = (sp.csr_matrix(W) + sp.identity(n)).tocsr()
    card = np.asarray(Ws.sum(1)).ravel()
    c = np.sqrt(card * (n - card) / (n - 1)) / n
    ok = np.isfinite(z)
    H = Ws[:, hidden].toarray()[ok]
    A = np.vstack([np.column_stack([H, -total * c[ok] * z[ok]]),
                   np.r_[np.ones(len(hidden)), 0.0]])
    b = np.r_[total * card[ok] / n - (Ws @ known)[ok], total - known.sum()]
    solution, *_ = np.linalg.lstsq(A, b, rcond=None)
    return hidden, solution[:-1]


def test_z_scores_of_true_counts_give_suppressed_counts_away(real_data):
    """Why hotspots no longer publishes Gi* of the true counts beside suppressed cells: on the
    sample city's incidents, z-scores plus the total recover every hidden count exactly."""
    import geopandas as gpd

    from joinedup.engine.disclosure import protect_counts

    xy = shapely.get_coordinates(gpd.read_file(real_data / "sample_city.gpkg", layer="incidents").geometry.values)
    grid, W = _incident_grid(xy)
    counts = np.bincount(grid.cell_of_point, minlength=len(grid.geometry)).astype(float)
    published = protect_counts(counts, threshold=10).published.iloc[:, 0].to_numpy()[: len(counts)]
    assert np.isnan(published).sum() > 20
    z_true = eng.gi_star(counts, W).z
    hidden, recovered = _solve_hidden_from_z(published, len(xy), W, z_true)
    np.testing.assert_allclose(recovered, counts[hidden], atol=1e-6)  # the leak is real


def _move_one_point_between_hidden_cells(gdf, grid, counts, hidden):
    """A second city that differs only inside hidden cells: one incident moved from one
    hidden cell to another (both stay between 1 and 9), total and extent unchanged."""
    xy = shapely.get_coordinates(gdf.geometry.values)
    edge = (xy == xy.min(0)).any(1) | (xy == xy.max(0)).any(1)
    donors = [c for c in hidden if counts[c] >= 2]
    takers = [c for c in hidden if counts[c] <= 8]
    donor = donors[0]
    taker = next(c for c in takers if c != donor)
    moving = next(i for i in np.flatnonzero(grid.cell_of_point == donor) if not edge[i])
    target = shapely.centroid(grid.geometry[taker])
    twin = gdf.copy()
    twin.loc[twin.index[moving], "geometry"] = target
    return twin, donor, taker


def test_published_hotspots_reveal_no_suppressed_count(plugin, run_alg, real_data, tmp_path):
    """Everything joinedup:hotspots publishes (counts, flags, z, p, classes, the logged total)
    is the same for two cities whose hidden counts differ: so no attacker, whatever they
    compute from it (totals, z-scores, neighbours), can tell the hidden counts. The z-score
    attack that recovers the true counts above gets both cities wrong the same way."""
    import geopandas as gpd
    from qgis.core import QgsProcessingFeedback

    city = gpd.read_file(real_data / "sample_city.gpkg", layer="incidents")
    xy = shapely.get_coordinates(city.geometry.values)
    grid, W = _incident_grid(xy)
    counts = np.bincount(grid.cell_of_point, minlength=len(grid.geometry)).astype(float)
    small = np.flatnonzero((counts > 0) & (counts < 10))
    twin, donor, taker = _move_one_point_between_hidden_cells(city, grid, counts, small)
    twin_path = tmp_path / "twin_incidents.gpkg"
    twin.to_file(twin_path, layer="incidents")

    class Log(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.lines = []

        def pushInfo(self, info):  # noqa: N802
            self.lines.append(info)
            super().pushInfo(info)

    published, logs = [], []
    for name, source in (("city", str(real_data / "sample_city.gpkg") + "|layername=incidents"),
                         ("twin", str(twin_path) + "|layername=incidents")):
        log = Log()
        out = run_alg("joinedup:hotspots", {"INPUT": source, "WEIGHTS": 0,  # defaults: hexagons, 10
                                            "OUTPUT": str(tmp_path / f"{name}.gpkg")}, feedback=log)["OUTPUT"]
        published.append(gpd.read_file(out))
        logs.append([line for line in log.lines if "points counted" in line or "hidden" in line])
    city_out, twin_out = published
    # the two cities really differ, in hidden cells only
    twin_counts = counts.copy()
    twin_counts[donor] -= 1
    twin_counts[taker] += 1
    assert city_out.loc[donor, "point_count_flag"] == "primary" and np.isnan(city_out.loc[donor, "point_count"])
    assert city_out.loc[taker, "point_count_flag"] == "primary"
    # ... and everything published is identical
    columns = [c for c in city_out.columns if c != "geometry"]
    assert {"gi_z", "gi_p", "gi_bin", "gi_class", "point_count", "point_count_flag"} <= set(columns)
    for column in columns:
        a, b = city_out[column], twin_out[column]
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=0, atol=1e-12,
                                       equal_nan=True, err_msg=column)
        else:
            assert a.equals(b), column
    assert logs[0] == logs[1] and logs[0]
    # no count below the threshold is published
    shown = city_out["point_count"].dropna()
    assert ((shown == 0) | (shown >= 10)).all()
    # the z-score attack: one answer for both cities, so wrong for at least one of them
    z = city_out["gi_z"].to_numpy(float)
    hidden, guess = _solve_hidden_from_z(city_out["point_count"].to_numpy(float), len(xy), W, z)
    wrong = [not np.allclose(guess, truth[hidden], atol=0.5) for truth in (counts, twin_counts)]
    assert any(wrong)
    assert not np.allclose(guess, counts[hidden], atol=0.5)


# --- the layer-level engine entry points, without QGIS -----------------------------------------

def _tiny_points():
    """Points placed by hand in a 3 x 3 grid of 100 m squares starting at (1000, 2000): the
    centre cell holds 9 points, its right neighbour 4, the rest 1 each (20 points). EPSG:3067
    (Finland, metres) near Helsinki, so the layer is used in its own CRS."""
    import geopandas as gpd

    xy = []
    for row in range(3):
        for col in range(3):
            n = 9 if (row, col) == (1, 1) else 4 if (row, col) == (1, 2) else 1
            xy += [(385000 + col * 100 + 10 + 8 * i, 6672000 + row * 100 + 50) for i in range(n)]
    # two corner points fix the grid's extent to exactly 3 x 3 cells of 100 m
    xy += [(385000.0, 6672000.0), (385299.0, 6672299.0)]
    return gpd.GeoDataFrame({"v": np.arange(len(xy), dtype=float)},
                            geometry=gpd.points_from_xy(*zip(*xy, strict=True)), crs=3067)


def test_points_counted_into_a_grid_equal_a_hand_count_and_esda(tmp_path):
    """hotspots_of_points: counts per cell by hand, Gi* z as esda's G_Local on the same grid."""
    from libpysal.weights import Queen

    points = _tiny_points()
    layer = eng.hotspots_of_points(points, grid_shape="square", cell_size_m=100.0, weights="queen",
                                   suppress_below=0, transform="R")
    frame = layer.frame
    assert len(frame) == 9 and frame.crs.to_epsg() == 3067
    by_hand = np.ones(9)
    by_hand[4], by_hand[5] = 9, 4
    by_hand[0] += 1
    by_hand[8] += 1  # the two corner points
    np.testing.assert_array_equal(frame["point_count"].to_numpy(), by_hand)
    w = Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
    np.testing.assert_allclose(frame["gi_z"].to_numpy(), _esda_z(by_hand, w, "R"), atol=1e-9)
    assert set(frame.columns) >= {"cell_id", "gi_z", "gi_p", "gi_bin", "gi_class", "gi_neighbours"}
    assert any("22 points counted into 9 square cells of 100 m" in text for _level, text in layer.log)


def test_points_with_small_counts_hidden_publish_no_small_count():
    """With suppress_below, no published count is below the threshold and Gi* runs on the
    published counts (hidden cells at half the threshold): esda on those values agrees."""
    from libpysal.weights import Queen

    layer = eng.hotspots_of_points(_tiny_points(), grid_shape="square", cell_size_m=100.0,
                                   weights="queen", suppress_below=3, transform="B")
    published = layer.frame["point_count"].astype(float).to_numpy()
    shown = np.isfinite(published)
    assert (published[shown] >= 3).all() and (~shown).sum() >= 7
    values = np.where(shown, published, 1.5)
    w = Queen.from_dataframe(layer.frame, use_index=False, silence_warnings=True)
    np.testing.assert_allclose(layer.frame["gi_z"].to_numpy(), _esda_z(values, w, "B"), atol=1e-9)


def test_areas_keep_every_row_and_equal_esda_on_the_valued_ones():
    """hotspots_of_areas: every input row out, in order; a null value is 'No value' and left
    out; the others' z equals esda on the areas with a value."""
    import geopandas as gpd
    from libpysal.weights import Queen

    boxes = [shapely.box(x, y, x + 1, y + 1) for y in range(4) for x in range(4)]
    values = np.array([1, 2, 3, 4, 2, 9, 8, 3, 1, 8, 9, 2, 1, 1, 2, np.nan])
    areas = gpd.GeoDataFrame({"v": values, "name": [f"a{i}" for i in range(16)]}, geometry=boxes,
                             crs=3067)
    areas.attrs["geometry_kind"] = "polygon"
    layer = eng.hotspots_of_areas(areas, field_name="v", weights="queen", transform="R")
    assert list(layer.frame["name"]) == list(areas["name"])
    assert layer.frame["gi_class"].iloc[15] == eng.NO_VALUE_LABEL
    valued = areas.iloc[:15].reset_index(drop=True)
    w = Queen.from_dataframe(valued, use_index=False, silence_warnings=True)
    np.testing.assert_allclose(layer.frame["gi_z"].iloc[:15].to_numpy(dtype=float),
                               _esda_z(values[:15], w, "R"), atol=1e-9)
    assert any(level == "warning" and "1 areas have no v value" in text for level, text in layer.log)


def test_layer_entry_points_refuse_bad_input_clearly():
    import geopandas as gpd

    with pytest.raises(InputError, match="no features"):
        eng.hotspots_of_points(gpd.GeoDataFrame(geometry=[], crs=3067), name="empty")
    with pytest.raises(InputError, match="no field 'nope'"):
        eng.hotspots_of_points(_tiny_points(), field_name="nope")
    with pytest.raises(InputError, match="value field"):
        eng.hotspots_of_areas(_tiny_points(), field_name=None)
