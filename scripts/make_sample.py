"""Build resources/sample/sample_city.gpkg: a small sample city for the demo, the docs and tests.

Real layers, derived from the OpenStreetMap extract resources/sample/helsinki.osm.pbf
(© OpenStreetMap contributors, ODbL 1.0), reprojected to ETRS-TM35FIN (EPSG:3067):
  roads      lines with a ``highway`` tag: osm_id, name, highway, oneway, maxspeed (km/h)
  buildings  polygons with a ``building`` tag; OSM's broken rings are repaired (GEOS
             make_valid, polygon parts kept) and the few that cannot be are left out and counted
  amenities  points with an ``amenity`` tag: osm_id, amenity, name
Synthetic agency layers, made here by seeded generators (NOT real records):
  zones        Voronoi zones covering the extract: zone_id, name, population
  incidents    reported incidents: incident_id, date, type, severity (1-5)
  inspections  building inspections at some buildings: inspection_id, building_osm_id, date, outcome
  clinics      health clinics: OSM clinics/doctors/dentists/hospitals, synthetic ones added up
               to a minimum count; capacity (patients per day), source ('osm' or 'synthetic')
  schools      schools: OSM schools, synthetic ones added up to a minimum count; capacity
               (pupils), source

Deterministic and idempotent: the same input gives a byte-identical file (fixed seeds, fixed
GeoPackage timestamp), and the file is only replaced when its content changes.
Run with ``make sample`` (or ``.venv/bin/python scripts/make_sample.py [--out PATH]``).
"""
from __future__ import annotations

import argparse
import filecmp
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


# The real OpenStreetMap extract, committed beside the sample it makes (ODbL; README there).
OSM = REPO / "resources" / "sample" / "helsinki.osm.pbf"
OUT = REPO / "resources" / "sample" / "sample_city.gpkg"
CRS = "EPSG:3067"
SEED = 20260101
N_ZONES = 150
N_INCIDENTS = 2500
N_INSPECTIONS = 600
MIN_CLINICS = 12
MIN_SCHOOLS = 10
INCIDENT_TYPES = ["noise", "litter", "vandalism", "graffiti", "traffic", "antisocial_behaviour",
                  "fire_alarm", "water_leak", "street_light_out", "pothole"]
OUTCOMES = ["pass", "pass_with_advice", "minor_defects", "major_defects", "fail", "no_access"]
OUTCOME_WEIGHTS = [0.45, 0.2, 0.15, 0.08, 0.05, 0.07]


def _tag(other_tags, key):
    """Values of ``key`` from OSM's hstore-like other_tags strings (None where absent)."""
    pattern = re.compile(r'"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"')
    out = []
    for text in other_tags:
        match = pattern.search(text) if isinstance(text, str) else None
        out.append(match.group(1) if match else None)
    return np.array(out, dtype=object)


def _read_osm(layer):
    """One OSM layer as a GeoDataFrame in EPSG:3067, read in bulk; geometries that strict WKB
    parsing rejects (rings with too few points) are fixed where GEOS can, else left null."""
    import geopandas as gpd
    import pandas as pd
    import shapely
    from pyogrio.raw import read

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's notes on unclosed rings: handled below
        meta, _fids, wkb, columns = read(str(OSM), layer=layer)
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    bad = np.flatnonzero(shapely.is_missing(geoms))
    if bad.size:
        geoms[bad] = shapely.from_wkb(wkb[bad], on_invalid="fix")
    frame = pd.DataFrame({name: values for name, values in zip(meta["fields"], columns)})
    gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326").to_crs(CRS)
    gdf.attrs["unreadable"] = int(bad.size)
    return gdf


def _polygonal(geoms):
    """make_valid, keeping only polygon parts, as MultiPolygons (None where nothing is left)."""
    import shapely

    fixed = shapely.make_valid(geoms)
    out = np.empty(len(fixed), dtype=object)
    for i, geom in enumerate(fixed):  # a few hundred buildings, once, offline
        if geom is None or geom.is_empty:
            out[i] = None
            continue
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        polys = [q for p in parts for q in shapely.get_parts(p)]
        out[i] = shapely.MultiPolygon(polys) if polys else None
    return out


def _int_or_none(values):
    out = []
    for v in values:
        match = re.match(r"^\s*(\d+)\s*$", v) if isinstance(v, str) else None
        out.append(int(match.group(1)) if match else None)
    return np.array(out, dtype=object)


