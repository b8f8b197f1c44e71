"""Vehicle rounds as layers: what ``joinedup:routeoptimisation`` turns its layers into before
:func:`engine.routing.solve`, and the plan turned back into tables a user can map.

- In: numbers and time windows read from a layer's fields (a field or a default), each vehicle's
  start and end depot looked up by id, and the jobs and vehicles tables the solver takes.
- Out: routes, stops and unassigned jobs (with the row of each vehicle and job, so the caller
  puts the user's ids in), the summary table (the plan, today's rounds and the saving) and the
  lines the log shows.
"""
from __future__ import annotations

import numpy as np

from .errors import InputError

PLAN_NAMES = ("optimised", "current", "saving")


def hhmm(seconds):
    """A clock time 'HH:MM' from seconds after midnight (None for none)."""
    if seconds is None or not np.isfinite(seconds):
        return None
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def column_numbers(frame, field: str | None, default):
    """``field`` of ``frame`` as floats, text that is not a number and nulls becoming ``default``
    (None keeps them NaN); no field: ``default`` for every row."""
    import pandas as pd

    if not field:
        return np.full(len(frame), float(default))
    values = pd.to_numeric(frame[field], errors="coerce").to_numpy(float)
    return np.where(np.isnan(values), default, values) if default is not None else values


def column_windows(frame, first: str | None, second: str | None, default, what: str) -> list:
    """A list of time windows per row, from one text field ('08:00-12:00, 14:00-16:00'), or a
    start and an end field; rows without one get ``default``. Raises InputError naming ``what``
    and the row (1-based) of a value that is not a time."""
    from .routing import clock_seconds, parse_windows, window

    out = []
    for row in range(len(frame)):
        try:
            if first and second:
                a, b = clock_seconds(frame[first].iat[row]), clock_seconds(frame[second].iat[row])
                out.append([window(a, b)] if a is not None or b is not None else list(default))
            elif first:
                value = frame[first].iat[row]
                got = parse_windows(value) if not hasattr(value, "hour") else [window(clock_seconds(value), None)]
                out.append(got or list(default))
            else:
                out.append(list(default))
        except InputError as exc:
            raise InputError(f"{what}, row {row + 1}: {exc}") from exc
    return out


def depot_rows(values, depot_ids, vehicle_ids) -> np.ndarray:
    """The depot row of each vehicle's depot id in ``values`` (-1 for none). Raises InputError
    naming the vehicle whose depot id is not in ``depot_ids``."""
    import pandas as pd

    lookup = {str(v): k for k, v in enumerate(depot_ids) if v is not None}
    rows = []
    for k, value in enumerate(values):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            rows.append(-1)
        elif str(value) in lookup:
            rows.append(lookup[str(value)])
        else:
            raise InputError(f"Vehicle {vehicle_ids[k]}: depot {value!r} is not in the depots layer's id field.")
    return np.asarray(rows, np.int64)


def vehicle_depots(vehicles, depot_ids, vehicle_ids, *, start_field, end_field):
    """``(starts, ends)``: depot rows per vehicle from its start and end depot fields; without an
    end field each vehicle ends where it starts."""
    starts = depot_rows(vehicles[start_field] if start_field else [None] * len(vehicles), depot_ids, vehicle_ids)
    if not end_field:
        return starts, starts.copy()
    return starts, depot_rows(vehicles[end_field], depot_ids, vehicle_ids)


def route_tables(plan, *, route_geoms, job_points, depot_points, starts, ends, jobs, keep_fields, crs):
    """The plan as three GeoDataFrames: ``routes`` (one line per used vehicle), ``stops`` (every
    stop in order, at its job or depot) and ``unassigned`` (every job not in a route, with its
    reason). They carry ``vehicle_row`` / ``job_row`` (-1: none) for the caller's ids, times as
    'HH:MM', durations in minutes and distances in km; ``keep_fields`` of ``jobs`` are copied
    onto the stops and unassigned jobs."""
    import geopandas as gpd

    pv = plan.vehicles
    routes = gpd.GeoDataFrame({
        "vehicle_row": pv["vehicle_row"].to_numpy(),
        "stops": pv["stops"], "distance_km": pv["length_m"] / 1000.0, "driving_min": pv["driving_s"] / 60.0,
        "service_min": pv["service_s"] / 60.0, "waiting_min": pv["waiting_s"] / 60.0, "load": pv["load"],
        "start": [hhmm(s) for s in pv["start_s"]], "end": [hhmm(s) for s in pv["end_s"]],
        "cost": pv["cost"]}, geometry=route_geoms, crs=crs)
    stops = plan.stops
    job_row = stops["job_row"].to_numpy()
    is_job = job_row >= 0
    depot_of = np.where(stops["kind"] == "start", starts[stops["vehicle_row"]], ends[stops["vehicle_row"]])
    stop_geom = [job_points.iat[j] if j >= 0 else depot_points.iat[d] if d >= 0 else None
                 for j, d in zip(job_row, depot_of)]
    stops_out = gpd.GeoDataFrame({
        "vehicle_row": stops["vehicle_row"].to_numpy(), "sequence": stops["sequence"],
        "kind": stops["kind"], "job_row": np.where(is_job, job_row, -1),
        "arrival": [hhmm(s) for s in stops["arrival_s"]], "waiting_min": stops["waiting_s"] / 60.0,
        "service_min": stops["service_s"] / 60.0, "departure": [hhmm(s) for s in stops["departure_s"]],
        "load_after": stops["load_after"], "leg_km": stops["leg_length_m"] / 1000.0,
        "leg_min": stops["leg_time_s"] / 60.0}, geometry=stop_geom, crs=crs)
    for c in keep_fields:
        values = jobs[c].reset_index(drop=True)
        stops_out[c] = values.iloc[np.maximum(job_row, 0)].where(is_job).reset_index(drop=True) \
            if len(values) else None
    un = plan.unassigned
    un_out = gpd.GeoDataFrame({"job_row": un["job_row"].to_numpy(), "reason": un["reason"].astype(str)},
                              geometry=[job_points.iat[j] for j in un["job_row"]], crs=crs)
    for c in keep_fields:
        un_out[c] = jobs[c].iloc[un["job_row"].to_numpy()].reset_index(drop=True)
    return routes, stops_out, un_out


