"""From layers to cost matrices for the service-demand analyses: demand units as routable
points (a zone's centroid, or address points aggregated back to their zone), their demand
weights, and the network cost from every demand point to every facility.

Every demand feature is accounted for: ``DemandUnits.status`` says per feature whether it was
used, and why not (no geometry, null demand, no address point ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
    from .network_tools import access_cost

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


# --- per-feature results -------------------------------------------------------------------
def _point_weights(units: DemandUnits) -> np.ndarray:
    """Weights for averaging a feature's points: their demand, or equal weights for a feature
    whose points all have zero demand (so its mean is still defined)."""
    total = np.bincount(units.point_feature, weights=units.point_demand, minlength=units.n_features)
    return np.where(total[units.point_feature] > 0, units.point_demand, 1.0)


def per_feature(units: DemandUnits, values, how: str = "mean") -> np.ndarray:
    """Per-point values → per demand feature (demand-weighted mean, or sum). A feature with no
    usable point value gets NaN."""
    from .accessibility import aggregate_to_zones

    out, _ = aggregate_to_zones(values, units.point_feature, units.n_features,
                                weights=_point_weights(units), how=how)
    return out


def accessibility_table(units: DemandUnits, cost, *, supply, facility_ids, thresholds=(),
                        decay_function="exponential", decay_parameter=None, catchment=None,
                        bands=None, band_weights=None, unit="m"):
    """Every accessibility measure per demand feature, as a dict of column → array (NaN where
    not defined). ``cost`` is points × facilities in the user's unit ``unit``; thresholds,
    catchment, bands and the decay parameter are in that unit too."""
    import scipy.sparse as sp

    from . import accessibility as A

    c = A.as_cost_matrix(cost)
    n_f = units.n_features
    near, idx = A.nearest(c)
    cols = {}
    cols["nearest_cost"] = per_feature(units, near)
    # the facility nearest to most of the feature's demand
    ok = idx >= 0
    ids = np.full(n_f, None, dtype=object)
    if ok.any() and c.shape[1]:
        m = sp.csr_matrix((_point_weights(units)[ok] + 1e-12, (units.point_feature[ok], idx[ok])),
                          shape=(n_f, c.shape[1]))
        best = np.asarray(m.argmax(axis=1)).ravel()
        has = np.asarray(m.sum(axis=1)).ravel() > 0
        ids[has] = np.asarray(facility_ids, dtype=object)[best[has]]
    cols["nearest_id"] = ids
    counts = A.cumulative_opportunities(c, thresholds)
    for k, t in enumerate(thresholds):
        values = per_feature(units, counts[:, k])
        if units.points_source != "points":  # one point per feature: a whole count
            import pandas as pd

            values = pd.array(np.where(np.isnan(values), 0, values).astype(np.int64), dtype="Int64")
            values[np.isnan(per_feature(units, counts[:, k]))] = pd.NA
        cols[f"within_{t:g}{unit}".replace(".", "_")] = values
    if decay_parameter is not None:
        cols["gravity"] = per_feature(units, A.gravity(c, supply=supply, function=decay_function,
                                                       parameter=decay_parameter))
    fca = None
    if bands:
        fca = A.two_step_fca(c, demand=units.point_demand, supply=supply, bands=bands,
                             band_weights_=band_weights)
    elif catchment:
        fca = A.two_step_fca(c, demand=units.point_demand, supply=supply, catchment=catchment)
    if fca is not None:
        cols["fca_per_1000"] = per_feature(units, fca.score)
    reach = np.isfinite(near)
    cols["reachable_share"] = per_feature(units, reach.astype(float))
    return cols, fca, near


def feature_status(units: DemandUnits, costs: "Costs", near) -> np.ndarray:
    """Status per demand feature: 'ok', 'no geometry', 'not on network', 'no facility
    reachable', 'partly unreachable' (some of its address points reach nothing) ..."""
    status = units.status.copy()
    n_f = units.n_features
    off = np.bincount(units.point_feature, weights=(~costs.demand_on_network).astype(float), minlength=n_f)
    unreach = np.bincount(units.point_feature, weights=(~np.isfinite(near)).astype(float), minlength=n_f)
    npts = np.bincount(units.point_feature, minlength=n_f)
    has = npts > 0
    ok = status == "ok"
    status[ok & has & (off == npts)] = "not on network"
    rest = ok & has & (off < npts)
    status[rest & (unreach == npts)] = "no facility reachable"
    status[rest & (unreach > 0) & (unreach < npts)] = "partly unreachable"
    return status


