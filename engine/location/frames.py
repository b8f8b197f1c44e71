"""Location problems from GeoDataFrames, in the shape of spopt's ``PMedian.from_geodataframe``:
demand and candidate layers with column names in, the same layers with the answer as columns
out. Costs are straight-line ground distances in metres between the features (0 where they
touch); for travel over the street network, build the cost matrix with ``engine.access_inputs``
and call :func:`~.solve.solve`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .matrix import NO_SITE
from .results import LocationResult
from .solve import solve


@dataclass
class Allocation:
    """A location problem solved from GeoDataFrames.

    ``demand``: the demand rows, each with ``site`` (the id of the open site serving it; None
    when none reaches) and ``cost`` (metres to it; NaN when none). ``sites``: the existing sites
    then the candidates, each with ``kind`` ('existing' or 'candidate'), ``open`` (bool),
    ``rank`` (1 = the new site that gains most; None for existing and closed sites) and
    ``served_demand``. ``result`` is the :class:`~.results.LocationResult` of the cost matrix.
    """
    result: LocationResult
    demand: object
    sites: object


def distance_matrix(demand, facilities, *, what=("DEMAND", "CANDIDATES")) -> np.ndarray:
    """Ground distances in metres, ``(len(demand), len(facilities))``, geometry to geometry
    (point to point: straight line), measured in one metric CRS (:func:`engine.crs.common_crs`).
    A missing or empty geometry is unreachable (``inf``)."""
    import shapely

    from ..crs import common_crs

    if demand.crs is None and facilities.crs is None:
        a, b = demand, facilities
    elif demand.crs is None or facilities.crs is None:
        missing = what[0] if demand.crs is None else what[1]
        raise InputError(f"{missing} has no coordinate reference system: set it so distances can be "
                         "measured in metres.")
    else:
        (a, b), _, _ = common_crs([demand, facilities], list(what))
    ga = np.asarray(a.geometry.values, dtype=object)[:, None]
    gb = np.asarray(b.geometry.values, dtype=object)[None, :]
    with np.errstate(invalid="ignore"):
        d = shapely.distance(ga, gb).astype(float)
    return np.where(np.isnan(d), np.inf, d)


def _site_rows(codes, n_existing):
    """Rows of the existing-then-candidate site table for LocationResult site codes (existing k:
    -(k + 1), candidate j: j); 0 where no site (mask those with ``codes != NO_SITE``)."""
    codes = np.asarray(codes, dtype=np.int64)
    rows = np.where(codes < 0, -(codes + 1), codes + n_existing)
    return np.where(codes == NO_SITE, 0, rows)


def _column(gdf, name, what):
    if name not in gdf.columns:
        fields = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
        raise InputError(f"{what} has no field named {name!r}. Its fields are: {fields or '(none)'}.")
    return gdf[name].to_numpy()


def solve_geodataframes(problem: str, demand, candidates, *, weights_col: str | None = None,
                        facility_col: str | None = None, p: int | None = None,
                        service_radius_m: float | None = None, existing=None,
                        capacity_col: str | None = None, single_source: bool = False,
                        exact: str = "auto", time_limit_s: float = 60.0, feedback=None) -> Allocation:
    """Solve ``problem`` ('pmedian', 'mclp', 'lscp' or 'cpmedian', as :func:`~.solve.solve`)
    for the ``demand`` GeoDataFrame and the ``candidates`` GeoDataFrame.

    Args:
        weights_col: demand's weight column (None: every demand row weighs 1).
        facility_col: the candidates' (and existing sites') id column (None: their row numbers).
        p: new sites to open (not for 'lscp').
        service_radius_m: coverage threshold in metres ('mclp', 'lscp'; optional otherwise).
        existing: a GeoDataFrame of sites that stay open (P counts new sites only; spopt's
            ``predefined_facility_col`` counts them in P).
        capacity_col: capacity column of candidates and existing sites ('cpmedian').

    Raises:
        InputError: a missing column or CRS, and every input :func:`~.solve.solve` refuses.
    """
    import pandas as pd

    from ..values import numeric_columns

    weights = None
    if weights_col is not None:
        _column(demand, weights_col, "The demand layer")
        weights = numeric_columns(demand, [weights_col], layer="The demand layer")[weights_col] \
            .to_numpy(dtype=float, na_value=np.nan)
    cost = distance_matrix(demand, candidates)
    sites = [candidates] if existing is None else [existing, candidates]
    kinds = ["candidate"] * len(candidates) if existing is None else \
        ["existing"] * len(existing) + ["candidate"] * len(candidates)
    existing_cost = None if existing is None else distance_matrix(demand, existing, what=("DEMAND", "EXISTING"))

    def capacities(frame, what):
        if capacity_col is None:
            return None
        _column(frame, capacity_col, what)
        return numeric_columns(frame, [capacity_col], layer=what)[capacity_col].to_numpy(dtype=float, na_value=np.nan)

    result = solve(problem, cost, demand=weights, p=p, threshold=service_radius_m,
                   existing_cost=existing_cost, capacity=capacities(candidates, "The candidate layer"),
                   existing_capacity=None if existing is None else capacities(existing, "The existing-site layer"),
                   single_source=single_source, exact=exact, time_limit_s=time_limit_s,
                   candidate_ids=None if facility_col is None else list(_column(candidates, facility_col,
                                                                                "The candidate layer")),
                   feedback=feedback)
    all_sites = pd.concat([frame.reset_index(drop=True) for frame in sites], ignore_index=True)
    ids = np.arange(len(all_sites)).astype(object) if facility_col is None else \
        all_sites[facility_col].to_numpy(dtype=object)
    n_existing = 0 if existing is None else len(existing)
    served = result.site != NO_SITE
    column = _site_rows(result.site, n_existing)
    out_demand = demand.copy()
    site = np.full(len(demand), None, dtype=object)
    site[served] = ids[column[served]]
    out_demand["site"] = site
    out_demand["cost"] = np.where(served, result.site_cost, np.nan)
    out_sites = all_sites.copy()
    out_sites["kind"] = kinds
    is_open = np.zeros(len(all_sites), dtype=bool)
    is_open[:n_existing] = True
    is_open[n_existing + result.chosen] = True
    out_sites["open"] = is_open
    rank = np.full(len(all_sites), None, dtype=object)
    rank[n_existing + result.chosen] = np.arange(1, len(result.chosen) + 1)
    out_sites["rank"] = rank
    if result.flows:  # capacitated, demand split between sites: (demand row, site code, amount)
        codes = np.array([code for _, code, _ in result.flows], dtype=np.int64)
        amounts = np.array([amount for _, _, amount in result.flows], dtype=float)
        load = np.bincount(_site_rows(codes, n_existing), weights=amounts, minlength=len(all_sites))
    else:
        w = np.ones(len(demand)) if weights is None else np.nan_to_num(weights)
        load = np.bincount(column[served], weights=w[served], minlength=len(all_sites))
    out_sites["served_demand"] = load
    return Allocation(result=result, demand=out_demand, sites=out_sites)
