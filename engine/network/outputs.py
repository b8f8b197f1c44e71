"""The tables the network algorithms write, built whole in the engine so they can be used and
tested without QGIS: every input point appears once (with a reason when it has no result),
straight lines where no route is drawn, and the facility limits of a service area.

Costs stay in engine units (metres or seconds); the Processing side converts to the user's
unit and adds the id columns."""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .model import Network
from .snapping import Snap
from .tables import closest_facilities, route_table, unreachable_reasons

PAIRINGS = ("by_id", "nearest")
FACILITY_DIRECTIONS = ("to_facility", "from_facility")


def point_xy(points, crs) -> np.ndarray:
    """(n, 2) coordinates of each point in ``crs`` (the centroid of any other shape), NaN where a
    feature has no geometry."""
    import shapely

    g = points.to_crs(crs) if points.crs is not None and not points.crs.equals(crs) else points
    out = np.full((len(g), 2), np.nan)
    geoms = np.asarray(g.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():
        out[ok] = shapely.get_coordinates(shapely.centroid(geoms[ok]))
    return out


def straight_lines(a_xy: np.ndarray, b_xy: np.ndarray) -> np.ndarray:
    """Lines a[i] → b[i] as an object array; None where either end has no coordinates."""
    import shapely

    a_xy = np.asarray(a_xy, float).reshape(-1, 2)
    b_xy = np.asarray(b_xy, float).reshape(-1, 2)
    ok = np.isfinite(a_xy).all(axis=1) & np.isfinite(b_xy).all(axis=1)
    geoms = np.full(len(a_xy), None, dtype=object)
    if ok.any():
        geoms[ok] = shapely.linestrings(np.stack([a_xy[ok], b_xy[ok]], axis=1))
    return geoms


def od_lines(table, origin_xy: np.ndarray, destination_xy: np.ndarray, crs):
    """An OD table (``origin_row``, ``destination_row``; -1 = none) as straight lines."""
    import geopandas as gpd

    oi = table["origin_row"].to_numpy(np.int64)
    dj = table["destination_row"].to_numpy(np.int64)
    a = origin_xy[oi]
    b = np.full((len(dj), 2), np.nan)
    if len(destination_xy):
        b[dj >= 0] = destination_xy[dj[dj >= 0]]
    return gpd.GeoDataFrame(table, geometry=list(straight_lines(a, b)), crs=crs)


def _text_key(value):
    """Ids compare as text so 7, 7.0 and '7' match across layers."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def paired_routes(net: Network, o: Snap, d: Snap, origin_xy, destination_xy, *, pairing: str = "by_id",
                  origin_ids=None, destination_ids=None, weight: str = "length", access_speed_kmh=None,
                  feedback=None):
    """One route per origin: to the destination with the same id (``pairing='by_id'``; ids
    compared as text) or to its nearest destination by network cost (``'nearest'``). Returns a
    GeoDataFrame like :func:`route_table` with every origin once, sorted by ``origin_row``; an
    origin without a destination has ``destination_row`` -1 and a reason."""
    import geopandas as gpd
    import pandas as pd

    from ..errors import as_feedback

    if pairing not in PAIRINGS:
        raise InputError(f"Unknown pairing {pairing!r}; use one of {', '.join(PAIRINGS)}.")
    fb = as_feedback(feedback)
    n_o = len(o)
    extra_reason = np.full(n_o, None, dtype=object)
    if pairing == "by_id":
        if origin_ids is None or destination_ids is None:
            raise InputError("Match by id needs both the origin and the destination id field.")
        first: dict = {}
        for j, v in enumerate(destination_ids):  # one dict entry per destination
            first.setdefault(_text_key(v), j)
        dj = np.array([first.get(_text_key(v), -1) for v in origin_ids], dtype=np.int64)
        extra_reason[dj < 0] = "no destination with this id"
        route_fb = fb.sub(0.0, 1.0)
    else:
        r, c, _, _ = closest_facilities(net, o, d, k=1, weight=weight, access_speed_kmh=access_speed_kmh,
                                        feedback=fb.sub(0.0, 0.4))
        dj = np.full(n_o, -1, np.int64)
        dj[r] = c
        comp = net.edges["component"].to_numpy()
        for i in np.flatnonzero(dj < 0):  # only origins without any reachable destination
            extra_reason[i] = (f"origin not on network ({o.snap_dist_m[i]:.0f} m away)" if o.edge[i] < 0 and
                               np.isfinite(o.snap_dist_m[i]) else "origin has no geometry" if o.edge[i] < 0
                               else f"no reachable destination (origin in network part {comp[o.edge[i]]})")
        route_fb = fb.sub(0.4, 1.0)
    routed = np.flatnonzero(dj >= 0)
    table = route_table(net, o, d, np.column_stack([routed, dj[routed]]), weight=weight,
                        access_speed_kmh=access_speed_kmh, origin_xy=origin_xy, destination_xy=destination_xy,
                        feedback=route_fb)
    missing = np.flatnonzero(dj < 0)
    rest = gpd.GeoDataFrame({"origin_row": missing, "destination_row": np.full(len(missing), -1),
                             "cost": np.nan, "length_m": np.nan, "time_s": np.nan,
                             "origin_snap_m": o.snap_dist_m[missing], "destination_snap_m": np.nan,
                             "reason": extra_reason[missing]}, geometry=[None] * len(missing), crs=table.crs)
    out = pd.concat([table, rest], ignore_index=True) if len(rest) else table
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=table.crs)
    return out.sort_values("origin_row", kind="stable").reset_index(drop=True)


def closest_facility_table(net: Network, incidents: Snap, facilities: Snap, incident_xy, facility_xy, *,
                           k: int = 1, direction: str = "to_facility", weight: str = "length", max_cost=None,
                           access_speed_kmh=None, routes: bool = True, feedback=None):
    """Each incident's ``k`` nearest facilities, as a GeoDataFrame (``incident_row,
    facility_row, rank, cost, length_m, time_s, incident_snap_m, facility_snap_m, reason``)
    with the network route (``routes``) or a straight line; an incident with no facility
    within reach gets one row with ``facility_row`` -1, rank 0 and the reason. Sorted by
    incident and rank. ``direction``: 'to_facility' or 'from_facility'."""
    import geopandas as gpd
    import pandas as pd

    from ..errors import as_feedback

    if direction not in FACILITY_DIRECTIONS:
        raise InputError(f"Unknown direction {direction!r}; use one of {', '.join(FACILITY_DIRECTIONS)}.")
    fb = as_feedback(feedback)
    to_facility = direction == "to_facility"
    r, c, rank, _ = closest_facilities(net, incidents, facilities, k=k, to_facility=to_facility, weight=weight,
                                       max_cost=max_cost, access_speed_kmh=access_speed_kmh,
                                       feedback=fb.sub(0.0, 0.55))
    if to_facility:
        table = route_table(net, incidents, facilities, np.column_stack([r, c]), weight=weight,
                            access_speed_kmh=access_speed_kmh, origin_xy=incident_xy, destination_xy=facility_xy,
                            feedback=fb.sub(0.55, 1.0))
    else:
        table = route_table(net, facilities, incidents, np.column_stack([c, r]), weight=weight,
                            access_speed_kmh=access_speed_kmh, origin_xy=facility_xy, destination_xy=incident_xy,
                            feedback=fb.sub(0.55, 1.0))
        table = table.rename(columns={"origin_row": "destination_row", "destination_row": "origin_row",
                                      "origin_snap_m": "destination_snap_m", "destination_snap_m": "origin_snap_m"})
    table = table.rename(columns={"origin_row": "incident_row", "destination_row": "facility_row",
                                  "origin_snap_m": "incident_snap_m", "destination_snap_m": "facility_snap_m"})
    table.insert(2, "rank", rank)
    if not routes and len(table):
        table["geometry"] = straight_lines(incident_xy[table["incident_row"].to_numpy()],
                                           facility_xy[table["facility_row"].to_numpy()])
    missing = np.setdiff1d(np.arange(len(incidents)), r)
    if len(missing):
        why = np.full(len(missing), "no facility within reach" if max_cost is None else
                      "no facility within the maximum cost", dtype=object)
        off = incidents.edge[missing] < 0
        if off.any():
            why[off] = unreachable_reasons(net, incidents, incidents, missing[off], missing[off])
        rest = gpd.GeoDataFrame({"incident_row": missing, "facility_row": -1, "rank": 0,
                                 "cost": np.nan, "length_m": np.nan, "time_s": np.nan,
                                 "incident_snap_m": incidents.snap_dist_m[missing], "facility_snap_m": np.nan,
                                 "reason": why}, geometry=[None] * len(missing), crs=net.crs)
        table = gpd.GeoDataFrame(pd.concat([table, rest], ignore_index=True), geometry="geometry", crs=net.crs)
    return table.sort_values(["incident_row", "rank"], kind="stable").reset_index(drop=True)


def facility_limits(values) -> tuple:
    """Each facility's own cost limit from a field's values: ``(limits, skipped)`` with NaN
    (skipped) where the value is null, not a number, zero or negative."""
    import pandas as pd

    raw = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
    bad = ~(raw > 0)
    return np.where(bad, np.nan, raw), int(bad.sum())


def parse_bands(text) -> list:
    """'5, 10,15' → [5.0, 10.0, 15.0]; raises ``InputError`` unless every band is a positive number."""
    try:
        bands = [float(b) for b in str(text or "").split(",") if b.strip()]
    except ValueError as exc:
        raise InputError("Cost bands must be numbers separated by commas, e.g. '5,10,15'.") from exc
    if not bands or min(bands) <= 0:
        raise InputError("Give at least one positive cost band, e.g. '5,10,15'.")
    return bands


def no_polygons(crs):
    """The empty polygon table :func:`service_areas` would give, for when polygons were not asked for."""
    import geopandas as gpd

    return gpd.GeoDataFrame({"facility": np.zeros(0, np.int64), "band": np.zeros(0)}, geometry=[], crs=crs)