def roads_layer():
    import pandas as pd

    lines = _read_osm("lines")
    lines = lines[lines["highway"].notna()].reset_index(drop=True)
    tags = lines["other_tags"].to_numpy()
    maxspeed = pd.array(_int_or_none(_tag(tags, "maxspeed")), dtype="Int32")
    return _frame({"osm_id": lines["osm_id"].astype("int64"), "name": lines["name"],
                   "highway": lines["highway"], "oneway": _tag(tags, "oneway"),
                   "maxspeed": maxspeed}, lines.geometry.values)


def buildings_layer():
    import shapely

    polys = _read_osm("multipolygons")
    polys = polys[polys["building"].notna()].reset_index(drop=True)
    n_read = len(polys)
    invalid = ~shapely.is_valid(polys.geometry.values) | shapely.is_missing(polys.geometry.values)
    geoms = _polygonal(polys.geometry.values)
    keep = np.array([g is not None for g in geoms])
    osm_id = polys["osm_id"].fillna(polys["osm_way_id"]).astype("int64")
    gdf = _frame({"osm_id": osm_id, "name": polys["name"], "building": polys["building"]},
                 geoms)[keep].reset_index(drop=True)
    stats = {"read": n_read, "repaired": int(invalid.sum() - (~keep).sum()), "dropped": int((~keep).sum())}
    return gdf, stats


def amenities_layer():
    points = _read_osm("points")
    amenity = _tag(points["other_tags"].to_numpy(), "amenity")
    keep = amenity != None  # noqa: E711 (element-wise on an object array)
    points = points[keep].reset_index(drop=True)
    return _frame({"osm_id": points["osm_id"].astype("int64"), "amenity": amenity[keep],
                   "name": points["name"]}, points.geometry.values)


def _frame(columns, geoms):
    import geopandas as gpd
    import pandas as pd

    return gpd.GeoDataFrame(pd.DataFrame({k: (v.to_numpy() if hasattr(v, "to_numpy") and not
                                              isinstance(v.dtype, pd.api.extensions.ExtensionDtype)
                                              else v) for k, v in columns.items()}),
                            geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)


def zones_layer(extent, roads, buildings, rng):
    """Voronoi zones over the extent; population from building footprint area, seeded noise."""
    import shapely

    x0, y0, x1, y1 = extent
    seeds = shapely.points(np.column_stack([rng.uniform(x0, x1, N_ZONES), rng.uniform(y0, y1, N_ZONES)]))
    frame = shapely.box(x0, y0, x1, y1)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame))
    cells = shapely.intersection(cells, frame)
    cells = shapely.normalize(cells)
    centroid = shapely.centroid(cells)
    order = np.lexsort((shapely.get_x(centroid), -np.round(shapely.get_y(centroid), 3)))
    cells = cells[order]
    n = len(cells)
    # population ~ residential floor space: building area in the zone, 2-6 storeys, noise
    tree = shapely.STRtree(buildings.geometry.values)
    zone_idx, bld_idx = tree.query(cells, predicate="intersects")
    area = shapely.area(shapely.intersection(cells[zone_idx], buildings.geometry.values[bld_idx]))
    built = np.bincount(zone_idx, weights=area, minlength=n)
    storeys = rng.integers(2, 7, n)
    population = np.round(built * storeys / 40.0 * rng.uniform(0.6, 1.2, n) + rng.poisson(20, n)).astype("int64")
    # name: the nearest named road to the zone's centre, plus its number (unique, non-ASCII kept)
    named = roads[roads["name"].notna()]
    road_tree = shapely.STRtree(named.geometry.values)
    nearest = road_tree.nearest(shapely.centroid(cells))
    names = [f"{named['name'].iloc[j]} {i + 1:03d}" for i, j in enumerate(nearest)]
    return _frame({"zone_id": np.arange(1, n + 1, dtype="int64"), "name": np.array(names, dtype=object),
                   "population": population}, cells)


def _timestamps(rng, n, start="2025-01-01", days=365, hours=(0, 24)):
    import pandas as pd

    day = rng.integers(0, days, n)
    seconds = rng.integers(hours[0] * 3600, hours[1] * 3600, n)
    stamps = np.datetime64(start, "s") + day.astype("timedelta64[D]") + seconds.astype("timedelta64[s]")
    return pd.to_datetime(stamps).as_unit("ms")


