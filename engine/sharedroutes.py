"""Where two kinds of traffic share the street (e.g. heavy goods vehicles and cycles): an
exposure score per segment, the top N segments, and collisions per segment and per million
passages, so an evidence map shows risk and not only volume.

Exposure choices (``method``):
- ``product``: ``a × b`` -- the number of potential meetings of an A and a B passage on each
  kilometre of the street (meetings on a stretch grow with a·b and with its length, so a·b is
  the rate per km). High only where both flows are high. Default.
- ``minimum``: ``min(a, b)`` -- the passages of the scarcer mode that meet the other at all;
  less dominated by one very busy mode.
- ``geometric``: ``sqrt(a × b)`` -- the product on the scale of a flow (passages), easier to
  read beside the counts.
Each segment also gets ``exposure_total = exposure × length_km`` (the exposure the whole
segment carries); the top N are ranked by ``exposure_total``, so a long shared street ranks
above a few metres of it, and a zero exposure is never in the top N.
"""
from __future__ import annotations

import numpy as np

from .errors import InputError

METHODS = ("product", "minimum", "geometric")


def exposure(a, b, method: str = "product") -> np.ndarray:
    a = np.nan_to_num(np.asarray(a, float), nan=0.0)
    b = np.nan_to_num(np.asarray(b, float), nan=0.0)
    if (a < 0).any() or (b < 0).any():
        raise InputError("Flows must not be negative.")
    if method == "product":
        return a * b
    if method == "minimum":
        return np.minimum(a, b)
    if method == "geometric":
        return np.sqrt(a * b)
    raise InputError(f"Unknown exposure method {method!r}; use one of {', '.join(METHODS)}.")


def shared_routes(segments, *, field_a: str, field_b: str, method: str = "product",
                  top_n: int = 20, collisions=None, max_collision_distance_m: float = 25.0):
    """Score each line segment of ``segments`` (projected CRS, metres) by exposure of the
    flows in ``field_a`` and ``field_b``.

    Returns ``(segments_out, collisions_status, notes)``. ``segments_out`` adds ``flow_a``,
    ``flow_b``, ``length_km``, ``exposure``, ``exposure_total``, ``rank`` (1 = highest
    ``exposure_total``; null for a zero exposure), ``top`` (rank <= top_n), and with
    ``collisions`` ``collisions`` and ``collisions_per_million`` (collisions per million
    passages of A and B together; null where there are no passages). ``collisions_status``:
    per collision point 'counted', 'no geometry' or 'farther than N m from any segment'.

    Raises:
        InputError: missing or non-numeric flow fields, unknown method, negative flows.
    """
    import pandas as pd
    import shapely

    for f in (field_a, field_b):
        if f not in segments.columns:
            raise InputError(f"The flow layer has no field '{f}'. Fields: "
                             f"{', '.join(str(c) for c in segments.columns if c != segments.geometry.name)}.")
    a = pd.to_numeric(segments[field_a], errors="coerce")
    b = pd.to_numeric(segments[field_b], errors="coerce")
    for f, s in ((field_a, a), (field_b, b)):
        if s.isna().all() and segments[f].notna().any():
            raise InputError(f"The field '{f}' holds no numbers; choose a flow count field.")
    notes = []
    nulls = int(a.isna().sum() + b.isna().sum())
    if nulls:
        notes.append(f"{nulls} null flow values taken as 0.")
    out = segments.copy()
    out["flow_a"] = a.fillna(0).to_numpy(float)
    out["flow_b"] = b.fillna(0).to_numpy(float)
    geoms = np.asarray(out.geometry.values, dtype=object)
    length_km = np.nan_to_num(shapely.length(geoms)) / 1000.0
    out["length_km"] = length_km
    score = exposure(out["flow_a"], out["flow_b"], method)
    out["exposure"] = score
    out["exposure_total"] = score * length_km
    order = np.lexsort((np.arange(len(out)), -out["exposure_total"].to_numpy()))
    rank = np.empty(len(out))
    rank[order] = np.arange(1, len(out) + 1)
    positive = out["exposure_total"].to_numpy() > 0
    out["rank"] = pd.array(np.where(positive, rank, np.nan), dtype="Int64")
    out["top"] = positive & (rank <= top_n)
    status = None
    if collisions is not None:
        cgeo = np.asarray(collisions.geometry.values, dtype=object)
        missing = shapely.is_missing(cgeo) | shapely.is_empty(cgeo)
        status = np.full(len(cgeo), "counted", dtype=object)
        status[missing] = "no geometry"
        counts = np.zeros(len(out), np.int64)
        have = np.flatnonzero(~missing)
        if len(have) and len(out):
            tree = shapely.STRtree(geoms)
            (qi, ti), d = tree.query_nearest(cgeo[have], max_distance=max_collision_distance_m,
                                             return_distance=True, all_matches=False)
            qi_u, first = np.unique(qi, return_index=True)
            np.add.at(counts, ti[first], 1)
            far = np.ones(len(have), bool)
            far[qi_u] = False
            status[have[far]] = f"farther than {max_collision_distance_m:g} m from any segment"
        else:
            status[have] = f"farther than {max_collision_distance_m:g} m from any segment"
        out["collisions"] = counts
        passages = out["flow_a"].to_numpy() + out["flow_b"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(passages > 0, counts / passages * 1e6, np.nan)
        out["collisions_per_million"] = rate
    return out, status, notes


def shared_routes_of_layers(segments, collisions=None, *, name: str = "The flow layer", **options):
    """:func:`shared_routes` on layers as read, in any CRS: ``segments`` are measured in ground
    metres (invalid geometries repaired, null ones kept with a null score), ``collisions`` moved
    into the same CRS. ``options``: :func:`shared_routes`'s field_a, field_b, method, top_n,
    max_collision_distance_m. Returns ``(segments_out, log)``: ``log`` the lines for the user,
    in order (CRS notes, geometry report, the engine's notes, collisions per status)."""
    import geopandas as gpd

    from .crs import ensure_projected
    from .geometry import clean_geometries

    if len(segments) == 0:
        raise InputError(f"{name} is empty.")
    log = []
    segments, crs, note = ensure_projected(segments, what=segments.attrs.get("source_name"))
    if note:
        log.append(note)
    usable, mask, geometry_report = clean_geometries(segments, "repair")
    log.append(geometry_report.describe(segments.attrs.get("source_name", "segments")))
    if collisions is not None:
        collisions, _, collision_note = ensure_projected(collisions, target=crs,
                                                         what=collisions.attrs.get("source_name"))
        if collision_note:
            log.append(collision_note)
    geoms = np.full(len(segments), None, dtype=object)
    geoms[mask] = np.asarray(usable.geometry.values, dtype=object)
    segments = segments.set_geometry(gpd.GeoSeries(geoms, crs=crs, index=segments.index))
    out, status, notes = shared_routes(segments, collisions=collisions, **options)
    log.extend(notes)
    if status is not None:
        values, counts = np.unique(status.astype(str), return_counts=True)
        log.append("Collisions: " + ", ".join(f"{c} {v}" for v, c in zip(values, counts, strict=True)))
    return out, log
