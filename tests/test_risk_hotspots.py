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
    from libpysal.weights import DistanceBand, W as PysalW

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