def incidents_layer(extent, roads, rng):
    """Incidents: 75% along streets (a random point on a random road, a few metres off), 25%
    near three seeded hot spots, so hotspot tools have something to find."""
    import shapely

    n_street = int(N_INCIDENTS * 0.75)
    n_hot = N_INCIDENTS - n_street
    lines = roads.geometry.values
    lengths = shapely.length(lines)
    pick = rng.choice(len(lines), n_street, p=lengths / lengths.sum())
    along = shapely.line_interpolate_point(lines[pick], rng.uniform(0, 1, n_street), normalized=True)
    street_xy = shapely.get_coordinates(along) + rng.normal(0, 6, (n_street, 2))
    x0, y0, x1, y1 = extent
    centres = np.column_stack([rng.uniform(x0 + 300, x1 - 300, 3), rng.uniform(y0 + 300, y1 - 300, 3)])
    which = rng.integers(0, 3, n_hot)
    hot_xy = centres[which] + rng.normal(0, 70, (n_hot, 2))
    xy = np.vstack([street_xy, hot_xy])
    xy[:, 0] = np.clip(xy[:, 0], x0, x1)
    xy[:, 1] = np.clip(xy[:, 1], y0, y1)
    order = rng.permutation(len(xy))
    xy = xy[order]
    n = len(xy)
    types = rng.choice(INCIDENT_TYPES, n)
    severity = np.clip(rng.poisson(1.2, n) + 1, 1, 5).astype("int64")
    dates = _timestamps(rng, n)
    sort = np.argsort(dates.values, kind="stable")
    return _frame({"incident_id": np.arange(1, n + 1, dtype="int64"),
                   "date": dates[sort], "type": types[sort].astype(object),
                   "severity": severity[sort]}, shapely.points(xy[sort]))


