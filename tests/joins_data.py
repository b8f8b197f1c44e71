"""Test layers for the join algorithms: the real Helsinki OSM extract in EPSG:3067 (written
once per session to a GeoPackage) and small hand-made layers. Import the fixtures into a
test module with ``from joins_data import *``."""
from __future__ import annotations

import numpy as np
import pytest

__all__ = ["osm_gpkg", "osm_raw_gpkg", "write_layer", "read_layer", "layer_uri"]


def layer_uri(path, layer):
    return f"{path}|layername={layer}"


def write_layer(path, layer, gdf, **kwargs):
    import pyogrio

    pyogrio.write_dataframe(gdf, str(path), layer=layer, driver="GPKG", **kwargs)
    return layer_uri(path, layer)


def read_layer(value):
    """Read an output written by an algorithm (a path, or 'path|layername=x')."""
    import geopandas as gpd

    path, _, layer = str(value).partition("|layername=")
    return gpd.read_file(path, layer=layer or None, engine="pyogrio")


def _read_osm(real_data, layer):
    import geopandas as gpd
    import pandas as pd
    import shapely
    from pyogrio.raw import read

    meta, _, wkb, columns = read(str(real_data / "helsinki.osm.pbf"), layer=layer)
    frame = pd.DataFrame(dict(zip(meta["fields"], columns)))
    geoms = shapely.from_wkb(np.asarray(wkb, dtype=object), on_invalid="ignore")
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


@pytest.fixture(scope="session")
def osm_gpkg(real_data, tmp_path_factory):
    """The real OSM layers in EPSG:3067 with stable integer ids and numeric fields derived
    from real attributes, only valid non-null geometries (so QGIS's own algorithms, which
    stop on invalid input, can run on exactly the same data):

    - ``polys`` (multipolygons): ``pid``, name, building, amenity, osm_id
    - ``points``: ``jid``, name, osm_id, ``osm_num`` (osm_id as a number), ``name_len``
      (length of the name, NULL where there is none), ``tags_n`` (number of OSM tags; many
      ties, so majority/minority are exercised), highway
    - ``lines``: ``lid``, name, highway
    Returns the GeoPackage path."""
    import shapely

    path = tmp_path_factory.mktemp("osm") / "helsinki_3067.gpkg"
    polys = _read_osm(real_data, "multipolygons").to_crs("EPSG:3067")
    polys = polys[~polys.geometry.isna() & shapely.is_valid(polys.geometry.values)].reset_index(drop=True)
    polys.insert(0, "pid", np.arange(len(polys), dtype=np.int64))
    write_layer(path, "polys", polys[["pid", "osm_id", "name", "building", "amenity", "geometry"]])
    pts = _read_osm(real_data, "points").to_crs("EPSG:3067")
    pts = pts[~pts.geometry.isna()].reset_index(drop=True)
    pts.insert(0, "jid", np.arange(len(pts), dtype=np.int64))
    pts["osm_num"] = pts["osm_id"].astype(float)
    pts["name_len"] = pts["name"].str.len().astype(float)
    pts["tags_n"] = pts["other_tags"].fillna("").str.count("=>").astype(np.int64)
    write_layer(path, "points", pts[["jid", "osm_id", "name", "highway", "osm_num", "name_len",
                                     "tags_n", "geometry"]])
    lines = _read_osm(real_data, "lines").to_crs("EPSG:3067")
    lines = lines[~lines.geometry.isna() & shapely.is_valid(lines.geometry.values)].reset_index(drop=True)
    lines.insert(0, "lid", np.arange(len(lines), dtype=np.int64))
    write_layer(path, "lines", lines[["lid", "name", "highway", "geometry"]])
    return path


@pytest.fixture(scope="session")
def osm_raw_gpkg(real_data, tmp_path_factory):
    """The real multipolygons as they come (EPSG:4326), null and invalid geometries
    included, with a ``pid`` id: the input JoinedUp must survive."""
    import shapely

    path = tmp_path_factory.mktemp("osmraw") / "helsinki_raw.gpkg"
    polys = _read_osm(real_data, "multipolygons")
    polys.insert(0, "pid", np.arange(len(polys), dtype=np.int64))
    write_layer(path, "polys", polys[["pid", "name", "building", "geometry"]])
    geoms = polys.geometry.values
    stats = {"null": int(polys.geometry.isna().sum()),
             "invalid": int((~polys.geometry.isna() & ~shapely.is_valid(geoms)).sum()),
             "total": len(polys)}
    return path, stats
