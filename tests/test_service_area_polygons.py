"""Service-area polygons (engine, no QGIS needed): the land within the polygon buffer of the
reached street pieces. Checked against areas computed by hand on tiny networks and against
shapely's own buffer-and-union of the same reached pieces on the real Helsinki roads."""
import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import LineString, Point

from joinedup.engine.network import Network
from joinedup.engine.network_tools import service_areas

CRS = "EPSG:3395"  # World Mercator: true to 1e-8 near (0, 0), where these hand-made streets lie (docs/crs.md)
BUFFER = 25.0


def _net(*coords):
    return Network.from_lines(gpd.GeoDataFrame(geometry=[LineString(c) for c in coords], crs=CRS))


def _areas(net, xy, bands, **kw):
    snap = net.snap(gpd.GeoSeries([Point(*p) for p in xy], crs=net.crs))  # the network's own CRS
    return service_areas(net, snap, bands=bands, polygon_buffer_m=BUFFER, **kw)


def test_one_street_whole_and_in_part_is_a_stadium():
    net = _net([(0, 0), (100, 0)])
    lines, polys = _areas(net, [(50, 3)], [30.0, 1000.0])
    by_band = polys.set_index("band").geometry
    # a straight piece of length L buffered by r: L * 2r + pi r^2 (by hand); the outline is
    # sampled every r/2, so the round ends are cut by chords (about 5 % of their area)
    assert by_band[1000.0].area == pytest.approx(100 * 2 * BUFFER + np.pi * BUFFER ** 2, rel=0.025)
    assert by_band[30.0].area == pytest.approx(60 * 2 * BUFFER + np.pi * BUFFER ** 2, rel=0.025)
    assert by_band[30.0].contains(Point(50, 24)) and not by_band[30.0].contains(Point(50, 26))
    assert by_band[30.0].contains(Point(80 + 24, 0)) and not by_band[30.0].contains(Point(80 + 26, 0))


def test_block_inside_a_square_stays_a_hole_and_bands_nest():
    net = _net([(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)])
    _, polys = _areas(net, [(0, 0)], [100.0, 400.0])
    small, big = polys.sort_values("band").geometry
    assert big.contains(small.buffer(-0.01))
    assert big.contains(Point(50, 24)) and not big.contains(Point(50, 26))  # 24 / 26 m from a street
    assert not big.contains(Point(50, 50))
    # by hand: the 150 x 150 square minus the 50 x 50 block, plus the rounded outer corners
    # (the outer corners are quarter circles: 4 * (r^2 - pi r^2 / 4) less than the square)
    expected = 150 ** 2 - 50 ** 2 - 4 * (BUFFER ** 2 - np.pi * BUFFER ** 2 / 4)
    assert big.area == pytest.approx(expected, rel=0.02)


@pytest.fixture(scope="module")
def helsinki_net(real_data):
    from gen_tracks import drive_graph

    return drive_graph(real_data / "helsinki.osm.pbf")[0]


def test_polygons_match_shapely_buffer_union_of_the_reached_pieces(helsinki_net):
    net = helsinki_net
    rng = np.random.default_rng(5)
    nodes = rng.choice(len(net.node_xy), 6, replace=False)
    xy = net.node_xy[nodes] + rng.normal(0, 10, (6, 2))
    lines, polys = _areas(net, xy, [300.0, 800.0])
    assert len(polys) == 12
    shares = []
    for (f, b), piece in lines.groupby(["facility", "band"]):
        reference = shapely.union_all(shapely.buffer(piece.geometry.values, BUFFER, quad_segs=16))
        got = polys[(polys.facility == f) & (polys.band == b)].geometry.iloc[0]
        assert got.is_valid
        # Sampled every r/2, the outline follows straight sides exactly and cuts round ends
        # and sharp inside corners by chords: a cut of r/2 * sqrt 2 on a 25 m arc leaves a
        # sagitta of 1.6 m, i.e. about 1.1 m^2 per metre of outline. Allow 1.5 m^2 per metre.
        outline_m = reference.boundary.length
        assert shapely.symmetric_difference(got, reference).area <= 1.5 * outline_m
        assert abs(got.area - reference.area) <= 1.5 * outline_m
        shares.append(shapely.symmetric_difference(got, reference).area / reference.area)
    assert np.median(shares) < 0.03  # as a share of the area, on areas of real size
    # dissolved: one polygon per band, the union of the facilities' areas
    _, dissolved = _areas(net, xy, [300.0], dissolve=True)
    union = shapely.union_all(polys[polys.band == 300.0].geometry.values)
    assert len(dissolved) == 1
    assert dissolved.geometry.iloc[0].area == pytest.approx(union.area, rel=0.01)


def test_a_buffer_too_fine_for_the_network_is_refused_with_a_message():
    from joinedup.engine.errors import InputError

    net = _net([(0, 0), (400_000, 0)], [(0, 0), (0, 400_000)])  # 800 km of street
    snap = net.snap(gpd.GeoSeries([Point(0, 0)], crs=CRS))
    with pytest.raises(InputError, match="too fine.*larger polygon buffer"):
        service_areas(net, snap, bands=[100.0], polygon_buffer_m=0.1)
    lines, polys = service_areas(net, snap, bands=[100.0], polygon_buffer_m=0.1, polygons=False)
    assert lines.length_m.sum() == pytest.approx(200) and polys is None
