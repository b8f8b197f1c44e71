"""Per-feature results of the service-demand analyses: point values aggregated back to the
demand features, the accessibility, coverage and allocation tables the algorithms write, and
each feature's status. Inputs come from :mod:`.access_inputs`."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .access_inputs import Costs, DemandUnits


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

    from . import accessibility as measures

    c = measures.as_cost_matrix(cost)
    n_f = units.n_features
    near, idx = measures.nearest(c)
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
    counts = measures.cumulative_opportunities(c, thresholds)
    for k, t in enumerate(thresholds):
        values = per_feature(units, counts[:, k])
        if units.points_source != "points":  # one point per feature: a whole count
            import pandas as pd

            values = pd.array(np.where(np.isnan(values), 0, values).astype(np.int64), dtype="Int64")
            values[np.isnan(per_feature(units, counts[:, k]))] = pd.NA
        cols[f"within_{t:g}{unit}".replace(".", "_")] = values
    if decay_parameter is not None:
        cols["gravity"] = per_feature(units, measures.gravity(c, supply=supply, function=decay_function,
                                                       parameter=decay_parameter))
    fca = None
    if bands:
        fca = measures.two_step_fca(c, demand=units.point_demand, supply=supply, bands=bands,
                             band_weights_=band_weights)
    elif catchment:
        fca = measures.two_step_fca(c, demand=units.point_demand, supply=supply, catchment=catchment)
    if fca is not None:
        cols["fca_per_1000"] = per_feature(units, fca.score)
    reach = np.isfinite(near)
    cols["reachable_share"] = per_feature(units, reach.astype(float))
    return cols, fca, near


def feature_status(units: DemandUnits, costs: Costs, near) -> np.ndarray:
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


def coverage_tables(units: DemandUnits, cost, costs: Costs, *, threshold: float, unit: str = "m"):
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


def typed_ids(values, ids):
    """Facility ids (object array with None for 'none') typed like the id field: nullable
    integers stay integers in the output, anything else is text."""
    import pandas as pd

    ids = np.asarray(ids)
    if ids.dtype.kind in "iu" or (ids.dtype == object and all(isinstance(v, (int, np.integer)) for v in ids)):
        return pd.array([None if v is None else int(v) for v in values], dtype="Int64")
    return pd.array([None if v is None else str(v) for v in values], dtype=object)


def accessibility_output(demand, units: DemandUnits, costs: Costs, columns: dict, near, facility_ids):
    """The demand layer with :func:`accessibility_table`'s ``columns`` added (unreachable →
    null), its demand, point count, snap distance and status. Returns ``(frame, status)``."""
    out = demand.copy()
    out["demand"] = units.feature_demand
    out["n_points"] = units.n_points
    for name, values in columns.items():
        out[name] = typed_ids(values, facility_ids) if name == "nearest_id" else values
    out["snap_m"] = per_feature(units, costs.demand_snap_m)
    status = feature_status(units, costs, near)
    out["status"] = status
    for name in columns:
        if out[name].dtype.kind == "f":  # unreachable (inf) → null
            out[name] = np.where(np.isfinite(out[name]), out[name], np.nan)
    return out, status


def coverage_outputs(demand, units: DemandUnits, cost, costs: Costs, *, threshold: float, unit: str = "m"):
    """:func:`coverage_tables` as what the coverage algorithm writes: ``(per_feature,
    uncovered_points, summary_table, summary)`` (the demand layer with the coverage columns,
    a point GeoDataFrame, a one-row DataFrame and the summary dict)."""
    import geopandas as gpd
    import pandas as pd

    per, points, summary = coverage_tables(units, cost, costs, threshold=threshold, unit=unit)
    out = demand.copy()
    for name, values in per.items():
        out[name] = values
    uncovered = gpd.GeoDataFrame(pd.DataFrame(points), geometry=gpd.GeoSeries(points.pop("geometry"), crs=units.crs),
                                 crs=units.crs)
    table = pd.DataFrame({k: [v] for k, v in summary.items()})
    return out, uncovered, table, summary
