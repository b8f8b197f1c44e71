"""The tables the network algorithms write, built in the engine (engine/network/outputs.py) and
the build options record, on tiny networks whose answers are worked out by hand (no QGIS)."""
import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, Point

from joinedup.engine.errors import InputError
from joinedup.engine.network import (
    BuildOptions,
    Network,
    closest_facility_table,
    od_lines,
    od_table,
    paired_routes,
    parse_bands,
    point_xy,
)

CRS = "EPSG:3395"  # ground metres to 1e-8 around (0, 0): see test_network_engine.py


def street():
    """A straight 300 m street along y = 0, one-way eastwards on its middle third."""
    return gpd.GeoDataFrame({"d": [None, "yes", None]},
                            geometry=[LineString([(0, 0), (100, 0)]), LineString([(100, 0), (200, 0)]),
                                      LineString([(200, 0), (300, 0)])], crs=CRS)


def points(*xy):
    return gpd.GeoDataFrame(geometry=[Point(x, y) if x is not None else None for x, y in xy], crs=CRS)


def test_build_options_record_equals_keywords():
    a = Network.from_lines(street(), BuildOptions(direction_field="d"))
    b = Network.from_lines(street(), direction_field="d")
    assert a.report == b.report
    np.testing.assert_array_equal(a.edges["forward"], b.edges["forward"])
    np.testing.assert_array_equal(a.edges["backward"], [True, False, True])
    with pytest.raises(InputError, match="Unknown network option"):
        Network.from_lines(street(), no_such_option=1)


def test_paired_routes_match_ids_as_text_and_keep_every_origin():
    net = Network.from_lines(street(), direction_field="d")
    o = points((10, 5), (290, 0), (150, 0))
    d = points((290, 0), (10, 0))
    o_snap, d_snap = net.snap(o), net.snap(d)
    # Origin ids 7 (int), '8' (text), 9.0 (float); destination ids '7' and 8.0.
    out = paired_routes(net, o_snap, d_snap, point_xy(o, net.crs), point_xy(d, net.crs), pairing="by_id",
                        origin_ids=[7, "8", 9.0], destination_ids=["7", 8.0])
    assert out["origin_row"].tolist() == [0, 1, 2]
    assert out["destination_row"].tolist() == [0, 1, -1]
    # 10 → 290 eastwards: 280 m; 290 → 10 westwards is barred on the one-way middle: no route.
    assert out["cost"].iloc[0] == pytest.approx(280)
    assert np.isnan(out["cost"].iloc[1]) and "one-way" in out["reason"].iloc[1]
    assert out["reason"].iloc[2] == "no destination with this id"
    with pytest.raises(InputError, match="needs both"):
        paired_routes(net, o_snap, d_snap, None, None, pairing="by_id")


def test_nearest_pairing_and_closest_facility_agree_with_hand_costs():
    net = Network.from_lines(street(), direction_field="d")
    inc = points((50, 0), (250, 0), (None, None))
    fac = points((0, 0), (300, 0))
    s_i, s_f = net.snap(inc), net.snap(fac)
    # From x=50: 50 m west to facility 0, 250 m east to facility 1.
    # From x=250: 50 m east to facility 1; west to facility 0 is barred (one-way).
    table = closest_facility_table(net, s_i, s_f, point_xy(inc, net.crs), point_xy(fac, net.crs), k=2)
    got = [(r.incident_row, r.facility_row, r.rank, r.cost) for r in table.itertuples()]
    assert got[:3] == [(0, 0, 1, pytest.approx(50)), (0, 1, 2, pytest.approx(250)), (1, 1, 1, pytest.approx(50))]
    assert got[3][:3] == (2, -1, 0) and np.isnan(got[3][3])
    assert table["reason"].iloc[3] == "origin has no geometry"
    # The other way round (facility → incident), 0 → 250 is allowed: 250 m.
    back = closest_facility_table(net, s_i, s_f, point_xy(inc, net.crs), point_xy(fac, net.crs), k=2,
                                  direction="from_facility", routes=False)
    row = back[(back["incident_row"] == 1) & (back["facility_row"] == 0)]
    assert row["cost"].iloc[0] == pytest.approx(250)
    assert list(row.geometry.iloc[0].coords) == [(250, 0), (0, 0)]  # straight line, incident → facility
    with pytest.raises(InputError, match="Unknown direction"):
        closest_facility_table(net, s_i, s_f, None, None, direction="sideways")


def test_od_lines_join_each_pair_and_leave_missing_ends_null():
    net = Network.from_lines(street())
    o = points((10, 3), (None, None))
    d = points((200, -4),)
    table = od_table(net, net.snap(o), net.snap(d))
    lines = od_lines(table, point_xy(o, net.crs), point_xy(d, net.crs), net.crs)
    assert list(lines.geometry.iloc[0].coords) == [(10, 3), (200, -4)]
    assert lines.geometry.iloc[1] is None


def test_parse_bands():
    assert parse_bands(" 5, 10,15 ") == [5.0, 10.0, 15.0]
    for bad in ("5, ten", "", "0, 5"):
        with pytest.raises(InputError):
            parse_bands(bad)
