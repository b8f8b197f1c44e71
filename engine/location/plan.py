"""Location-allocation over routed demand, as the ``locationallocation`` algorithm writes it: the
problem solved on the network costs, then the sites, the allocation lines, the before/after
summary and (when asked) the options compared, as GeoDataFrames in the demand layer's CRS."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, as_feedback
from .options import compare_options, parse_candidate_sets
from .results import LocationResult
from .solve import solve


@dataclass
class ServicePlan:
    """What :func:`plan_services` found: the solver's result and the tables to write.

    ``sites`` (points) and ``allocation`` (lines) are GeoDataFrames; ``summary`` and ``options``
    (None when no options were asked for) DataFrames; ``warnings`` what the user should see
    as a warning rather than a log line."""
    result: LocationResult
    sites: object
    allocation: object
    summary: object
    options: object = None
    warnings: list = field(default_factory=list)


def _in_crs(frame, crs):
    if frame is None or frame.crs is None or crs is None or frame.crs.equals(crs):
        return frame
    return frame.to_crs(crs)


def _frame(columns, ids, crs):
    import geopandas as gpd
    import pandas as pd

    from ..access_tables import typed_ids

    columns = dict(columns)
    geometry = columns.pop("geometry")
    columns["site_id"] = typed_ids(columns["site_id"], ids)
    return gpd.GeoDataFrame(pd.DataFrame(columns), geometry=gpd.GeoSeries(geometry, crs=crs), crs=crs)


def describe(problem: str, result: LocationResult, unit: str) -> str:
    """The run in one log line: sites, objective, method and gap, and cost before → after."""
    before, after = result.before, result.after
    covered = (f"; covered {100 * (before.covered_share or 0):.1f} % → {100 * after.covered_share:.1f} %"
               if after.covered_share is not None else "")
    return (f"{problem}: {len(result.chosen)} new sites; objective {result.objective:,.2f} "
            f"({result.method}; gap {100 * result.gap:.3f} %). Mean cost {before.mean_cost:,.1f} → "
            f"{after.mean_cost:,.1f} {unit}; max {before.max_cost:,.1f} → {after.max_cost:,.1f} {unit}"
            f"{covered}.")


def _options(problem, cost, units, existing_cost, candidate_ids, threshold, p_max, candidate_sets, exact,
             time_limit_s, fb):
    import pandas as pd

    if problem not in ("pmedian", "mclp"):
        raise InputError("Options compare p-median or MCLP answers; choose one of those.")
    rows = compare_options(problem, cost, demand=units.point_demand, p_max=max(1, p_max), threshold=threshold,
                           existing_cost=existing_cost,
                           candidate_sets=parse_candidate_sets(candidate_sets, candidate_ids),
                           candidate_ids=[str(i) for i in candidate_ids], exact=exact, time_limit_s=time_limit_s,
                           feedback=fb)
    for r in rows:
        gain = "" if r["gain_demand"] is None else f"; gain {r['gain_demand']:,.0f}"
        fb.log(f"Option '{r['option']}': {r['sites'] or 'no new site'}; covered "
               f"{r['covered_demand'] if r['covered_demand'] is not None else '—'}; mean cost "
               f"{r['mean_cost']:,.1f}{gain}.")
    return pd.DataFrame(rows)


def plan_services(problem: str, units, cost, *, candidates, candidate_ids, p: int | None,
                  threshold: float | None = None, existing=None, existing_ids=None, existing_cost=None,
                  capacity=None, existing_capacity=None, single_source: bool = False, unit: str = "m",
                  exact: str = "auto", time_limit_s: float = 60.0, p_max: int = 0,
                  candidate_sets: str = "", feedback=None) -> ServicePlan:
    """Solve ``problem`` (:func:`~.solve.solve`) for the routed demand ``units``
    (``engine.access_inputs.DemandUnits``) and ``cost`` (demand points × candidates, in ``unit``:
    'm' or 'min'), and build its outputs (``engine.access_tables.allocation_tables``).

    ``candidates``/``existing``: the facility GeoDataFrames (reprojected to the demand's CRS for
    the output lines); ``capacity``/``existing_capacity`` are used by 'cpmedian' only. With
    ``p_max`` > 0 or ``candidate_sets`` (text, 'name: id, id' per line) the options are compared
    too (:func:`~.options.compare_options`; p-median and MCLP only).

    Raises:
        InputError: as :func:`~.solve.solve`, :func:`~.options.parse_candidate_sets` and
            :func:`~.options.compare_options`.
    """
    import pandas as pd

    from ..access_tables import allocation_tables

    fb = as_feedback(feedback)
    capacitated = problem == "cpmedian"
    with_options = p_max > 0 or bool(str(candidate_sets or "").strip())
    result = solve(problem, cost, demand=units.point_demand, p=p, threshold=threshold,
                   existing_cost=existing_cost, capacity=capacity if capacitated else None,
                   existing_capacity=existing_capacity if capacitated and existing is not None else None,
                   single_source=single_source, exact=exact, time_limit_s=time_limit_s,
                   candidate_ids=list(candidate_ids), feedback=fb.sub(0.0, 0.9 if with_options else 1.0))
    for message in result.messages:
        fb.log(message)
    warnings = []
    if len(result.unreachable):
        warnings.append(f"{len(result.unreachable)} demand points reach no candidate or existing site: listed "
                        "in the allocation output with reason 'reaches no site'.")
    crs = units.crs
    candidates, existing = _in_crs(candidates, crs), _in_crs(existing, crs)
    sites, lines, summary = allocation_tables(
        units, result, candidates=candidates, existing=existing, candidate_ids=candidate_ids,
        existing_ids=existing_ids, cost=cost, existing_cost=existing_cost, unit=unit,
        capacity=capacity if capacitated else None, existing_capacity=existing_capacity if capacitated else None)
    all_ids = np.concatenate([np.asarray(existing_ids if existing_ids is not None else [], dtype=object),
                              np.asarray(candidate_ids, dtype=object)])
    fb.log(describe(problem, result, unit))
    plan = ServicePlan(result=result, sites=_frame(sites, all_ids, crs), allocation=_frame(lines, all_ids, crs),
                       summary=pd.DataFrame(summary), warnings=warnings)
    if with_options:
        plan.options = _options(problem, cost, units, existing_cost, candidate_ids, threshold, p_max,
                                candidate_sets, exact, time_limit_s, fb.sub(0.9, 1.0))
    fb.set_progress(1.0)
    return plan
