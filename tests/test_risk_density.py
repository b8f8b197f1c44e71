"""joinedup:density against QGIS's own heatmap and a brute-force sum, plus bad input."""
import numpy as np
import pytest

from joinedup.engine import density as eng
from joinedup.engine.errors import InputError


def _points_layer(real_data, crs="EPSG:3067"):
    """The real OSM points reprojected to EPSG:3067 (a layer QGIS and JoinedUp both read)."""
    from qgis import processing
    from qgis.core import QgsProcessing

    return processing.run("native:reprojectlayer", {
        "INPUT": str(real_data / "helsinki.osm.pbf") + "|layername=points",
        "TARGET_CRS": crs, "OUTPUT": QgsProcessing.TEMPORARY_OUTPUT})["OUTPUT"]


def _read(path):
    import rasterio

    with rasterio.open(path) as ds:
        return ds.read(1).astype(float), ds.transform, ds.nodata, ds.crs, ds.profile


def _xy(layer):
    return np.array([[f.geometry().asPoint().x(), f.geometry().asPoint().y()]
                     for f in layer.getFeatures() if not f.geometry().isNull()])


@pytest.mark.parametrize("kernel,qgis_kernel", [("quartic", 0), ("epanechnikov", 4), ("triangular", 1),
                                                ("uniform", 2)])
@pytest.mark.parametrize("values,qgis_values", [("raw", 0), ("qgis_scaled", 1)])
def test_matches_qgis_heatmap_on_real_points(plugin, run_alg, real_data, tmp_path, kernel, qgis_kernel,
                                             values, qgis_values):
    from qgis import processing

    layer = _points_layer(real_data)
    q = processing.run("qgis:heatmapkerneldensityestimation", {
        "INPUT": layer, "RADIUS": 75, "PIXEL_SIZE": 10, "KERNEL": qgis_kernel, "DECAY": 0,
        "OUTPUT_VALUE": qgis_values, "OUTPUT": str(tmp_path / "qgis.tif")})["OUTPUT"]
    j = run_alg("joinedup:density", {
        "INPUT": layer, "RADIUS": 75, "PIXEL_SIZE": 10, "KERNEL": eng.KERNELS.index(kernel),
        "OUTPUT_VALUE": eng.VALUES.index(values), "QGIS_COMPATIBLE": True,
        "OUTPUT": str(tmp_path / "ju.tif")})["OUTPUT"]
    a, ta, na, ca, _ = _read(q)
    b, tb, nb, cb, prof = _read(j)
    assert a.shape == b.shape and ta == tb and ca == cb
    assert np.array_equal(a == na, b == nb)
    m = a != na
    assert np.allclose(b[m], a[m], rtol=2e-6, atol=1e-6 * a[m].max())  # QGIS writes float32
    assert prof["compress"].lower() in ("zstd", "deflate")  # ZSTD where GDAL has it (issue #19)


def test_exact_convention_equals_brute_force_and_integrates(plugin, real_data):
    layer = _points_layer(real_data)
    xy = _xy(layer)[:600]
    grid, report = eng.kernel_density(xy, cell_size=20, bandwidth=90, values="raw")
    rows, cols = grid.shape
    cx = grid.x_min + (np.arange(cols) + 0.5) * 20
    cy = grid.y_max - (np.arange(rows) + 0.5) * 20
    total = np.zeros(grid.shape)
    for x, y in xy:  # brute force, independent of the engine's offset loop
        d = np.hypot(cx[None, :] - x, cy[:, None] - y)
        total += np.where(d <= 90, (1 - (d / 90) ** 2) ** 2, 0.0)
    assert np.allclose(grid.values, total, rtol=1e-10, atol=1e-10)
    assert report.points_used == 600
    per_cell, _ = eng.kernel_density(xy, cell_size=20, bandwidth=90, values="per_cell")
    assert per_cell.values.sum() == pytest.approx(600, rel=2e-3)  # proper normalisation
    km2, _ = eng.kernel_density(xy, cell_size=20, bandwidth=90, values="per_km2")
    assert np.allclose(km2.values * (20 * 20) / 1e6, per_cell.values)


