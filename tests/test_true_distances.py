"""Distances are ground metres whatever the input's CRS (issue 23).

Real Helsinki streets (resources/sample/helsinki.osm.pbf) in Web Mercator, WGS 84 degrees, a
US-feet state plane, the British National Grid and a UTM zone used 10 degrees from its
meridian (tests/crs_cases.py places the same streets at the right latitude). Every metre the
algorithms report is checked against pyproj's Geod on the WGS 84 ellipsoid, to 0.1 %, and
against the same data in EPSG:3067 (ETRS-TM35FIN, which measures Helsinki true to 0.03 %).
Everything runs through QGIS's processing.run; the Web Mercator network also through
qgis_process.
"""
import math

import numpy as np
import pytest
from crs_cases import (
    CASES,
    HELSINKI,
    geodesic_distance,
    geodesic_lengths,
    helsinki_streets,
    place,
    read,
    street_points,
    tm,
    write,
)
from qgis.core import QgsProcessingFeedback

TOL = 1e-3  # 0.1 %: the bound for every metre-valued output
IDS = [c.name for c in CASES]


@pytest.fixture(scope="module")
def data(real_data, tmp_path_factory):
    """Per case: the placed streets and points, written to one GeoPackage per case, plus the
    EPSG:3067 reference (Helsinki as it is)."""
    folder = tmp_path_factory.mktemp("true_distances")
    streets = helsinki_streets(real_data / "helsinki.osm.pbf")
    points = street_points(streets)
    out = {}
    for case in CASES:
        gpkg = folder / f"{case.name}.gpkg"
        s, p = place(streets, case), place(points, case)
        out[case.name] = {"case": case, "streets": write(s, gpkg, "streets"), "points": write(p, gpkg, "points"),
                          "streets_gdf": s, "points_gdf": p, "folder": folder}
    gpkg = folder / "reference_3067.gpkg"
    out["reference"] = {"streets": write(streets.to_crs("EPSG:3067"), gpkg, "streets"),
                        "points": write(points.to_crs("EPSG:3067"), gpkg, "points"), "folder": folder}
    return out


def _rel(ours, truth):
    ours, truth = np.asarray(ours, float), np.asarray(truth, float)
    return np.abs(ours - truth) / truth


# -- the rule ----------------------------------------------------------------------------------
def test_rule_keeps_only_true_crs_and_measures_the_error_like_the_textbook(data):
    """The scale error comes from PROJ's own factors; checked here against the textbook
    formulas: Web Mercator's 1/cos(latitude), and UTM's k0 (1 + (dl cos phi)^2 (1 + eta^2) / 2)."""
    from joinedup.engine.crs import SCALE_TOLERANCE, metric_crs_for, scale_error

    kept = {}
    for case in CASES:
        crs, error, own = metric_crs_for(data[case.name]["streets_gdf"])
        kept[case.name] = own
        assert error < SCALE_TOLERANCE, case.name  # whatever was chosen measures true
    assert kept == {"web_mercator": False, "wgs84": False, "ny_state_plane_feet": False,  # feet
                    "british_grid": True, "utm_far_from_meridian": False}
    merc = data["web_mercator"]["streets_gdf"]
    north = merc.to_crs("EPSG:4326").total_bounds[3]
    assert scale_error("EPSG:3857", merc.total_bounds) == pytest.approx(1 / math.cos(math.radians(north)) - 1,
                                                                        rel=1e-4)
    far = data["utm_far_from_meridian"]["streets_gdf"]
    lon0, lat0, lon1, lat1 = far.to_crs("EPSG:4326").total_bounds
    e2 = 0.00669437999014
    ep2 = e2 / (1 - e2)
    dl, phi = math.radians(lon1 - 27.0), math.radians(lat0)  # farthest from the meridian: east, south
    textbook = 0.9996 * (1 + (dl * math.cos(phi)) ** 2 * (1 + ep2 * math.cos(phi) ** 2) / 2) - 1
    # the textbook series stops at the second order: its next term is -0.5 % of the error here
    assert scale_error("EPSG:32635", far.total_bounds) == pytest.approx(textbook, rel=1e-2)
    assert textbook > 3 * SCALE_TOLERANCE


