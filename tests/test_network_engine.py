"""The network engine on tiny hand-computed networks (no QGIS needed)."""
import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import LineString, MultiLineString, Point

from joinedup.engine.errors import EngineCancelled, Feedback, InputError
from joinedup.engine.network import Network, osm_tag, parse_maxspeed

# The hand-made networks sit around (0, 0). In World Mercator that is the equator at 0 E, where
# map units are ground metres to 1e-8; in EPSG:3067 it would be 500 km off the meridian, 0.27 %
# long, and JoinedUp would (rightly) measure elsewhere (engine/crs.py).
CRS = "EPSG:3395"


def lines(geoms, crs=CRS, **fields):
    return gpd.GeoDataFrame(fields, geometry=list(geoms), crs=crs)


def pts(*xy, crs=CRS):
    return gpd.GeoSeries([Point(x, y) for x, y in xy], crs=crs)


def square(direction=None):
    """A 100 m square: bottom edge one-way eastwards when direction is given."""
    return lines([LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 100)]),
                  LineString([(0, 0), (0, 100), (100, 100)])], d=direction or [None, None, None])


def test_one_way_forces_the_long_way_round():
    net = Network.from_lines(square(["yes", None, "no"]), direction_field="d")
    s = net.snap(pts((10, 5), (90, -5), (105, 50)))
    assert s.edge.tolist() == [0, 0, 1]
    np.testing.assert_allclose(s.snap_dist_m, [5, 5, 5])
    m = net.cost_matrix(s, s)
    # (10,0) → (90,0) with the flow: 80; against it: 10 + 100 + 100 + 100 + 10 = 320
    np.testing.assert_allclose(m, [[0, 80, 140], [320, 0, 60], [260, 340, 0]])
    cost, edges, geom = net.route(s.take([1]), s.take([0]))
    assert cost == pytest.approx(320)
    assert geom.length == pytest.approx(320)
    assert edges[0] == 0 and edges[-1] == 0


def test_backward_value_and_default_direction():
    net = Network.from_lines(square(["-1", "x", "both"]), direction_field="d", default_direction="backward")
    s = net.snap(pts((10, 0), (90, 0)))
    m = net.cost_matrix(s, s)
    assert m[1, 0] == pytest.approx(80)  # backward = against digitising only
    assert m[0, 1] == pytest.approx(320)
    assert any("'d' value not listed" in n for n in net.notes)


def test_digitising_direction_does_not_change_two_way_costs():
    a = square()
    b = a.copy()
    b["geometry"] = shapely.reverse(b.geometry.values)
    p = pts((10, 3), (100, 60), (0, 70), (55, 100))
    ma = Network.from_lines(a).cost_matrix(*(Network.from_lines(a).snap(p),) * 2)
    nb = Network.from_lines(b)
    mb = nb.cost_matrix(nb.snap(p), nb.snap(p))
    np.testing.assert_allclose(ma, mb)
    np.testing.assert_allclose(ma, ma.T)


def test_bridge_without_shared_vertex_does_not_connect():
    # A horizontal road and a bridge crossing it at (50, 0) without a shared vertex.
    net = Network.from_lines(lines([LineString([(0, 0), (100, 0)]), LineString([(50, -50), (50, 50)])]))
    assert net.report["components"] == 2
    s = net.snap(pts((0, 0), (50, 50)))
    assert np.isinf(net.cost_matrix(s, s)[0, 1])
    assert net.component[net.edges.u[s.edge[0]]] != net.component[net.edges.u[s.edge[1]]]
    # With a junction vertex it connects: 50 + 50.
    net2 = Network.from_lines(lines([LineString([(0, 0), (50, 0), (100, 0)]),
                                     LineString([(50, -50), (50, 0), (50, 50)])]))
    s2 = net2.snap(pts((0, 0), (50, 50)))
    assert net2.cost_matrix(s2, s2)[0, 1] == pytest.approx(100)


def test_equal_cost_ties_give_the_tied_cost():
    # Two routes of 200 m round the square between opposite corners.
    net = Network.from_lines(lines([LineString([(0, 0), (100, 0), (100, 100)]),
                                    LineString([(0, 0), (0, 100), (100, 100)])]))
    s = net.snap(pts((0, 0), (100, 100)))
    cost, edges, geom = net.route(s.take([0]), s.take([1]))
    assert cost == pytest.approx(200)
    assert geom.length == pytest.approx(200)