def inspections_layer(buildings, rng):
    """Inspections at about a third of the buildings (some more than once), at a point inside."""
    import shapely

    n_b = len(buildings)
    inspected = rng.choice(n_b, size=max(1, n_b // 3), replace=False)
    which = rng.choice(inspected, N_INSPECTIONS)
    spots = shapely.point_on_surface(buildings.geometry.values[which])
    dates = _timestamps(rng, N_INSPECTIONS, start="2024-01-01", days=730, hours=(8, 16))
    outcome = rng.choice(OUTCOMES, N_INSPECTIONS, p=OUTCOME_WEIGHTS)
    sort = np.argsort(dates.values, kind="stable")
    return _frame({"inspection_id": np.arange(1, N_INSPECTIONS + 1, dtype="int64"),
                   "building_osm_id": buildings["osm_id"].to_numpy()[which][sort],
                   "date": dates[sort], "outcome": outcome[sort].astype(object)}, spots[sort])


def facilities_layer(real_points, real_names, minimum, extent, rng, capacity):
    """OSM facilities where there are some, synthetic ones (source='synthetic') up to ``minimum``."""
    import shapely

    n_real = len(real_points)
    n_synth = max(0, minimum - n_real)
    x0, y0, x1, y1 = extent
    synth = shapely.points(np.column_stack([rng.uniform(x0 + 100, x1 - 100, n_synth),
                                            rng.uniform(y0 + 100, y1 - 100, n_synth)]))
    geoms = np.concatenate([np.asarray(real_points, dtype=object), synth])
    n = len(geoms)
    names = list(real_names) + [None] * n_synth
    names = [nm if isinstance(nm, str) and nm else f"Synthetic {i + 1:02d}" for i, nm in enumerate(names)]
    return _frame({"facility_id": np.arange(1, n + 1, dtype="int64"), "name": np.array(names, dtype=object),
                   "capacity": capacity(n).astype("int64"),
                   "source": np.array(["osm"] * n_real + ["synthetic"] * n_synth, dtype=object)}, geoms)


def gps_points_layer():
    """Synthetic GPS points of lorries (mode 'hgv') and cyclists (mode 'cycle') that follow
    real streets: seeded tracks on known routes with 10 m noise, a point every 5 s
    (benchmarks/gen_tracks.py, the map-matching tests' generator)."""
    import pandas as pd

    sys.path.insert(0, str(REPO / "benchmarks"))
    from common import plugin_importable  # joinedup.engine via .build/plugins, never the repo root

    plugin_importable()
    from gen_tracks import drive_graph, generate_tracks

    _, graph = drive_graph(OSM)
    parts = []
    for mode, n_tracks, speed_ms, seed, hour in (("hgv", 24, 8.0, 11, 7), ("cycle", 36, 4.5, 12, 8)):
        points, _ = generate_tracks(graph, n_tracks=n_tracks, n_points=60, sigma_m=10.0, interval_s=5.0,
                                    speed_ms=speed_ms, seed=seed, mode=mode,
                                    start_time=f"2025-05-06T{hour:02d}:00:00", crs="EPSG:3067")
        points["track_id"] = [f"{mode}-{t}" for t in points["track_id"]]
        parts.append(points)
    return pd.concat(parts, ignore_index=True)[["track_id", "time", "mode", "geometry"]]


def collisions_layer(roads, rng):
    """Synthetic road collisions: points on random road segments, weighted by length."""
    import shapely

    lines = roads.geometry.values
    lengths = shapely.length(lines)
    pick = rng.choice(len(lines), size=120, p=lengths / lengths.sum())
    at = shapely.line_interpolate_point(lines[pick], rng.uniform(0, 1, 120), normalized=True)
    dates = _timestamps(rng, 120)
    return _frame({"collision_id": np.arange(1, 121), "date": dates,
                   "involves": rng.choice(["hgv+cycle", "car+cycle", "hgv+car", "car+pedestrian"], 120),
                   "severity": rng.choice([1, 2, 3], 120, p=[0.7, 0.25, 0.05])}, at)


def build(out: Path) -> dict:
    import pandas as pd
    import pyogrio
    import shapely

    rng = np.random.default_rng(SEED)
    roads = roads_layer()
    buildings, bstats = buildings_layer()
    amenities = amenities_layer()
    x0, y0, x1, y1 = roads.total_bounds
    extent = (np.floor(x0 / 10) * 10, np.floor(y0 / 10) * 10, np.ceil(x1 / 10) * 10, np.ceil(y1 / 10) * 10)
    zones = zones_layer(extent, roads, buildings, rng)
    incidents = incidents_layer(extent, roads, rng)
    inspections = inspections_layer(buildings, rng)

    clinic_kinds = {"clinic", "doctors", "dentist", "hospital"}
    is_clinic = amenities["amenity"].isin(clinic_kinds).to_numpy()
    clinics = facilities_layer(amenities.geometry.values[is_clinic], amenities["name"].to_numpy()[is_clinic],
                               MIN_CLINICS, extent, rng, lambda n: rng.integers(20, 120, n))
    polys = _read_osm("multipolygons")
    school_polys = polys[polys["amenity"] == "school"]
    is_school = (amenities["amenity"] == "school").to_numpy()
    school_pts = np.concatenate([amenities.geometry.values[is_school],
                                 shapely.point_on_surface(_polygonal(school_polys.geometry.values))])
    school_names = np.concatenate([amenities["name"].to_numpy()[is_school], school_polys["name"].to_numpy()])
    ok = ~shapely.is_missing(school_pts)
    schools = facilities_layer(school_pts[ok], school_names[ok], MIN_SCHOOLS, extent, rng,
                               lambda n: rng.integers(150, 900, n))
    gps_points = gps_points_layer()
    collisions = collisions_layer(roads, rng)
    layers = {"roads": roads, "buildings": buildings, "amenities": amenities, "zones": zones,
              "incidents": incidents, "inspections": inspections, "clinics": clinics, "schools": schools,
              "gps_points": gps_points, "collisions": collisions}

    out.parent.mkdir(parents=True, exist_ok=True)
    # A fixed timestamp in gpkg_contents makes the file byte-identical run after run.
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2026-01-01T00:00:00Z"})
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        tmp_path = Path(tmp) / out.name
        for name, gdf in layers.items():
            promote = name in ("buildings",)
            pyogrio.write_dataframe(gdf, tmp_path, layer=name, driver="GPKG", promote_to_multi=promote,
                                    layer_options={"SPATIAL_INDEX": "YES"},
                                    # GeoPackage 1.2: what QGIS 3.40 on GDAL 3.6 reads without a warning
                                    dataset_options={"VERSION": "1.2"})
        changed = not (out.exists() and filecmp.cmp(tmp_path, out, shallow=False))
        if changed:
            os.replace(tmp_path, out)
    counts = {name: len(gdf) for name, gdf in layers.items()}
    return {"counts": counts, "buildings": bstats, "changed": changed, "size_mb": out.stat().st_size / 2**20,
            "extent": extent, "population": int(pd.Series(zones["population"]).sum())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not OSM.exists():
        print(f"make_sample: the OpenStreetMap extract {OSM} is missing", file=sys.stderr)
        return 1
    info = build(args.out)
    for name, n in info["counts"].items():
        print(f"  {name:12s} {n:6d} features")
    b = info["buildings"]
    print(f"  buildings: {b['read']} read, {b['repaired']} invalid repaired, {b['dropped']} unusable left out")
    print(f"{args.out} {'written' if info['changed'] else 'unchanged'} ({info['size_mb']:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