# -- network --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", IDS)
def test_network_edge_lengths_are_geodesic(run_alg, data, name):
    d = data[name]
    feedback = QgsProcessingFeedback()  # its textLog() keeps every line of the log
    res = run_alg("joinedup:checknetwork", {"INPUT": d["streets"], "OUTPUT": str(d["folder"] / f"{name}_edges.gpkg"),
                                            "PROBLEMS": "TEMPORARY_OUTPUT"}, feedback=feedback)
    edges = read(res["OUTPUT"])
    assert edges.crs.equals(d["case"].crs), "outputs stay in the input's CRS"
    truth = geodesic_lengths(edges)
    longer = truth > 1.0  # a millimetre's rounding is not a relative error
    assert _rel(edges["length_m"][longer], truth[longer]).max() < TOL
    assert abs(edges["length_m"].sum() / truth.sum() - 1) < TOL
    log = feedback.textLog()
    if name != "british_grid":  # every reprojection for measurement is named in the log
        assert "distances are computed in the local projected CRS" in log and "scale error" in log, log
    else:
        assert "local projected CRS" not in log  # true to 0.1 %: measured in its own CRS


@pytest.fixture(scope="module")
def reference_routes(run_alg, data):
    ref = data["reference"]
    return _routes(run_alg, ref["streets"], ref["points"], ref["folder"] / "ref_routes.gpkg")


def _routes(run_alg, streets, points, out):
    """Each street point routed to the next one (by id): 'pid' to 'next_pid'."""
    res = run_alg("joinedup:shortestpath", {
        "INPUT": streets, "ORIGINS": points, "ORIGIN_ID": "next_pid", "DESTINATIONS": points,
        "DESTINATION_ID": "pid", "PAIRING": 0, "OUTPUT": str(out)})
    routes = read(res["OUTPUT"])
    return routes.sort_values("origin_row").reset_index(drop=True) if "origin_row" in routes else routes


@pytest.mark.parametrize("name", IDS)
def test_route_costs_are_geodesic(run_alg, data, reference_routes, name):
    d = data[name]
    routes = _routes(run_alg, d["streets"], d["points"], d["folder"] / f"{name}_routes.gpkg")
    assert routes.crs.equals(d["case"].crs)
    routed = routes[routes.geometry.notna() & (routes["cost"] > 10)]
    assert len(routed) > 20
    truth = geodesic_lengths(routed)
    assert _rel(routed["cost"], truth).max() < TOL
    # the same streets in EPSG:3067: the same costs
    ref = reference_routes.set_index("origin_row")["cost"]
    both = routed.set_index("origin_row")["cost"]
    assert _rel(both, ref.loc[both.index]).max() < TOL


# -- joins --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", IDS)
def test_nearest_distances_and_max_distance_are_geodesic(run_alg, data, name):
    d = data[name]
    pts = d["points_gdf"]
    res = run_alg("joinedup:joinnearest", {
        "INPUT": d["points"], "INPUT_2": d["points"], "FIELDS_TO_COPY": ["pid"], "PREFIX": "near_",
        "NEIGHBORS": 2, "OUTPUT": str(d["folder"] / f"{name}_near.gpkg")})
    near = read(res["OUTPUT"])
    assert near.crs.equals(d["case"].crs)
    second = near[near["n"] == 2].sort_values("pid").reset_index(drop=True)
    partner = pts.set_index("pid").geometry.loc[second["near_pid"].to_numpy()].reset_index(drop=True)
    truth = geodesic_distance(second.geometry, partner.set_crs(pts.crs, allow_override=True))
    assert _rel(second["distance"], truth).max() < TOL
    # MAX_DISTANCE is ground metres: exactly the pairs the geodesic puts within it
    limit = float(np.median(truth))
    res = run_alg("joinedup:joinnearest", {
        "INPUT": d["points"], "INPUT_2": d["points"], "FIELDS_TO_COPY": ["pid"], "PREFIX": "near_",
        "NEIGHBORS": 2, "MAX_DISTANCE": limit, "OUTPUT": str(d["folder"] / f"{name}_near_max.gpkg")})
    capped = read(res["OUTPUT"])
    joined = set(capped.loc[capped["n"] == 2, "pid"])
    clear = np.abs(truth / limit - 1) > TOL  # leave out pairs within 0.1 % of the limit
    expected = set(second.loc[clear & (truth <= limit), "pid"])
    assert expected == joined & set(second.loc[clear, "pid"])