def summary_table(plan, current, n_vehicles: int):
    """One row for the plan, and with today's rounds (``current``) one for them and one for the
    saving (today's minus the plan's)."""
    import pandas as pd

    def row(name, t):
        return {"plan": name, "vehicles_available": n_vehicles, "vehicles_used": t["vehicles_used"],
                "jobs_served": t["jobs_served"],
                "jobs_unassigned": t["jobs_unassigned"], "distance_km": t["length_m"] / 1000.0,
                "driving_h": t["driving_s"] / 3600.0, "service_h": t["service_s"] / 3600.0,
                "waiting_h": t["waiting_s"] / 3600.0, "vehicle_hours": t["vehicle_s"] / 3600.0,
                "cost": t["cost"], "late_stops": t["late_stops"]}

    rows = [row(PLAN_NAMES[0], plan.totals)]
    if current is not None:
        rows.append(row(PLAN_NAMES[1], current.totals))
        saving = {k: (rows[1][k] - rows[0][k]) for k in rows[0] if k != "plan"}
        rows.append({"plan": PLAN_NAMES[2], **saving})
    return pd.DataFrame(rows)


def plan_report(plan, current, *, n_vehicles: int, days_per_week: float):
    """``(lines, saved_km, saved_vehicle_hours)``: what the log says about the plan and, with
    today's rounds, what the plan saves a day and a week (None without them)."""
    un = plan.unassigned
    t = plan.totals
    lines = [f"Plan: {t['jobs_served']} jobs in {t['vehicles_used']} rounds ({n_vehicles} vehicles available), "
             f"{t['length_m'] / 1000:.1f} km, {t['vehicle_s'] / 3600:.1f} "
             f"vehicle-hours; {t['jobs_unassigned']} jobs not in a route"
             + (f" ({', '.join(f'{n} {r}' for r, n in un['reason'].value_counts().items())})"
                if len(un) else "") + "."]
    if current is None:
        return lines, None, None
    c = current.totals
    saved_km = (c["length_m"] - t["length_m"]) / 1000.0
    saved_h = (c["vehicle_s"] - t["vehicle_s"]) / 3600.0
    week = days_per_week
    lines.append(
        f"Today's rounds: {c['jobs_served']} jobs, {c['length_m'] / 1000:.1f} km, "
        f"{c['vehicle_s'] / 3600:.1f} vehicle-hours, {c['late_stops']} late stops. "
        f"The optimised rounds save {saved_km:.1f} km and {saved_h:.1f} vehicle-hours a day "
        f"({saved_km * week:.1f} km and {saved_h * week:.1f} vehicle-hours a week at {week:g} days)"
        + ("" if c["jobs_served"] == t["jobs_served"] else
           f"; note the plan serves {t['jobs_served']} jobs, today's rounds {c['jobs_served']}") + ".")
    return lines, saved_km, saved_h


def stop_points(depot_points, job_points, crs):
    """Depots then jobs as one GeoSeries: the points snapped to the network (rows 0..n_depots-1
    are the depots, the rest the jobs in order)."""
    import geopandas as gpd

    return gpd.GeoSeries(list(depot_points.values) + list(job_points.values), crs=crs)