def coverage_tables(units: DemandUnits, cost, costs: "Costs", *, threshold: float, unit: str = "m"):
    """Coverage within ``threshold`` (user unit, inclusive): per-feature columns, the uncovered
    demand points (dict of columns with a 'geometry' entry) and a one-row summary dict."""
    from .accessibility import coverage

    cov = coverage(cost, demand=units.point_demand, threshold=threshold)
    n_f = units.n_features
    f = units.point_feature
    w = units.point_demand
    covered = np.bincount(f, weights=np.where(cov.covered, w, 0.0), minlength=n_f)
    uncovered = units.feature_demand - covered
    uncovered = np.where(np.abs(uncovered) < 1e-9 * np.maximum(1.0, units.feature_demand), 0.0, uncovered)
    share = np.divide(uncovered, units.feature_demand, out=np.full(n_f, np.nan),
                      where=units.feature_demand > 0)
    no_geom = units.status == "no geometry"
    share[no_geom] = np.nan
    status = feature_status(units, costs, cov.nearest_cost)
    near = per_feature(units, cov.nearest_cost)
    per = {"demand": units.feature_demand, "covered_demand": covered, "uncovered_demand": uncovered,
           "uncovered_share": share, "nearest_cost": np.where(np.isfinite(near), near, np.nan),
           "snap_m": per_feature(units, costs.demand_snap_m), "status": status}
    out = np.flatnonzero(~cov.covered)
    reason = np.where(~costs.demand_on_network[out], "not on network",
                      np.where(cov.unreachable[out], "no facility reachable",
                               f"beyond {threshold:g} {unit}")).astype(object)
    nc = cov.nearest_cost[out]
    points = {"feature_row": f[out], "demand": w[out], "nearest_cost": np.where(np.isfinite(nc), nc, np.nan),
              "reason": reason, "geometry": units.points[out]}
    total = float(units.feature_demand.sum())
    unc_total = float(uncovered.sum())
    summary = {"total_demand": total, "covered_demand": total - unc_total, "uncovered_demand": unc_total,
               "uncovered_pct": 100.0 * unc_total / total if total > 0 else 0.0,
               "units_total": int(len(w)), "units_uncovered": int(len(out)),
               "units_unreachable": int(cov.unreachable.sum()),
               "features_total": int(n_f), "features_no_geometry": int(no_geom.sum()),
               "features_with_gap": int((uncovered > 0).sum()),
               "threshold": float(threshold), "unit": unit}
    return per, points, summary