# -- network: service areas; access: coverage thresholds ------------------------------------------
def _reached_length(run_alg, d, out):
    res = run_alg("joinedup:serviceareas", {
        "INPUT": d["streets"], "FACILITIES": d["points"], "FACILITY_ID": "pid", "BANDS": "300",
        "OUTPUT": "TEMPORARY_OUTPUT", "OUTPUT_LINES": str(out)})
    lines = read(res["OUTPUT_LINES"])
    return lines, geodesic_lengths(lines)


@pytest.mark.parametrize("name", IDS)
def test_service_area_reach_is_ground_metres(run_alg, data, name):
    """The streets reached within 300 m: the same ground length (Geod) as from the EPSG:3067
    copy; a 300 'map unit' band in Web Mercator would reach half as far."""
    d, ref = data[name], data["reference"]
    lines, truth = _reached_length(run_alg, d, d["folder"] / f"{name}_reach.gpkg")
    ref_lines, ref_truth = _reached_length(run_alg, ref, ref["folder"] / f"ref_reach_{name}.gpkg")
    assert lines.crs.equals(d["case"].crs)
    assert abs(np.nansum(truth) / np.nansum(ref_truth) - 1) < TOL


@pytest.mark.parametrize("name", IDS)
def test_coverage_threshold_is_ground_metres(run_alg, data, name):
    """Network cost from each street point to the nearest of a few 'facilities' (other street
    points): the same metres as in EPSG:3067, and the same points beyond the 400 m threshold."""
    d, ref = data[name], data["reference"]

    def coverage(dd, tag):
        pts = read(dd["points"])
        fac = write(pts.iloc[::7], dd["folder"] / f"{tag}_fac.gpkg", "fac")
        res = run_alg("joinedup:coveragegaps", {
            "NETWORK": dd["streets"], "DEMAND": dd["points"], "FACILITIES": fac, "THRESHOLD": 400,
            "OUTPUT": str(dd["folder"] / f"{tag}_cov.gpkg"), "UNCOVERED": "TEMPORARY_OUTPUT",
            "SUMMARY": "TEMPORARY_OUTPUT"})
        return read(res["OUTPUT"]).sort_values("pid").reset_index(drop=True)

    got, want = coverage(d, name), coverage(ref, f"ref_cov_{name}")
    reached = want["nearest_cost"].to_numpy() > 10
    assert reached.sum() > 30
    assert _rel(got["nearest_cost"][reached], want["nearest_cost"][reached]).max() < TOL
    clear = np.abs(want["nearest_cost"].to_numpy() / 400 - 1) > TOL
    assert (got["uncovered_demand"][clear] > 0).tolist() == (want["nearest_cost"][clear] > 400).tolist()


# -- density ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", IDS)
def test_density_radius_is_ground_metres(run_alg, data, name):
    """One real point, quartic kernel of radius R: the peak density is 3 / (pi R^2) per m^2 (by
    hand) only when R is R ground metres; 'map units' of Web Mercator would give a quarter."""
    import rasterio

    d = data[name]
    one = write(d["points_gdf"].iloc[:1], d["folder"] / f"{name}_one.gpkg", "one")
    radius = 80.0
    res = run_alg("joinedup:density", {"INPUT": one, "RADIUS": radius, "PIXEL_SIZE": 0.5, "KERNEL": 0,
                                       "OUTPUT_VALUE": 0, "OUTPUT": str(d["folder"] / f"{name}_density.tif")})
    with rasterio.open(res["OUTPUT"]) as tif:
        peak = float(np.nanmax(tif.read(1, masked=True).filled(np.nan)))
    assert peak == pytest.approx(3 / (math.pi * radius ** 2) * 1e6, rel=TOL)  # per km²


