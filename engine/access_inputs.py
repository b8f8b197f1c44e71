"""From layers to cost matrices for the service-demand analyses: demand units as routable
points (a zone's centroid, or address points aggregated back to their zone), their demand
weights, and the network cost from every demand point to every facility.

Every demand feature is accounted for: ``DemandUnits.status`` says per feature whether it was
used, and why not (no geometry, null demand, no address point ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# The result tables moved to access_tables; re-exported so existing imports keep working.
from .access_tables import (  # noqa: F401
    accessibility_table,
    allocation_tables,
    coverage_tables,
    feature_status,
    per_feature,
)
from .errors import InputError, as_feedback
from .values import parse_numbers


@dataclass
class DemandUnits:
    """Routable demand points and how they map back to the demand features.

    ``points``: shapely points (in ``crs``); ``point_demand``: weight of each point;
    ``point_feature``: the demand feature (row) each point belongs to; ``feature_demand``:
    demand per feature (0 for a feature left out); ``status`` per feature ('ok', 'no geometry',
    'null demand' ...); ``n_points`` per feature; ``notes`` for the log."""
    points: np.ndarray
    point_demand: np.ndarray
    point_feature: np.ndarray
    feature_demand: np.ndarray
    status: np.ndarray
    n_points: np.ndarray
    crs: object
    notes: list = field(default_factory=list)
    points_source: str = "features"

    @property
    def n_features(self) -> int:
        return len(self.feature_demand)


def _numeric(gdf, field_name, what):
    if field_name not in gdf.columns:
        raise InputError(f"Field {field_name!r} is not in {what}; choose one of its numeric fields.")
    return parse_numbers(gdf[field_name], field=field_name, layer=what)


def demand_units(demand, *, demand_field=None, points=None, point_weight_field=None,
                 feedback=None) -> DemandUnits:
    """Demand features (points or polygons) → routable demand points.

    - ``demand_field``: numeric demand per feature (population, pupils ...); None = 1 each.
      Null values count as 0 (logged); negative values are an error (named, with a count).
    - Points: each point feature is its own demand point. Polygons (zones): their centroid,
      unless ``points`` (e.g. address points) are given: then each point inside a zone carries
      ``point_weight_field`` (if given) or an equal share of its zone's demand, and a zone with
      no point falls back to its centroid (logged). Points in no zone are left out (logged).
    - Features with no geometry are kept in the status as 'no geometry' (never routed).
    """
    import shapely

    fb = as_feedback(feedback)
    name = demand.attrs.get("source_name", "The demand layer")
    n = len(demand)
    if n == 0:
        raise InputError(f"{name} is empty: there is no demand to analyse.")
    for layer, what in ((demand, name), (points, points is not None and points.attrs.get("source_name"))):
        if layer is not None and layer.crs is None:
            raise InputError(f"{what} has no coordinate reference system, and the network distances "
                             "from its features need map units. Set the layer's CRS (Layer Properties "
                             "> Source), then run again.")
    notes = []
    status = np.full(n, "ok", dtype=object)
    if demand_field:
        value = _numeric(demand, demand_field, name)
        null = np.isnan(value)
        if (value < 0).any():
            raise InputError(f"{name}: {int((value < 0).sum())} features have a negative "
                             f"{demand_field!r}; demand must be zero or more.")
        if null.any():
            notes.append(f"{name}: {int(null.sum())} features have a null {demand_field!r}: counted as 0.")
            status[null] = "null demand (counted as 0)"
        value = np.where(null, 0.0, value)
        zero = int(((value == 0) & ~null).sum())
        if zero:
            notes.append(f"{name}: {zero} features have zero demand: they are analysed but weigh nothing.")
    else:
        value = np.ones(n)
    geoms = np.asarray(demand.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    status[missing] = "no geometry"
    if missing.any():
        notes.append(f"{name}: {int(missing.sum())} features have no geometry: not routed, kept in the "
                     "output with null results.")
    kinds = set(shapely.get_type_id(geoms[~missing]).tolist())
    polygons = bool(kinds & {3, 6})
    if kinds - {0, 4, 3, 6}:
        raise InputError(f"{name} must hold points or polygons (zones).")
    feature_demand = value  # a feature with no geometry keeps its demand: it counts as unserved
    n_points = np.where(missing, 0, 1).astype(np.int64)
    if not polygons or points is None:
        have = np.flatnonzero(~missing)
        pts = shapely.centroid(geoms[have]) if polygons else _first_points(geoms[have])
        if polygons:
            notes.append(f"{name}: each zone is routed from its centroid.")
        return DemandUnits(points=pts, point_demand=feature_demand[have], point_feature=have,
                           feature_demand=feature_demand, status=status, n_points=n_points,
                           crs=demand.crs, notes=_log(fb, notes),
                           points_source="centroids" if polygons else "features")
    # zones with address points
    pname = points.attrs.get("source_name", "The demand points layer")
    if points.crs is not None and demand.crs is not None and not points.crs.equals(demand.crs):
        points = points.to_crs(demand.crs)
    pgeoms = np.asarray(points.geometry.values, dtype=object)
    pmissing = shapely.is_missing(pgeoms) | shapely.is_empty(pgeoms)
    pgeoms = np.where(pmissing, None, pgeoms)
    if point_weight_field:
        pw = _numeric(points, point_weight_field, pname)
        if (pw < 0).any():
            raise InputError(f"{pname}: {int((pw < 0).sum())} points have a negative "
                             f"{point_weight_field!r}; weights must be zero or more.")
        pnull = np.isnan(pw)
        if pnull.any():
            notes.append(f"{pname}: {int(pnull.sum())} points have a null {point_weight_field!r}: counted as 0.")
        pw = np.where(pnull, 0.0, pw)
    else:
        pw = None
    have_p = np.flatnonzero(~pmissing)
    pts = _first_points(pgeoms[have_p])
    tree = shapely.STRtree(np.where(missing, None, geoms))
    qi, zi = tree.query(pts, predicate="intersects")
    zone = np.full(len(have_p), -1, dtype=np.int64)
    first = np.unique(qi, return_index=True)[1]  # a point on a shared border: the first zone
    zone[qi[first]] = zi[first]
    outside = int((zone < 0).sum())
    if pmissing.any():
        notes.append(f"{pname}: {int(pmissing.sum())} points have no geometry: left out.")
    if outside:
        notes.append(f"{pname}: {outside} points fall in no zone: left out.")
    inz = zone >= 0
    counts = np.bincount(zone[inz], minlength=n).astype(np.int64)
    if pw is None:
        share = np.divide(feature_demand, counts, out=np.zeros(n), where=counts > 0)
        weight = share[zone[inz]]
    else:
        weight = pw[have_p][inz]
        # a zone's demand is the sum of its points' weights when weights are given
        feature_demand = np.where(counts > 0, np.bincount(zone[inz], weights=weight, minlength=n),
                                  feature_demand)
    empty = np.flatnonzero((counts == 0) & ~missing)
    if len(empty):
        notes.append(f"{name}: {len(empty)} zones hold no demand point: routed from their centroid.")
    all_pts = np.concatenate([pts[inz], shapely.centroid(geoms[empty])])
    all_w = np.concatenate([weight, feature_demand[empty]])
    all_f = np.concatenate([zone[inz], empty])
    n_points = np.where(counts > 0, counts, n_points)
    notes.append(f"{name}: {int(inz.sum())} demand points from {pname} in "
                 f"{int((counts > 0).sum())} zones" + (f" (weights from {point_weight_field!r})"
                                                      if point_weight_field else
                                                      " (each zone's demand shared equally among its points)") + ".")
    return DemandUnits(points=all_pts, point_demand=all_w, point_feature=all_f.astype(np.int64),
                       feature_demand=feature_demand, status=status, n_points=n_points,
                       crs=demand.crs, notes=_log(fb, notes), points_source="points")


def _first_points(geoms):
    """Points as they are; a multipoint by its first point (exports often wrap points)."""
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    multi = shapely.get_type_id(geoms) != 0
    if multi.any():
        geoms = geoms.copy()
        geoms[multi] = shapely.points(np.array([shapely.get_coordinates(g)[0] for g in geoms[multi]]))
    return geoms


def _log(fb, notes):
    for note in notes:
        fb.log(note)
    return notes


def supply_values(facilities, field_name=None, *, what="Supply"):
    """Supply/capacity per facility from a numeric field (None = 1 each). Null = 0 (noted)."""
    n = len(facilities)
    if not field_name:
        return np.ones(n), []
    name = facilities.attrs.get("source_name", "The facilities layer")
    values = _numeric(facilities, field_name, name)
    if (values < 0).any():
        raise InputError(f"{name}: {int((values < 0).sum())} features have a negative {field_name!r}; "
                         f"{what.lower()} must be zero or more.")
    notes = []
    if np.isnan(values).any():
        notes.append(f"{name}: {int(np.isnan(values).sum())} features have a null {field_name!r}: counted as 0.")
    return np.where(np.isnan(values), 0.0, values), notes


@dataclass
class Costs:
    """A demand × facility cost matrix (engine units: metres or seconds; inf = unreachable)
    with the snapping of both sides."""
    cost: np.ndarray
    demand_snap_m: np.ndarray   # NaN = no geometry
    facility_snap_m: np.ndarray
    demand_on_network: np.ndarray
    facility_on_network: np.ndarray


def network_costs(net, demand_points, facilities, *, weight="length", max_snap_m=None,
                  access_speed_kmh=None, max_cost=None, feedback=None) -> Costs:
    """Network cost from every demand point to every facility (``net.cost_matrix``; both are
    GeoSeries/GeoDataFrames, reprojected to the network's CRS), with the walk to and from the
    network added when ``access_speed_kmh`` is given. Points farther than ``max_snap_m`` from
    the network, or with no geometry, get inf (unreachable)."""
    from .network import access_cost

    so = net.snap(demand_points, max_snap_m=max_snap_m)
    sd = net.snap(facilities, max_snap_m=max_snap_m)
    cost = net.cost_matrix(so, sd, weight=weight, feedback=feedback)
    if access_speed_kmh:
        cost = cost + access_cost(so, weight=weight, access_speed_kmh=access_speed_kmh)[:, None] \
            + access_cost(sd, weight=weight, access_speed_kmh=access_speed_kmh)[None, :]
        cost = np.where(np.isnan(cost), np.inf, cost)
    if max_cost is not None:
        cost = np.where(cost <= max_cost, cost, np.inf)
    return Costs(cost=cost, demand_snap_m=so.snap_dist_m, facility_snap_m=sd.snap_dist_m,
                 demand_on_network=so.on_network, facility_on_network=sd.on_network)