def test_zero_length_segments_and_lines_are_ignored_and_reported():
    net = Network.from_lines(lines([LineString([(0, 0), (0, 0), (100, 0)]), LineString([(100, 0), (100, 0)]),
                                    LineString([(100, 0), (200, 0)])]))
    assert net.report["zero_length_segments"] == 2
    assert net.report["lines_zero_length"] == 1
    s = net.snap(pts((0, 0), (200, 0)))
    assert net.cost_matrix(s, s)[0, 1] == pytest.approx(200)


def test_tolerance_joins_nearby_vertices():
    gap = lines([LineString([(0, 0), (100, 0)]), LineString([(100.3, 0), (200, 0)])])
    assert Network.from_lines(gap).report["components"] == 2
    net = Network.from_lines(gap, tolerance_m=0.5)
    assert net.report["components"] == 1
    s = net.snap(pts((0, 0), (200, 0)))
    assert np.isfinite(net.cost_matrix(s, s)[0, 1])


def test_geographic_input_is_projected_with_a_note():
    x0, y0 = 385000, 6671000  # central Helsinki in EPSG:3067
    g = square().set_crs("EPSG:3067", allow_override=True).translate(x0, y0).to_crs("EPSG:4326")
    net = Network.from_lines(g)
    assert net.crs.is_projected and net.crs.to_epsg() == 32635
    assert any("geographic" in n for n in net.notes)
    s = net.snap(pts((x0 + 10, y0), (x0 + 90, y0), crs="EPSG:3067").to_crs("EPSG:4326"))
    assert net.cost_matrix(s, s)[0, 1] == pytest.approx(80, rel=2e-3)


def test_z_m_and_multipart_lines():
    g = lines([MultiLineString([[(0, 0, 5), (100, 0, 9)], [(100, 0, 9), (100, 100, 1)]]),
               LineString([(100, 100, 0), (0, 100, 0)])])
    net = Network.from_lines(g)
    assert net.report["multipart_features"] == 1
    assert net.edges.source_row.tolist() == [0, 0, 1]
    s = net.snap(pts((0, 0), (0, 100)))
    assert net.cost_matrix(s, s)[0, 1] == pytest.approx(300)  # planar length, Z ignored


def test_time_costs_with_null_and_unparsable_speeds():
    g = square()
    g["maxspeed"] = ["36", None, "walk"]
    with pytest.raises(InputError, match="Travel time is not available|no usable speed"):
        net = Network.from_lines(g.assign(maxspeed=[None, None, "none"]), speed_field="maxspeed")
        net.cost_matrix(net.snap(pts((0, 0))), net.snap(pts((100, 0))), weight="time")
    net = Network.from_lines(g, speed_field="maxspeed", default_speed_kmh=18)
    np.testing.assert_allclose(net.edges.time_s, [10.0, 20.0, 72.0, 72.0])
    assert any("default 18" in n for n in net.notes)
    s = net.snap(pts((0, 0), (100, 100)))
    assert net.cost_matrix(s, s, weight="time")[0, 1] == pytest.approx(30.0)


def test_bad_defaults_are_refused():
    with pytest.raises(InputError, match="positive"):
        Network.from_lines(square(), speed_field="d", default_speed_kmh=0)
    with pytest.raises(InputError, match="tolerance"):
        Network.from_lines(square(), tolerance_m=-1)
    with pytest.raises(InputError, match="not in"):
        Network.from_lines(square(), speed_field="nope")


def test_empty_and_geometryless_layers():
    with pytest.raises(InputError, match="empty"):
        Network.from_lines(lines([]))
    with pytest.raises(InputError, match="no usable lines"):
        Network.from_lines(lines([None, Point(0, 0)]))


def test_far_points_are_not_on_network_but_report_distance():
    net = Network.from_lines(square())
    s = net.snap(gpd.GeoSeries([Point(50, -500), None, Point(50, 1)], crs=CRS), max_snap_m=100)
    assert s.edge.tolist()[:2] == [-1, -1] and s.edge[2] == 0
    assert s.snap_dist_m[0] == pytest.approx(500)
    assert np.isnan(s.snap_dist_m[1])
    m = net.cost_matrix(s, s)
    assert np.isinf(m[0]).all() and np.isinf(m[:, 1]).all() and m[2, 2] == 0


def test_origins_equal_destinations_and_same_edge_costs():
    net = Network.from_lines(square())
    s = net.snap(pts((20, 0), (70, 0), (20, 0)))
    m = net.cost_matrix(s, s)
    np.testing.assert_allclose(np.diag(m), 0)
    assert m[0, 1] == m[1, 0] == pytest.approx(50)
    assert m[0, 2] == 0