def allocation_tables(units: DemandUnits, result, *, candidates, existing, candidate_ids, existing_ids,
                      cost, existing_cost, unit="m", capacity=None, existing_capacity=None):
    """Outputs of a location-allocation run, as plain columns:

    - ``sites``: the existing facilities (kind 'existing', rank 0) and the chosen candidates
      (kind 'new', rank 1.. in order of marginal gain) with demand served, mean cost, load;
    - ``lines``: one row per demand point and site it is allocated to (several when a
      capacitated run splits a point's demand), with a straight line point → site, and rows
      with no site and a reason for demand that is not served;
    - ``summary``: before/after rows.
    ``cost``/``existing_cost`` are in the user's unit; ``candidates``/``existing`` GeoSeries."""
    import shapely

    e = 0 if existing_cost is None else existing_cost.shape[1]
    pts = units.points
    n = len(pts)
    cand_xy = np.asarray(candidates.geometry.values if hasattr(candidates, "geometry") else candidates,
                         dtype=object)
    ex_xy = (np.asarray(existing.geometry.values, dtype=object) if existing is not None
             else np.zeros(0, dtype=object))

    def site_info(code):
        code = np.asarray(code, dtype=np.int64)
        is_new = code >= 0
        idx = np.where(is_new, code, -code - 1)
        return is_new, idx

    # allocation rows
    if result.flows:
        fi = np.array([f[0] for f in result.flows], dtype=np.int64)
        fs = np.array([f[1] for f in result.flows], dtype=np.int64)
        fa = np.array([f[2] for f in result.flows], dtype=float)
    else:
        fi = np.flatnonzero(result.site != _no_site())
        fs = result.site[fi]
        fa = units.point_demand[fi]
    is_new, idx = site_info(fs)
    fcost = np.where(is_new, cost[fi, np.where(is_new, idx, 0)] if cost.shape[1] else np.nan,
                     existing_cost[fi, np.where(is_new, 0, idx)] if e else np.nan)
    site_geom = np.where(is_new, cand_xy[np.where(is_new, idx, 0)] if len(cand_xy) else None,
                         ex_xy[np.where(is_new, 0, idx)] if len(ex_xy) else None)
    lines = shapely.shortest_line(pts[fi], site_geom) if len(fi) else np.zeros(0, dtype=object)
    served_amount = np.bincount(fi, weights=fa, minlength=n)
    short = units.point_demand - served_amount
    unserved = np.flatnonzero(short > 1e-9 * np.maximum(1.0, units.point_demand))
    unreach = set(result.unreachable.tolist())
    reason = np.array(["reaches no site" if i in unreach else
                       ("over capacity" if result.problem == "cpmedian" else "not served by an open site")
                       for i in unserved], dtype=object)
    ids_all = (np.asarray(candidate_ids, dtype=object), np.asarray(existing_ids, dtype=object)
               if existing_ids is not None else np.zeros(0, dtype=object))
    site_id = np.array([ids_all[0][j] if new else ids_all[1][j] for new, j in zip(is_new, idx)], dtype=object)
    # demand features with no geometry were never routed: listed too, so nothing goes missing
    no_geom = np.flatnonzero(units.status == "no geometry")
    k = len(unserved) + len(no_geom)
    line_cols = {
        "feature_row": np.concatenate([units.point_feature[fi], units.point_feature[unserved], no_geom]),
        "demand": np.concatenate([fa, short[unserved], units.feature_demand[no_geom]]),
        "site_id": np.concatenate([site_id, np.full(k, None, dtype=object)]),
        "site_kind": np.concatenate([np.where(is_new, "new", "existing").astype(object),
                                     np.full(k, None, dtype=object)]),
        "cost": np.concatenate([fcost, np.full(k, np.nan)]),
        "reason": np.concatenate([np.full(len(fi), None, dtype=object), reason,
                                  np.full(len(no_geom), "no geometry", dtype=object)]),
        "geometry": np.concatenate([lines, np.full(k, None, dtype=object)]),
    }
    # sites
    chosen = result.chosen
    n_sites = e + len(chosen)
    kinds = np.array(["existing"] * e + ["new"] * len(chosen), dtype=object)
    s_idx = np.concatenate([np.arange(e), chosen]).astype(np.int64)
    s_new = np.array([False] * e + [True] * len(chosen))
    served = np.zeros(n_sites)
    wcost = np.zeros(n_sites)
    key = {(bool(a), int(b)): t for t, (a, b) in enumerate(zip(s_new, s_idx))}
    pos = np.array([key[(bool(a), int(b))] for a, b in zip(is_new, idx)], dtype=np.int64) if len(fi) \
        else np.zeros(0, dtype=np.int64)
    np.add.at(served, pos, fa)
    np.add.at(wcost, pos, fa * fcost)
    sites = {
        "site_id": np.array([ids_all[1][j] if not new else ids_all[0][j] for new, j in zip(s_new, s_idx)],
                            dtype=object),
        "site_kind": kinds,
        "rank": np.concatenate([np.zeros(e, dtype=np.int64), np.arange(1, len(chosen) + 1)]),
        "gain": np.concatenate([np.full(e, np.nan), result.gains]),
        "demand_served": served,
        "mean_cost": np.divide(wcost, served, out=np.full(n_sites, np.nan), where=served > 0),
        "geometry": np.concatenate([ex_xy[:e], cand_xy[chosen]]) if n_sites else np.zeros(0, dtype=object),
    }
    if capacity is not None:
        caps = np.concatenate([np.asarray(existing_capacity if existing_capacity is not None
                                          else np.full(e, np.nan), dtype=float)[:e],
                               np.asarray(capacity, dtype=float)[chosen]])
        sites["capacity"] = caps
        sites["load_share"] = np.divide(served, caps, out=np.full(n_sites, np.nan), where=caps > 0)
    summary = {}
    for name, s in (("before", result.before), ("after", result.after)):
        summary.setdefault("scenario", []).append(name)
        summary.setdefault("open_sites", []).append(s.open_sites)
        summary.setdefault("objective", []).append(s.objective)
        summary.setdefault("total_demand", []).append(s.total_demand)
        summary.setdefault("served_demand", []).append(s.served_demand)
        summary.setdefault("covered_demand", []).append(s.covered_demand)
        summary.setdefault("covered_pct", []).append(None if s.covered_share is None else 100 * s.covered_share)
        summary.setdefault("mean_cost", []).append(s.mean_cost)
        summary.setdefault("max_cost", []).append(s.max_cost)
    summary["cost_unit"] = [unit, unit]
    summary["method"] = ["existing facilities only", result.method]
    summary["bound"] = [None, result.lower_bound]
    summary["gap_pct"] = [None, 100 * result.gap]
    return sites, line_cols, summary


def _no_site():
    from .location import NO_SITE

    return NO_SITE