# -- hotspots ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", IDS)
def test_hotspot_cells_and_distance_band_are_ground_metres(run_alg, data, name):
    """Square cells of 100 m have a geodesic area of 100 m x 100 m, and the 250 m distance band
    makes neighbours of exactly the cells whose centres are within 250 m on the ellipsoid."""
    from pyproj import Geod

    d = data[name]
    res = run_alg("joinedup:hotspots", {"INPUT": d["points"], "GRID_SHAPE": 0, "CELL_SIZE": 100.0,
                                        "WEIGHTS": 2, "DISTANCE": 250.0,
                                        "OUTPUT": str(d["folder"] / f"{name}_hot.gpkg")})
    cells = read(res["OUTPUT"])
    assert cells.crs.equals(d["case"].crs)
    geod = Geod(ellps="WGS84")
    lonlat = cells.to_crs("EPSG:4326")
    areas = np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in lonlat.geometry.values])
    assert _rel(areas, 100.0 * 100.0).max() < 2 * TOL  # an area: twice the length tolerance
    centres = cells.to_crs(tm(*(d["case"].place or HELSINKI))).centroid.to_crs("EPSG:4326")
    x, y = centres.x.to_numpy(), centres.y.to_numpy()
    n = len(x)
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    _, _, dist = geod.inv(x[i.ravel()], y[i.ravel()], x[j.ravel()], y[j.ravel()])
    within = (dist.reshape(n, n) <= 250.0).sum(axis=1) - 1  # gi_neighbours counts the others
    assert cells["gi_neighbours"].tolist() == within.tolist()


# -- movement --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tracks(real_data):
    """Seeded lorry tracks driven on the real Helsinki streets with 8 m GPS noise (the generator
    the benchmarks use), EPSG:4326."""
    from gen_tracks import drive_graph, generate_tracks

    _, graph = drive_graph(real_data / "helsinki.osm.pbf")
    pts, _ = generate_tracks(graph, n_tracks=4, n_points=60, sigma_m=8, interval_s=5, seed=7, mode="hgv")
    return pts.to_crs("EPSG:4326")


@pytest.mark.parametrize("name", IDS)
def test_map_matching_offsets_routes_and_search_radius_are_ground_metres(run_alg, data, tracks, name):
    """offset_m is the geodesic distance from each GPS point to its matched position, route
    length_m the geodesic length of the route, and SEARCH_RADIUS (6 m) leaves 'off network'
    exactly the points farther than 6 ground metres from every street (measured in a TM
    centred on the data, true to 1e-8 over 2 km)."""
    import shapely

    d = data[name]
    gps = place(tracks, d["case"])
    gps_uri = write(gps, d["folder"] / f"{name}_gps.gpkg", "gps")
    radius = 6.0  # under the 8 m GPS noise, so some points are left off the network
    res = run_alg("joinedup:mapmatch", {
        "INPUT": gps_uri, "TRACK_FIELD": "track_id", "TIME_FIELD": "time", "NETWORK": d["streets"],
        "GPS_SIGMA": 8, "SEARCH_RADIUS": radius,  # every street line: the radius is to any of them
        "OUTPUT": str(d["folder"] / f"{name}_mm_routes.gpkg"), "POINTS": str(d["folder"] / f"{name}_mm_points.gpkg"),
        "QUALITY": "TEMPORARY_OUTPUT"})
    points, routes = read(res["POINTS"]), read(res["OUTPUT"])
    assert len(points) == len(gps) and points.crs.equals(d["case"].crs)
    matched = points[points["status"] == "matched"]
    assert len(matched) > 0.3 * len(gps)
    raw = gps.loc[matched.index]  # POINTS keeps the input order
    far = matched["offset_m"].to_numpy() > 1.0
    truth = geodesic_distance(raw.geometry[far], matched.geometry[far].set_crs(gps.crs, allow_override=True))
    assert _rel(matched["offset_m"][far], truth).max() < TOL
    assert _rel(routes["length_m"], geodesic_lengths(routes)).max() < TOL
    # the flows on the network edges keep the network's CRS and its ground lengths
    flows = read(run_alg("joinedup:networkflows", {
        "NETWORK": d["streets"], "ROUTES": res["OUTPUT"], "TRACK_FIELD": "track_id",
        "OUTPUT": str(d["folder"] / f"{name}_flows.gpkg")})["OUTPUT"])
    assert flows.crs.equals(d["case"].crs) and (flows["passages"] > 0).any()
    longer = flows["length_m"].to_numpy() > 1.0
    assert _rel(flows["length_m"][longer], geodesic_lengths(flows)[longer]).max() < TOL
    local = tm(*(d["case"].place or HELSINKI))
    streets = shapely.union_all(d["streets_gdf"].to_crs(local).geometry.values)
    to_street = shapely.distance(gps.to_crs(local).geometry.values, streets)
    clear = np.abs(to_street / radius - 1) > TOL
    off = (points["status"] == "off network").to_numpy()
    assert off[clear].tolist() == (to_street[clear] > radius).tolist()
    assert off.sum() > 0  # the radius did leave some points out