def test_max_cost_and_reverse_side_search_agree():
    net = Network.from_lines(square(["yes", "no", "no"]), direction_field="d")
    o = net.snap(pts((10, 0), (90, 0), (0, 50), (60, 100)))
    d = net.snap(pts((50, 0)))
    full = net.cost_matrix(o, net.snap(pts((50, 0), (50, 0), (50, 0), (50, 0), (50, 0))))[:, :1]
    few = net.cost_matrix(o, d)  # fewer destinations: searched backwards from them
    np.testing.assert_allclose(full, few)
    capped = net.cost_matrix(o, d, max_cost=100)
    assert np.isinf(capped[1, 0]) and capped[0, 0] == pytest.approx(40)


def test_cancel_between_chunks():
    net = Network.from_lines(square())
    s = net.snap(pts(*[(i, 0) for i in range(0, 100, 5)]))
    calls = []
    fb = Feedback(is_cancelled=lambda: len(calls) > 0, progress=calls.append)
    with pytest.raises(EngineCancelled):
        net.cost_matrix(s, s, feedback=fb, chunk_memory_mb=1e-5)
    assert calls  # progress was reported before the cancel took effect


def test_candidates_for_map_matching():
    net = Network.from_lines(square())
    pi, ei, d, f = net.candidates(pts((50, 10), (500, 500)), radius_m=60, k=2)
    assert pi.tolist() == [0, 0]
    assert ei[0] == 0 and d[0] == pytest.approx(10) and f[0] == pytest.approx(0.5)
    assert (np.diff(d) >= 0).all()


def test_save_and_load_round_trip(tmp_path):
    net = Network.from_lines(square(["yes", None, None]), direction_field="d")
    path = str(tmp_path / "net.gpkg")
    net.save(path)
    again = Network.load(path)
    s1, s2 = net.snap(pts((10, 0), (90, 0))), again.snap(pts((10, 0), (90, 0)))
    np.testing.assert_allclose(net.cost_matrix(s1, s1), again.cost_matrix(s2, s2))
    assert again.report["components"] == net.report["components"]


def test_networkx_view_gives_the_same_costs():
    import networkx as nx

    net = Network.from_lines(square(["yes", None, None]), direction_field="d")
    g = net.to_networkx()
    d = nx.single_source_dijkstra_path_length(g, 2, weight="length_m")
    from scipy.sparse.csgraph import dijkstra
    row = dijkstra(net.graphs["length"], indices=2)
    for node, cost in d.items():
        assert row[node] == pytest.approx(cost)


def test_osm_parsing():
    np.testing.assert_allclose(parse_maxspeed(["50", "30 mph", "walk", "FI:urban", "50;30", "20 km/h"]),
                               [50, 48.28032, 5, 50, 50, 20])
    assert np.isnan(parse_maxspeed([None, "none", "0", "-5", "signals"])).all()
    tags = ['"oneway"=>"yes","maxspeed"=>"30"', None, '"highway:oneway"=>"no"']
    assert osm_tag(tags, "oneway").tolist() == ["yes", None, None]


def test_osm_oneway_modes_and_class_filters():
    g = lines([LineString([(0, 0), (100, 0)]), LineString([(100, 0), (200, 0)]),
               LineString([(0, 0), (0, 100)]), LineString([(0, 100), (100, 0)])],
              highway=["residential", "footway", "motorway", None],
              other_tags=['"oneway"=>"-1"', None, None, None])
    drive = Network.from_lines(g, osm_oneway=True, mode="drive")
    assert drive.report["skipped_by_mode"] == 2  # footway and the unclassified line
    assert drive.edges.forward.tolist() == [False, True]  # oneway=-1; motorway implied one-way
    assert drive.edges.backward.tolist() == [True, False]
    walk = Network.from_lines(g, osm_oneway=True, mode="walk")
    assert walk.report["skipped_by_mode"] == 2  # motorway and the unclassified line
    assert walk.edges.forward.all() and walk.edges.backward.all()
    np.testing.assert_allclose(walk.edges.time_s, 100 / (5 / 3.6))


def test_negative_costs_in_a_saved_network_are_refused(tmp_path):
    net = Network.from_lines(square())
    edges = net.edges.copy()
    edges.loc[1, "length_m"] = -5.0
    with pytest.raises(InputError, match="Negative length_m on 1 edges"):
        Network.from_edges(edges)


def test_zero_and_negative_speeds_fall_back_to_the_default():
    g = square()
    g["kmh"] = [0, -30, "abc"]
    net = Network.from_lines(g, speed_field="kmh", default_speed_kmh=36)
    np.testing.assert_allclose(net.edges.time_s, net.edges.length_m / 10.0)
    assert net.report["speed_unusable"] == 3