def jobs_table(jobs, *, snapped_edge, n_depots: int, demand_field=None, service_field=None,
               default_service_min: float = 0.0, window_field=None, window_end_field=None,
               priority_field=None, skill_field=None):
    """The solver's jobs table from a jobs layer: location (the job's snapped point row, -1 when
    it is not on the network), demand (default 1), service_s (minutes from the field or the
    default, in seconds), time windows, priority (0..100) and skills. Raises InputError for a
    negative demand or service time, or a window that is not a time."""
    import pandas as pd

    from .routing import parse_skills

    demand = column_numbers(jobs, demand_field, 1.0)
    service = column_numbers(jobs, service_field, default_service_min) * 60.0
    if (service < 0).any() or (demand < 0).any():
        raise InputError("Demand and service time must not be negative "
                         f"({int((demand < 0).sum())} negative demands, "
                         f"{int((service < 0).sum())} negative service times).")
    windows = column_windows(jobs, window_field, window_end_field, [], "Time window")
    priority = np.clip(column_numbers(jobs, priority_field, 0.0), 0, 100)
    skills = [parse_skills(v) for v in jobs[skill_field]] if skill_field else [frozenset()] * len(jobs)
    location: np.ndarray = np.arange(n_depots, n_depots + len(jobs), dtype=np.int64)
    location = np.where(np.asarray(snapped_edge)[location] >= 0, location, -1)
    return pd.DataFrame({"location": location, "demand": demand, "service_s": service, "windows": windows,
                         "priority": priority, "skills": skills})


def vehicles_table(vehicles, *, starts, ends, objective: str, default_shift: str = "", shift_field=None,
                   shift_end_field=None, capacity_field=None, skills_field=None, cost_km_field=None,
                   cost_hour_field=None, cost_per_km: float = 0.0, cost_per_hour: float = 0.0):
    """The solver's vehicles table from a vehicles layer: start and end depot rows, capacity (NaN:
    none), one shift each (from the fields, else ``default_shift`` such as '08:30-16:30', else the
    whole day), skills, and costs per km and per hour. Raises InputError for a shift that is not
    one window, or for ``objective`` 'cost' without any cost."""
    import pandas as pd

    from .routing import parse_skills, parse_windows

    try:
        default = parse_windows(default_shift) or [(0.0, 24 * 3600.0)]
    except InputError as exc:
        raise InputError(f"Default shift: {exc}") from exc
    if len(default) != 1:
        raise InputError("Default shift: give one shift, e.g. 08:30-16:30.")
    shifts = column_windows(vehicles, shift_field, shift_end_field, default, "Shift")
    if any(len(s) != 1 for s in shifts):
        raise InputError("A vehicle's shift must be one window, e.g. 08:30-16:30.")
    table = pd.DataFrame({
        "start": starts, "end": ends,
        "capacity": column_numbers(vehicles, capacity_field, None) if capacity_field
        else np.full(len(vehicles), np.nan),
        "shift_start_s": [s[0][0] for s in shifts], "shift_end_s": [s[0][1] for s in shifts],
        "skills": [parse_skills(v) for v in vehicles[skills_field]] if skills_field
        else [frozenset()] * len(vehicles),
        "cost_per_km": column_numbers(vehicles, cost_km_field, cost_per_km),
        "cost_per_hour": column_numbers(vehicles, cost_hour_field, cost_per_hour)})
    if objective == "cost" and not ((table["cost_per_km"] > 0) | (table["cost_per_hour"] > 0)).any():
        raise InputError("Minimise cost needs a cost per km or per hour for the vehicles.")
    return table


def mark_jobs_without_geometry(plan, snapped_distance_m, n_depots: int) -> None:
    """Unassigned jobs that had no point to snap get the reason 'no geometry'."""
    no_geom = np.isnan(np.asarray(snapped_distance_m)[n_depots:])
    if no_geom.any():
        plan.unassigned.loc[no_geom[plan.unassigned["job_row"].to_numpy()], "reason"] = "no geometry"


def todays_rounds(jobs_layer, jobs, vehicles, time_s, length_m, *, vehicle_ids, vehicle_field: str,
                  order_field=None):
    """``(current, unknown)``: today's rounds (each job's vehicle id in ``vehicle_field``, in the
    order of ``order_field`` or of the layer) evaluated as the plan is, and how many jobs name a
    vehicle that is not in ``vehicle_ids`` (they count as not in today's rounds)."""
    import pandas as pd

    from .routing import evaluate_rounds

    index = {str(v): k for k, v in enumerate(vehicle_ids)}
    named = jobs_layer[vehicle_field]
    rows = [index.get(str(v), -1) if not pd.isna(v) else -1 for v in named]
    order = column_numbers(jobs_layer, order_field, None) if order_field else np.arange(len(jobs_layer), dtype=float)
    unknown = sum(1 for v, k in zip(named, rows) if not pd.isna(v) and k < 0)
    return evaluate_rounds(jobs, vehicles, time_s, length_m, rows, order), unknown


def depots_in_use(starts, ends, snapped_edge):
    """``(used, off)``: the depot rows some vehicle starts or ends at, and those of them that are
    not on the network (no geometry, or beyond the maximum snap distance)."""
    used = np.unique(np.r_[starts, ends])
    used = used[used >= 0]
    return used, [d for d in used if snapped_edge[d] < 0]


def vehicle_ids_of(vehicles, id_field=None):
    """Each vehicle's id from ``id_field``, else its position."""
    return vehicles[id_field].to_numpy() if id_field else np.arange(len(vehicles))