# -- the recipe in Web Mercator ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def city_copies(real_data, tmp_path_factory):
    """The sample city as committed (EPSG:3067) and every layer of it in Web Mercator."""
    import pyogrio

    folder = tmp_path_factory.mktemp("city_crs")
    src = real_data / "sample_city.gpkg"
    names = ["roads", "zones", "clinics", "incidents"]
    for tag, crs in (("etrs", "EPSG:3067"), ("merc", "EPSG:3857")):
        for name in names:
            write(pyogrio.read_dataframe(str(src), layer=name).to_crs(crs), folder / f"{tag}.gpkg", name)
    return {tag: (lambda name, tag=tag: f"{folder / tag}.gpkg|layername={name}") for tag in ("etrs", "merc")}, folder


def _same(got, want, columns):
    """Equal to 0.1 %, or 1 cm for values near 0 (a zone's centroid taken in Web Mercator
    lies a few millimetres from the one taken in EPSG:3067)."""
    for column in columns:
        np.testing.assert_allclose(got[column].to_numpy(float), want[column].to_numpy(float),
                                   rtol=TOL, atol=0.01, err_msg=column)


def test_web_mercator_city_gives_the_recipes_answers(run_alg, city_copies):
    """Walking access to clinics, clinic coverage gaps, incident hotspots and the nearest clinic
    to each incident: the Web Mercator copy gives the EPSG:3067 answers to 0.1 %, and its
    outputs stay in Web Mercator."""
    layers, folder = city_copies
    out = {}
    for tag, layer in layers.items():
        acc = read(run_alg("joinedup:accessibility", {
            "NETWORK": layer("roads"), "DEMAND": layer("zones"), "DEMAND_FIELD": "population",
            "FACILITIES": layer("clinics"), "FACILITY_ID": "facility_id", "SUPPLY_FIELD": "capacity",
            "THRESHOLDS": "500, 1000", "CATCHMENT": 1000, "OUTPUT": str(folder / f"{tag}_acc.gpkg")})["OUTPUT"])
        cov = read(run_alg("joinedup:coveragegaps", {
            "NETWORK": layer("roads"), "DEMAND": layer("zones"), "DEMAND_FIELD": "population",
            "FACILITIES": layer("clinics"), "THRESHOLD": 600, "OUTPUT": str(folder / f"{tag}_cov.gpkg"),
            "UNCOVERED": "TEMPORARY_OUTPUT", "SUMMARY": "TEMPORARY_OUTPUT"})["OUTPUT"])
        hot = read(run_alg("joinedup:hotspots", {
            "INPUT": layer("incidents"), "GRID_SHAPE": 0, "CELL_SIZE": 250.0, "WEIGHTS": 2, "DISTANCE": 600.0,
            "OUTPUT": str(folder / f"{tag}_hot.gpkg")})["OUTPUT"])
        near = read(run_alg("joinedup:joinnearest", {
            "INPUT": layer("incidents"), "INPUT_2": layer("clinics"), "FIELDS_TO_COPY": ["facility_id"],
            "NEIGHBORS": 1, "OUTPUT": str(folder / f"{tag}_near.gpkg")})["OUTPUT"])
        out[tag] = acc, cov, hot, near
    (acc, cov, hot, near), (acc0, cov0, hot0, near0) = out["merc"], out["etrs"]
    assert acc.crs.to_epsg() == cov.crs.to_epsg() == hot.crs.to_epsg() == near.crs.to_epsg() == 3857
    metres = [c for c in acc.columns if c.endswith("_m") or "cost" in c]
    assert metres, acc.columns
    _same(acc, acc0, metres + [c for c in acc.columns if c.startswith(("n_within", "access", "fca"))])
    _same(cov, cov0, ["nearest_cost", "covered_demand", "uncovered_demand"])
    _same(hot, hot0, ["point_count", "gi_neighbours", "gi_z"])
    _same(near, near0, ["distance"])
    assert (near["facility_id"] == near0["facility_id"]).all()


