"""Real street data in CRSs that distort distance, with the ground truth from pyproj's Geod.

The Helsinki streets of ``resources/sample/helsinki.osm.pbf`` (OSM, ODbL) are the one real
geometry. Where a CRS needs data elsewhere (a US state plane, the British grid, a UTM zone
used far from its meridian), the same street shapes are placed there by a documented,
shape-keeping transform: project Helsinki to a transverse Mercator centred on Helsinki (scale 1),
read those metre coordinates as a transverse Mercator centred on the target place, then project
to the CRS under test. Over the 1.5 km of the extract both TMs are true to 3e-8, so the placed
streets have Helsinki's ground lengths (to well under 0.001 %) at the new latitude; the tests
still measure the truth on the placed data itself, with Geod.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HELSINKI = (60.1716, 24.9443)  # centre of the extract (lat, lon)


def tm(lat: float, lon: float) -> str:
    return f"+proj=tmerc +lat_0={lat} +lon_0={lon} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"


@dataclass(frozen=True)
class Case:
    """A CRS to test and where the data sits: ``place`` None = Helsinki as it is."""
    name: str
    crs: str
    place: tuple | None = None
    why: str = ""


CASES = [
    Case("web_mercator", "EPSG:3857", None, "Web Mercator at 60 N: map units are 2.0x ground metres"),
    Case("wgs84", "EPSG:4326", None, "degrees"),
    Case("ny_state_plane_feet", "EPSG:2263", (40.75, -73.98), "NAD83 / New York Long Island (US survey feet)"),
    Case("british_grid", "EPSG:27700", (52.48, -1.90), "British National Grid (OSGB36, Airy), Birmingham"),
    Case("utm_far_from_meridian", "EPSG:32635", (60.1716, 37.0),
         "UTM 35N (meridian 27 E) used at 37 E: 0.34 % too long"),
]


def place(gdf_4326, case: Case):
    """``gdf_4326`` (Helsinki, EPSG:4326) in ``case.crs``, moved to ``case.place`` first."""
    if case.place is None:
        return gdf_4326.to_crs(case.crs)
    local = gdf_4326.to_crs(tm(*HELSINKI))
    return local.set_crs(tm(*case.place), allow_override=True).to_crs(case.crs)


def helsinki_streets(pbf):
    """The real street lines (highway set), EPSG:4326, with an integer id."""
    import pyogrio

    lines = pyogrio.read_dataframe(str(pbf), layer="lines")
    lines = lines[lines["highway"].notna() & lines.geometry.notna()].reset_index(drop=True)
    lines["sid"] = np.arange(len(lines), dtype=np.int64)
    return lines[["sid", "highway", "geometry"]]


def street_points(streets, step: int = 25):
    """Points on the streets (the middle of every ``step``-th street): they lie on the network,
    so routes between them have no access leg. ``next_pid`` names the next point, to route
    each point to. EPSG:4326."""
    import geopandas as gpd
    import shapely

    local = streets.to_crs(tm(*HELSINKI)).iloc[::step]
    mids = shapely.line_interpolate_point(local.geometry.values, 0.5, normalized=True)
    pid = np.arange(len(mids), dtype=np.int64)
    pts = gpd.GeoDataFrame({"pid": pid, "next_pid": (pid + 1) % len(pid)}, geometry=mids, crs=local.crs)
    return pts.to_crs("EPSG:4326")


def geodesic_lengths(gdf):
    """Length in metres of every geometry on the WGS 84 ellipsoid (pyproj Geod), the truth."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    lonlat = gdf.to_crs("EPSG:4326")
    return np.array([geod.geometry_length(g) if g is not None and not g.is_empty else np.nan
                     for g in lonlat.geometry.values])


def geodesic_distance(a, b):
    """Geodesic distance in metres between the points of GeoSeries ``a`` and ``b`` (row by row)."""
    from pyproj import Geod

    pa, pb = a.to_crs("EPSG:4326"), b.to_crs("EPSG:4326")
    _, _, dist = Geod(ellps="WGS84").inv(pa.x.to_numpy(), pa.y.to_numpy(), pb.x.to_numpy(), pb.y.to_numpy())
    return np.asarray(dist)


def write(gdf, path, layer):
    import pyogrio

    pyogrio.write_dataframe(gdf, str(path), layer=layer, driver="GPKG")
    return f"{path}|layername={layer}"


def read(uri):
    import pyogrio

    path, _, rest = str(uri).partition("|layername=")
    return pyogrio.read_dataframe(path, layer=rest or None)