def _qgis_heatmap_loop(xy, w, cell, radius, kernel):
    """QGIS 3.40's heatmap (QgsKernelDensityEstimation::addFeature), written out loop by loop
    as its C++ does it, raw values: the reference for the QGIS-compatible convention."""
    # QGIS's raster: the points' extent grown by the radius, one cell more than it covers
    x0, y0 = xy.min(0) - radius
    x1, y_top = xy.max(0) + radius
    rows, cols = int(np.ceil((y_top - y0) / cell)) + 1, int(np.ceil((x1 - x0) / cell)) + 1
    b = int(radius / cell)
    if radius - cell * b > 0.5:
        b += 1
    out = np.full((rows, cols), np.nan)
    for (x, y), weight in zip(xy, w, strict=True):
        x_pos = int((x - x0) / cell - b)
        y_pos = int((y - y0) / cell - b)
        y_inv = int((y_top - y) / cell - b)
        if x_pos < 0 or y_inv < 0 or x_pos + 2 * b + 1 > cols or y_inv + 2 * b + 1 > rows:
            continue
        for xp in range(2 * b + 1):
            for yp in range(2 * b + 1):
                cx = (x_pos + xp + 0.5) * cell + x0
                cy = (y_pos + yp + 0.5) * cell + y0
                d2 = (cx - x) ** 2 + (cy - y) ** 2
                if d2 > radius * radius:
                    continue
                t = 1 - d2 / radius ** 2
                value = {"quartic": t * t, "epanechnikov": t, "uniform": 1.0}[kernel]
                r, c = y_inv + yp, x_pos + xp
                out[r, c] = (0.0 if np.isnan(out[r, c]) else out[r, c]) + weight * value
    return out


@pytest.mark.parametrize("kernel", ["quartic", "epanechnikov", "uniform"])
@pytest.mark.parametrize("cell,radius", [(10.0, 75.0), (7.0, 33.0), (3.0, 10.2)])
def test_qgis_convention_equals_qgis_loop(kernel, cell, radius):
    """The QGIS-compatible exact convention (per-cell moments for the kernel block's inner
    offsets, point by point at the radius's edge) equals QGIS's own loop on every cell, the
    cells no kernel reaches (nodata) included, points on cell edges and weights among them."""
    rng = np.random.default_rng(3)
    xy = np.c_[rng.normal(500, 60, 300), rng.normal(2000, 40, 300)]
    xy[:40] = np.round(xy[:40] / cell) * cell
    w = rng.uniform(0, 3, len(xy))
    expected = _qgis_heatmap_loop(xy, w, cell, radius, kernel)
    got, _ = eng.kernel_density(xy, cell_size=cell, bandwidth=radius, kernel=kernel, weights=w,
                                values="raw", convention="qgis")
    assert ((got.values == eng.NODATA) == np.isnan(expected)).all()
    reached = ~np.isnan(expected)
    np.testing.assert_allclose(got.values[reached], expected[reached], rtol=1e-9, atol=1e-9)


def test_fft_method_close_to_exact(plugin, real_data):
    xy = _xy(_points_layer(real_data))
    exact, _ = eng.kernel_density(xy, cell_size=10, bandwidth=150, values="per_km2")
    fft, _ = eng.kernel_density(xy, cell_size=10, bandwidth=150, values="per_km2", method="fft")
    assert exact.shape == fft.shape
    assert np.abs(fft.values - exact.values).max() < 0.05 * exact.values.max()
    assert fft.values.sum() == pytest.approx(exact.values.sum(), rel=1e-3)


def test_gaussian_weights_rules():
    rng = np.random.default_rng(3)
    xy = rng.normal(0, 100, (500, 2)) + [385000, 6671000]
    w = rng.uniform(0, 3, 500)
    g, rep = eng.kernel_density(xy, cell_size=10, bandwidth=30, kernel="gaussian", weights=w,
                                values="per_cell")
    assert g.values.sum() == pytest.approx(w.sum(), rel=1e-3)
    g, rep = eng.kernel_density(xy, cell_size=10, bandwidth_rule="scott")
    sd = np.sqrt(xy.var(0).sum() / 2)
    assert rep.bandwidth == pytest.approx(sd * 500 ** (-1 / 6) * np.sqrt(8))
    g, rep2 = eng.kernel_density(xy, cell_size=10, bandwidth_rule="silverman")
    assert 0 < rep2.bandwidth < rep.bandwidth * 2


def test_bad_input_messages():
    xy = np.array([[0.0, 0.0], [10.0, 5.0], [np.nan, np.nan]])
    with pytest.raises(InputError, match="negative weight"):
        eng.kernel_density(xy, cell_size=1, bandwidth=5, weights=[1, -2, 1])
    with pytest.raises(InputError, match="no points"):
        eng.kernel_density(np.empty((0, 2)), cell_size=1, bandwidth=5)
    with pytest.raises(InputError, match="same place"):
        eng.kernel_density([[1.0, 1.0], [1.0, 1.0]], cell_size=1, bandwidth_rule="scott")
    with pytest.raises(InputError, match="cells"):
        eng.kernel_density([[0.0, 0.0], [1e9, 1e9]], cell_size=1, bandwidth=5)
    g, rep = eng.kernel_density(xy, cell_size=1, bandwidth=5, weights=[1, np.nan, 1])
    assert rep.null_geometry == 1 and rep.null_weight == 1 and rep.points_used == 1
    # a point far outside a given extent is counted, one just outside still contributes
    g, rep = eng.kernel_density([[0.0, 0.0], [1000.0, 0.0], [12.0, 5.0]], cell_size=1, bandwidth=5,
                                extent=(0, 0, 10, 10), values="raw")
    assert rep.outside_extent == 1 and rep.points_used == 2
    assert g.shape == (10, 10) and g.values[:, -1].max() > 0
    # one point: QGIS's heatmap drops it (empty raster); JoinedUp maps it
    g, rep = eng.kernel_density([[5.0, 5.0]], cell_size=1, bandwidth=3, values="raw")
    assert g.values.max() == pytest.approx((1 - (0.5 ** 2 * 2) / 9) ** 2)
    g, rep = eng.kernel_density([[5.0, 5.0]], cell_size=10, bandwidth=25, values="raw", convention="qgis")
    assert rep.dropped_like_qgis == 1 and (g.values == eng.NODATA).all()