# -- headless --------------------------------------------------------------------------------------------
def test_web_mercator_network_through_qgis_process(data):
    """The same rule when QGIS's own qgis_process runs the algorithm: Web Mercator streets are
    measured in ground metres, the log says where, and the edges come back in EPSG:3857."""
    from qgis_process_helpers import qgis_process_run

    d = data["web_mercator"]
    out = d["folder"] / "qp_edges.gpkg"
    answer = qgis_process_run("joinedup:checknetwork", {"INPUT": d["streets"], "OUTPUT": str(out),
                                                        "PROBLEMS": "TEMPORARY_OUTPUT"})
    assert "EPSG:32635" in answer["stdout"] and "scale error" in answer["stdout"]
    edges = read(out)
    assert edges.crs.to_epsg() == 3857
    truth = geodesic_lengths(edges)
    assert abs(edges["length_m"].sum() / truth.sum() - 1) < TOL
    web_mercator_metres = edges.geometry.length.sum()  # what the old rule took for metres
    assert web_mercator_metres / truth.sum() > 1.9  # 1/cos(60 N): the error this issue removes


# -- the rule's edges, in the engine ---------------------------------------------------------------
def test_data_across_utm_zones_gets_a_tm_centred_on_it():
    """A 220 km road across the 30 E zone boundary on the equator: its UTM zone (36N, meridian
    33 E) is 0.2 % long at 29 E, so the data goes to a transverse Mercator centred on 30 E."""
    import geopandas as gpd
    import shapely
    from pyproj import Geod

    from joinedup.engine.crs import SCALE_TOLERANCE, ensure_projected

    road = gpd.GeoDataFrame(geometry=[shapely.LineString([(29.0, 0.1), (31.0, 0.1)])], crs="EPSG:4326")
    road.attrs["source_name"] = "road"
    moved, crs, note = ensure_projected(road)
    operation = crs.coordinate_operation
    assert operation.method_name == "Transverse Mercator"
    assert {p.name: p.value for p in operation.params}["Longitude of natural origin"] == pytest.approx(30.0)
    assert "road is geographic (degrees)" in note and "scale error" in note
    # segmentised so the planar length follows the geodesic; then within 0.1 % of Geod
    planar = shapely.segmentize(moved.geometry.values, 1000.0)
    truth = Geod(ellps="WGS84").geometry_length(shapely.segmentize(road.geometry.values[0], 0.01))
    assert abs(shapely.length(planar)[0] / truth - 1) < SCALE_TOLERANCE


def test_bad_crs_input_gets_one_clear_message():
    import geopandas as gpd
    import shapely

    from joinedup.engine.crs import ensure_projected
    from joinedup.engine.errors import InputError

    no_crs = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)])
    no_crs.attrs["source_name"] = "clinics"
    with pytest.raises(InputError, match="clinics has no coordinate reference system"):
        ensure_projected(no_crs)
    empty = gpd.GeoDataFrame(geometry=[None, None], crs="EPSG:4326")
    with pytest.raises(InputError, match="no usable geometry"):
        ensure_projected(empty)
    kept, crs, note = ensure_projected(gpd.GeoDataFrame(geometry=[None], crs="EPSG:3067"))
    assert crs.to_epsg() == 3067 and note == ""  # nothing to measure: left as it is