def test_algorithm_outputs_and_errors(plugin, run_alg, real_data, tmp_path):
    from qgis.core import QgsProcessingException, QgsVectorLayer

    out = run_alg("joinedup:density", {
        "INPUT": str(real_data / "helsinki.osm.pbf") + "|layername=points",  # EPSG:4326 → UTM
        "RADIUS": 0, "BANDWIDTH_RULE": 1, "PIXEL_SIZE": 25, "OUTPUT": str(tmp_path / "d.tif")})
    a, t, nodata, crs, prof = _read(out["OUTPUT"])
    assert crs.is_projected and nodata == eng.NODATA and prof["compress"].lower() in ("zstd", "deflate")
    assert out["POINTS_USED"] == 8045 and out["BANDWIDTH"] > 0
    # per km² integrates to the number of points
    assert a[a != nodata].sum() * 25 * 25 / 1e6 == pytest.approx(8045, rel=5e-3)
    empty = QgsVectorLayer("Point?crs=EPSG:3067&field=w:double", "empty", "memory")
    with pytest.raises(QgsProcessingException, match="no features"):
        run_alg("joinedup:density", {"INPUT": empty, "RADIUS": 50, "PIXEL_SIZE": 10,
                                     "OUTPUT": str(tmp_path / "e.tif")})
    with pytest.raises(QgsProcessingException, match="bandwidth"):
        run_alg("joinedup:density", {"INPUT": _points_layer(real_data), "RADIUS": 0,
                                     "BANDWIDTH_RULE": 0, "PIXEL_SIZE": 10,
                                     "OUTPUT": str(tmp_path / "f.tif")})


def test_output_is_styled_when_loaded(plugin, real_data, tmp_path):
    from qgis import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject

    context = QgsProcessingContext()
    project = QgsProject.instance()
    context.setProject(project)
    res = processing.runAndLoadResults("joinedup:density", {
        "INPUT": _points_layer(real_data), "RADIUS": 100, "PIXEL_SIZE": 20,
        "OUTPUT": str(tmp_path / "styled.tif")}, context=context, feedback=QgsProcessingFeedback())
    layers = [lyr for lyr in project.mapLayers().values() if lyr.source() == res["OUTPUT"]]
    assert layers, "the density raster was not loaded"
    renderer = layers[0].renderer()
    assert renderer.type() == "singlebandpseudocolor"
    assert renderer.classificationMax() > 0
    project.removeMapLayers([lyr.id() for lyr in layers])


def test_cancel_gives_a_clear_message(plugin, run_alg, real_data, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg("joinedup:density", {"INPUT": _points_layer(real_data), "RADIUS": 100,
                                     "PIXEL_SIZE": 5, "OUTPUT": str(tmp_path / "c.tif")},
                feedback=feedback)
    assert not (tmp_path / "c.tif").exists()


def test_density_points_and_density_of_points_without_qgis():
    """The layer-level engine entry points: weights stored as text are read as numbers, a layer
    in degrees is measured in metres (the note says so), and the expected count per cell sums to
    the total weight (1 + 3 = 4, by hand: each kernel integrates to its point's weight)."""
    import geopandas as gpd
    import shapely

    points = gpd.GeoDataFrame({"w": ["1", " 3 "]}, crs=4326,
                              geometry=[shapely.Point(24.94, 60.17), shapely.Point(24.95, 60.171)])
    ready = eng.density_points(points, name="pts", weight_field="w")
    assert ready.note and ready.metres_per_unit == 1.0 and ready.features == 2 and ready.null_geometry == 0
    np.testing.assert_array_equal(ready.weights, [1.0, 3.0])
    grid, report = eng.density_of_points(ready, bandwidth=100.0, bandwidth_rule=None, cell_size=5.0,
                                         kernel="quartic", values="per_cell")
    assert report.points_used == 2 and report.features_total == 2
    assert abs(float(np.nansum(grid.values)) - 4.0) < 0.01
    with pytest.raises(InputError, match="nothing to map"):
        eng.density_points(points.iloc[:0], name="pts")
    with pytest.raises(InputError, match="no field 'nope'"):
        eng.density_points(points, name="pts", weight_field="nope")
    with pytest.raises(InputError, match="no bandwidth rule"):
        eng.density_of_points(ready, bandwidth=0.0, bandwidth_rule=None, cell_size=5.0)
