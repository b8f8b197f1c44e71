"""Vehicle routing for council fleets: jobs with demand, service time, time windows, priority and
skills; vehicles with depots, capacity, shifts, skills and costs per km and per hour.

The solver is VROOM (``pyvroom``, BSD-2): it takes the travel-time and distance matrices that
JoinedUp's own network engine computes (:func:`travel_matrices`), never coordinates, and
handles time windows, skills, priorities and shifts natively. This module does what VROOM
does not: it says *why* a job is left out (:func:`unassigned_reasons`), prices today's rounds
on the same matrices (:func:`evaluate_rounds`) and draws the routes along the streets
(:func:`route_lines`).

Times are seconds from midnight of the working day, distances metres. ``pyvroom`` is an
optional dependency: it is imported only inside :func:`solve`.

Typical use::

    pts = net.snap(points)                      # depots first, then jobs
    time_s, length_m = travel_matrices(net, pts, weight="time")
    plan = solve(jobs, vehicles, time_s, length_m, time_limit_s=30)
    lines = route_lines(net, pts, plan.stops, weight="time")
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DependencyError, InputError, as_feedback

# Exploration levels of VROOM for the quality setting (1 = quick construction, 5 = thorough).
QUALITY_LEVELS = {"fast": 1, "balanced": 3, "thorough": 5}
# Stand-in for "no route" in the solver's integer matrices: a week, far above any shift, small
# enough that sums of a few never overflow VROOM's 32-bit durations.
_NO_ROUTE = 7 * 24 * 3600
# Reasons a job is not in any route (the outputs quote these).
REASON_OFF_NETWORK = "not on the network"
REASON_UNREACHABLE = "no route from a depot to it and back (one-way streets or a separate network part)"
REASON_SKILL = "no vehicle has the required skill"
REASON_CAPACITY = "its demand is above every suitable vehicle's capacity"
REASON_WINDOW = "outside every time window: no vehicle can reach it in its window within its shift"
REASON_FULL = "fleet full: the capacity or shift time of suitable vehicles went to other jobs"
REASON_BAD_WINDOW = "its time window does not parse"

JOB_COLUMNS = ("location", "demand", "service_s", "windows", "priority", "skills")
VEHICLE_COLUMNS = ("start", "end", "capacity", "shift_start_s", "shift_end_s", "skills",
                   "cost_per_km", "cost_per_hour")


# --- reading times ----------------------------------------------------------------------------
_CLOCK = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*$")


def clock_seconds(value) -> float | None:
    """Seconds from midnight of a time of day: text ``'09:30'``/``'9:30:15'``/``'9'``, a
    ``datetime.time``/``datetime``, a QTime-like object with ``hour()``/``minute()``, or a
    number of hours (``9.5`` = 09:30). ``None`` for null or empty; ``InputError`` for text
    that is not a time."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (datetime.time, datetime.datetime, pd.Timestamp)):
        return value.hour * 3600.0 + value.minute * 60.0 + value.second
    if hasattr(value, "hour") and callable(value.hour):  # QTime, without importing Qt here
        return value.hour() * 3600.0 + value.minute() * 60.0 + value.second()
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value) * 3600.0
    text = str(value).strip()
    if not text:
        return None
    m = _CLOCK.match(text)
    if not m or int(m.group(1)) > 24 or int(m.group(2) or 0) > 59 or int(m.group(3) or 0) > 59:
        raise InputError(f"{text!r} is not a time of day (use HH:MM, e.g. 09:30).")
    return int(m.group(1)) * 3600.0 + int(m.group(2) or 0) * 60.0 + int(m.group(3) or 0)


def parse_windows(value) -> list:
    """Time windows from text: ``'09:00-12:00'`` or several, ``'09:00-12:00; 14:00-16:00'``
    (a comma also separates). ``[]`` for null or empty (no window: any time)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    text = str(value).strip()
    if not text:
        return []
    windows = []
    for part in re.split(r"[;,]", text):
        if not part.strip():
            continue
        ends = part.split("-")
        if len(ends) != 2:
            raise InputError(f"{part.strip()!r} is not a time window (use HH:MM-HH:MM, e.g. 09:00-12:00).")
        windows.append(window(clock_seconds(ends[0]), clock_seconds(ends[1])))
    return sorted(windows)


def window(start_s, end_s) -> tuple:
    """One window ``(start_s, end_s)``; a missing end is the end of the day, a missing start
    midnight. An end before its start is an error."""
    start = 0.0 if start_s is None else float(start_s)
    end = 24 * 3600.0 if end_s is None else float(end_s)
    if end < start:
        raise InputError(f"A time window ends ({_clock(end)}) before it starts ({_clock(start)}).")
    return (start, end)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def parse_skills(value) -> frozenset:
    """``'wheelchair, lift'`` → ``{'wheelchair', 'lift'}`` (case-insensitive); empty for null."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return frozenset()
    return frozenset(s.strip().lower() for s in re.split(r"[;,]", str(value)) if s.strip())


# --- costs from the network -------------------------------------------------------------------
def travel_matrices(net, points, *, weight: str = "time", access_speed_kmh: float | None = None,
                    feedback=None):
    """Travel time (s) and distance (m) between every pair of snapped ``points``, measured along
    the best route by ``weight`` ('time' or 'length'), from the network engine's compiled
    many-to-many search. ``inf``/``nan`` where there is no route. ``access_speed_kmh`` adds the
    straight walk (or drive) between each point and the network at that speed."""
    if "time" not in net.graphs:
        raise InputError("Route optimisation needs travel times: no line of the network has a usable "
                         "speed. Set a speed field, speeds by class or a default speed.")
    other = "length" if weight == "time" else "time"
    cost, second = net.cost_matrix(points, points, weight=weight, secondary=other, feedback=feedback)
    time_s, length_m = (cost, second) if weight == "time" else (second, cost)
    length_m = np.where(np.isfinite(time_s), length_m, np.inf)
    if access_speed_kmh:
        snap_m = np.nan_to_num(points.snap_dist_m)
        add_m = snap_m[:, None] + snap_m[None, :]
        length_m = length_m + add_m
        time_s = time_s + add_m / (access_speed_kmh / 3.6)
    np.fill_diagonal(time_s, np.where(np.isfinite(np.diag(time_s)), 0.0, np.inf))
    np.fill_diagonal(length_m, np.where(np.isfinite(np.diag(length_m)), 0.0, np.inf))
    return time_s, length_m


# --- the problem, checked ---------------------------------------------------------------------
def _check_frames(jobs: pd.DataFrame, vehicles: pd.DataFrame, n_locations: int) -> None:
    for frame, columns, what in ((jobs, JOB_COLUMNS, "jobs"), (vehicles, VEHICLE_COLUMNS, "vehicles")):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InputError(f"The {what} table lacks {', '.join(missing)}.")
    if len(vehicles) == 0:
        raise InputError("There are no vehicles: add at least one vehicle (or depot).")
    for name in ("demand", "service_s", "priority"):
        v = jobs[name].to_numpy(float)
        if (v < 0).any():
            raise InputError(f"{(v < 0).sum()} jobs have a negative {name.replace('_s', ' time')}.")
    if (vehicles["capacity"].to_numpy(float) < 0).any():
        raise InputError("A vehicle's capacity is negative (use an empty value for no limit).")
    for name in ("cost_per_km", "cost_per_hour"):
        if (vehicles[name].to_numpy(float) < 0).any():
            raise InputError(f"A vehicle's {name.replace('_', ' ')} is negative.")
    bad = (vehicles["shift_end_s"].to_numpy(float) < vehicles["shift_start_s"].to_numpy(float))
    if bad.any():
        raise InputError(f"{int(bad.sum())} vehicles have a shift that ends before it starts.")
    for name in ("location",):
        loc = jobs[name].to_numpy(np.int64)
        if (loc >= n_locations).any():
            raise InputError("A job's location is outside the travel matrix.")


def _reach(time_s, origin: int, targets):
    if origin < 0:
        return np.zeros(len(targets))
    return time_s[origin, targets]


def unassigned_reasons(jobs: pd.DataFrame, vehicles: pd.DataFrame, time_s: np.ndarray) -> np.ndarray:
    """For each job, why no vehicle could ever serve it alone (``None`` when one could): not on
    the network (location -1), unreachable, no vehicle with its skills, demand above every
    suitable capacity, or no suitable vehicle reaches it inside a window and gets back to its
    end depot within its shift. Checked per job and vehicle, one vehicle at a time."""
    n = len(jobs)
    reasons = np.full(n, None, dtype=object)
    loc = jobs["location"].to_numpy(np.int64)
    reasons[loc < 0] = REASON_OFF_NETWORK
    on = np.flatnonzero(loc >= 0)
    demand = jobs["demand"].to_numpy(float)
    service = jobs["service_s"].to_numpy(float)
    cap = vehicles["capacity"].to_numpy(float)
    cap = np.where(np.isnan(cap), np.inf, cap)
    shift0 = vehicles["shift_start_s"].to_numpy(float)
    shift1 = vehicles["shift_end_s"].to_numpy(float)
    v_skills = list(vehicles["skills"])
    j_skills = list(jobs["skills"])
    windows = list(jobs["windows"])
    skilled = np.array([[js <= vs for vs in v_skills] for js in j_skills], dtype=bool).reshape(n, len(vehicles))
    reach = np.zeros((n, len(vehicles)), dtype=bool)
    fits = np.zeros((n, len(vehicles)), dtype=bool)
    timely = np.zeros((n, len(vehicles)), dtype=bool)
    for v in range(len(vehicles)):
        start, end = int(vehicles["start"].iat[v]), int(vehicles["end"].iat[v])
        there = _reach(time_s, start, loc[on]) if start >= 0 else np.zeros(len(on))
        back = time_s[loc[on], end] if end >= 0 else np.zeros(len(on))
        reach[on, v] = np.isfinite(there) & np.isfinite(back)
        fits[on, v] = demand[on] <= cap[v]
        arrive = shift0[v] + there
        for k, j in enumerate(on):
            if not reach[j, v]:
                continue
            for w0, w1 in (windows[j] or [(-np.inf, np.inf)]):
                begin = max(arrive[k], w0)
                if begin <= w1 and begin + service[j] + back[k] <= shift1[v]:
                    timely[j, v] = True
                    break
    for j in on:
        if not reach[j].any():
            reasons[j] = REASON_UNREACHABLE
        elif not (reach[j] & skilled[j]).any():
            reasons[j] = REASON_SKILL
        elif not (reach[j] & skilled[j] & fits[j]).any():
            reasons[j] = REASON_CAPACITY
        elif not (reach[j] & skilled[j] & fits[j] & timely[j]).any():
            reasons[j] = REASON_WINDOW
    return reasons


# --- solving ----------------------------------------------------------------------------------
@dataclass
class Plan:
    """A set of rounds. ``stops``: one row per visit in route order (``vehicle_row, sequence``
    from 0 = leaving the start depot, ``kind`` start/job/end, ``job_row`` (-1 for depots),
    ``location``, ``arrival_s``, ``waiting_s``, ``service_s``, ``departure_s``, ``load_after``,
    ``leg_length_m``, ``leg_time_s`` (the drive to this stop), ``late_s`` (service start after
    its window: only today's rounds can be late)); ``unassigned``: ``job_row, reason``;
    ``vehicles``: one row per vehicle with its totals; ``totals``: the plan's totals."""
    stops: pd.DataFrame
    unassigned: pd.DataFrame
    vehicles: pd.DataFrame
    totals: dict


def _int_matrix(m: np.ndarray, *, up: bool = False) -> np.ndarray:
    """Whole units for VROOM; ``up`` rounds times up, so the solver's schedule stays on time
    when re-timed on the exact matrices."""
    out = np.where(np.isfinite(m), np.ceil(m - 1e-9) if up else np.round(m), _NO_ROUTE)
    return np.minimum(out, _NO_ROUTE).astype(np.int64)


def solve(jobs: pd.DataFrame, vehicles: pd.DataFrame, time_s: np.ndarray, length_m: np.ndarray, *,
          objective: str = "time", time_limit_s: float | None = 30.0, quality: str = "balanced",
          threads: int = 2, feedback=None) -> Plan:
    """Optimise the rounds with VROOM on the given matrices.

    ``jobs`` columns: ``location`` (row of the matrices, -1 = not on the network), ``demand``,
    ``service_s``, ``windows`` (list of ``(start_s, end_s)``, empty = any time), ``priority``
    (0-100, higher is kept first when not all jobs fit), ``skills`` (frozenset).
    ``vehicles`` columns: ``start``/``end`` (matrix rows, -1 = none: the route starts at its
    first job or ends at its last), ``capacity`` (NaN = no limit), ``shift_start_s``,
    ``shift_end_s``, ``skills``, ``cost_per_km``, ``cost_per_hour``.
    ``objective``: 'time' (driving time; VROOM's default), 'length' (distance) or 'cost' (each
    vehicle's cost per km and per hour; hours count driving, service and waiting).
    Demands and capacities are whole units (rounded up for demand, down for capacity).
    ``time_limit_s`` bounds the search (``None``: until the quality level's search ends).
    On Linux the search runs in a child process, so Cancel stops it at once (see
    :func:`_search`); elsewhere Cancel is checked before and after it."""
    fb = as_feedback(feedback)
    n = time_s.shape[0]
    _check_frames(jobs, vehicles, n)
    if objective not in ("time", "length", "cost"):
        raise InputError(f"Unknown objective {objective!r}: use 'time', 'length' or 'cost'.")
    if quality not in QUALITY_LEVELS:
        raise InputError(f"Unknown quality {quality!r}: use one of {', '.join(QUALITY_LEVELS)}.")
    try:
        import vroom
    except ImportError as exc:
        raise DependencyError("Route optimisation needs the VROOM solver: pip install pyvroom") from exc
    fb.check()
    reasons = unassigned_reasons(jobs, vehicles, time_s)
    candidates = np.flatnonzero(pd.isna(reasons))
    problem = vroom.Input()
    problem.set_durations_matrix("car", _int_matrix(time_s, up=True))
    problem.set_distances_matrix("car", _int_matrix(length_m))
    names = sorted(set().union(*jobs["skills"], *vehicles["skills"]))
    skill_id = {name: k + 1 for k, name in enumerate(names)}
    cap = vehicles["capacity"].to_numpy(float)
    unlimited = np.isnan(cap)
    has_capacity = not unlimited.all()
    big = int(np.ceil(jobs["demand"].to_numpy(float).sum())) + 1
    for v in range(len(vehicles)):
        row = vehicles.iloc[v]
        if objective == "cost":
            costs = vroom.VehicleCosts(per_hour=int(round(row["cost_per_hour"] * 100)),
                                       per_km=int(round(row["cost_per_km"] * 100)))
        elif objective == "length":
            costs = vroom.VehicleCosts(per_hour=0, per_km=1000)
        else:
            costs = vroom.VehicleCosts(per_hour=3600, per_km=0)
        kwargs = dict(costs=costs, skills={skill_id[s] for s in row["skills"]} or None)
        if row["start"] >= 0:
            kwargs["start"] = int(row["start"])
        if row["end"] >= 0:
            kwargs["end"] = int(row["end"])
        if has_capacity:
            kwargs["capacity"] = [big if unlimited[v] else int(np.floor(cap[v]))]
        s0, s1 = row["shift_start_s"], row["shift_end_s"]
        kwargs["time_window"] = vroom.TimeWindow(int(np.ceil(s0)), int(np.floor(s1)))
        problem.add_vehicle(vroom.Vehicle(v, **kwargs))
    for j in candidates:
        row = jobs.iloc[j]
        kwargs = dict(location=int(row["location"]), default_service=int(np.ceil(row["service_s"] - 1e-9)),
                      priority=int(min(100, max(0, round(row["priority"])))),
                      skills={skill_id[s] for s in row["skills"]} or None)
        if has_capacity:
            kwargs["delivery"] = [int(np.ceil(row["demand"]))]
        if row["windows"]:
            kwargs["time_windows"] = [vroom.TimeWindow(int(np.ceil(a)), int(np.floor(b))) for a, b in row["windows"]]
        problem.add_job(vroom.Job(int(j), **kwargs))
    fb.set_progress(0.05)
    fb.log(f"Solving: {len(candidates)} jobs, {len(vehicles)} vehicles, quality {quality}, time limit "
           f"{'none' if not time_limit_s else f'{time_limit_s:g} s'}.")
    if len(candidates):
        steps = _search(problem, QUALITY_LEVELS[quality], max(1, threads), time_limit_s, fb.sub(0.05, 0.95))
    else:
        steps = pd.DataFrame(columns=_STEP_COLUMNS)
    fb.check()
    fb.set_progress(0.95)
    routes = {}
    for v, group in steps.groupby("vehicle_id", sort=True):
        sequence = [int(i) for i in group.loc[group["type"] == "job", "id"]]
        starts = group.loc[group["type"] == "start", "arrival"]
        start_s = float(starts.iloc[0]) if len(starts) else None
        routes[int(v)] = (sequence, start_s)
    served = {j for seq, _ in routes.values() for j in seq}
    left = [j for j in candidates if j not in served]
    reasons[left] = REASON_FULL
    plan = _simulate(jobs, vehicles, time_s, length_m, routes, reasons)
    fb.set_progress(1.0)
    return plan


_STEP_COLUMNS = ["vehicle_id", "type", "arrival", "id"]


def _search(problem, level: int, threads: int, time_limit_s, fb) -> pd.DataFrame:
    """VROOM's routes (``vehicle_id, type, arrival, id`` per step). pyvroom holds Python's lock
    for the whole search, which would freeze QGIS's Processing dialog and its Cancel button; on
    Linux the search therefore runs in a forked child (it touches no Qt and leaves with
    ``os._exit``) while this process polls Cancel and moves the progress bar with the clock.
    Elsewhere it runs in this process and Cancel is checked when it returns."""
    import os
    import pickle
    import select
    import signal
    import sys
    import time
    import warnings

    timeout = datetime.timedelta(seconds=float(time_limit_s)) if time_limit_s else None

    def run():
        return problem.solve(exploration_level=level, nb_threads=threads, timeout=timeout).routes[_STEP_COLUMNS]

    if not sys.platform.startswith("linux"):
        return run()
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns about fork in a threaded process
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: search, send the steps, leave without running any clean-up
        try:
            os.close(read_fd)
            try:
                payload = pickle.dumps(("ok", run().to_dict("list")))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent as text
                payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(payload)
        finally:
            os._exit(0)
    os.close(write_fd)
    chunks, started = [], time.monotonic()
    try:
        while True:
            ready, _, _ = select.select([read_fd], [], [], 0.2)
            if ready:
                chunk = os.read(read_fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                continue
            if fb.is_cancelled is not None and fb.is_cancelled():
                os.kill(pid, signal.SIGKILL)
                fb.check()
            if time_limit_s:
                fb.set_progress((time.monotonic() - started) / float(time_limit_s))
    finally:
        os.close(read_fd)
        os.waitpid(pid, 0)
    if not chunks:
        raise InputError("The VROOM solver stopped without an answer (it may have run out of memory).")
    status, value = pickle.loads(b"".join(chunks))
    if status != "ok":
        raise InputError(f"The VROOM solver failed: {value}")
    return pd.DataFrame(value, columns=_STEP_COLUMNS)


def _simulate(jobs, vehicles, time_s, length_m, routes: dict, reasons: np.ndarray) -> Plan:
    """Times, loads and totals of ``routes`` ({vehicle_row: ([job rows in order], start_s or
    None)}) on the float matrices: each vehicle leaves at ``start_s`` (None: as late as lets it
    start its first job on time, never before its shift), waits for windows, and is late when it
    reaches a job after its last window closes."""
    loc = jobs["location"].to_numpy(np.int64)
    service = jobs["service_s"].to_numpy(float)
    demand = jobs["demand"].to_numpy(float)
    windows = list(jobs["windows"])
    rows = []
    per_vehicle = []
    for v in range(len(vehicles)):
        seq, start_s = routes.get(v, ([], None))
        if not seq:
            continue
        veh = vehicles.iloc[v]
        start, end = int(veh["start"]), int(veh["end"])
        first = loc[seq[0]]
        drive0 = time_s[start, first] if start >= 0 else 0.0
        if start_s is None:
            open0 = windows[seq[0]][0][0] if windows[seq[0]] else -np.inf
            start_s = max(veh["shift_start_s"], open0 - drive0)
        load = float(demand[seq].sum())
        here, clock = start, start_s
        rows.append(dict(vehicle_row=v, sequence=0, kind="start", job_row=-1, location=start, arrival_s=clock,
                         waiting_s=0.0, service_s=0.0, departure_s=clock, load_after=load,
                         leg_length_m=0.0, leg_time_s=0.0, late_s=0.0))
        for k, j in enumerate(seq, start=1):
            drive = time_s[here, loc[j]] if here >= 0 else 0.0
            dist = length_m[here, loc[j]] if here >= 0 else 0.0
            arrive = clock + drive
            begin, late = arrive, 0.0
            if windows[j]:
                opening = [w for w in windows[j] if w[1] >= arrive]
                if opening:
                    begin = max(arrive, opening[0][0])
                else:
                    late = arrive - windows[j][-1][1]
            load -= demand[j]
            clock = begin + service[j]
            rows.append(dict(vehicle_row=v, sequence=k, kind="job", job_row=j, location=loc[j], arrival_s=arrive,
                             waiting_s=begin - arrive, service_s=service[j], departure_s=clock, load_after=load,
                             leg_length_m=dist, leg_time_s=drive, late_s=late))
            here = loc[j]
        drive = time_s[here, end] if end >= 0 else 0.0
        dist = length_m[here, end] if end >= 0 else 0.0
        clock += drive
        rows.append(dict(vehicle_row=v, sequence=len(seq) + 1, kind="end", job_row=-1, location=end,
                         arrival_s=clock, waiting_s=0.0, service_s=0.0, departure_s=clock, load_after=load,
                         leg_length_m=dist, leg_time_s=drive, late_s=0.0))
    stops = pd.DataFrame(rows, columns=["vehicle_row", "sequence", "kind", "job_row", "location", "arrival_s",
                                        "waiting_s", "service_s", "departure_s", "load_after", "leg_length_m",
                                        "leg_time_s", "late_s"])
    for v, group in stops.groupby("vehicle_row", sort=True):
        veh = vehicles.iloc[int(v)]
        length = float(group["leg_length_m"].sum())
        hours = (group["arrival_s"].iloc[-1] - group["arrival_s"].iloc[0]) / 3600.0
        per_vehicle.append(dict(
            vehicle_row=int(v), stops=int((group["kind"] == "job").sum()), length_m=length,
            driving_s=float(group["leg_time_s"].sum()), service_s=float(group["service_s"].sum()),
            waiting_s=float(group["waiting_s"].sum()), start_s=float(group["arrival_s"].iloc[0]),
            end_s=float(group["arrival_s"].iloc[-1]), load=float(group["load_after"].iloc[0]),
            late_stops=int((group["late_s"] > 0).sum()),
            overtime_s=max(0.0, float(group["arrival_s"].iloc[-1]) - float(veh["shift_end_s"])),
            cost=length / 1000.0 * veh["cost_per_km"] + hours * veh["cost_per_hour"]))
    per_vehicle = pd.DataFrame(per_vehicle, columns=[
        "vehicle_row", "stops", "length_m", "driving_s", "service_s", "waiting_s", "start_s", "end_s", "load",
        "late_stops", "overtime_s", "cost"])
    unassigned = pd.DataFrame({"job_row": np.flatnonzero(pd.notna(reasons)),
                               "reason": reasons[pd.notna(reasons)]})
    totals = dict(vehicles_used=len(per_vehicle), jobs_served=int(per_vehicle["stops"].sum()),
                  jobs_unassigned=len(unassigned), length_m=float(per_vehicle["length_m"].sum()),
                  driving_s=float(per_vehicle["driving_s"].sum()),
                  service_s=float(per_vehicle["service_s"].sum()),
                  waiting_s=float(per_vehicle["waiting_s"].sum()),
                  vehicle_s=float((per_vehicle["end_s"] - per_vehicle["start_s"]).sum()),
                  cost=float(per_vehicle["cost"].sum()), late_stops=int(per_vehicle["late_stops"].sum()),
                  overtime_s=float(per_vehicle["overtime_s"].sum()))
    return Plan(stops=stops, unassigned=unassigned, vehicles=per_vehicle, totals=totals)


def evaluate_rounds(jobs: pd.DataFrame, vehicles: pd.DataFrame, time_s: np.ndarray, length_m: np.ndarray,
                    vehicle_of_job, order) -> Plan:
    """Today's rounds priced on the same matrices as the optimised plan: ``vehicle_of_job`` is
    each job's vehicle row (-1 or NaN = not in today's rounds: listed as unassigned, reason
    'not in the current rounds'), ``order`` the visiting order within a vehicle (ties keep the
    input order). Each vehicle leaves just in time for its first job, never before its shift;
    stops reached after their window closes are counted (``late_stops``), not dropped. A job
    today's rounds visit but the network cannot reach is unassigned with its reason."""
    _check_frames(jobs, vehicles, time_s.shape[0])
    vehicle_of_job = pd.to_numeric(pd.Series(vehicle_of_job), errors="coerce").to_numpy(float)
    order = pd.to_numeric(pd.Series(order), errors="coerce").to_numpy(float)
    reasons = np.full(len(jobs), None, dtype=object)
    reasons[np.isnan(vehicle_of_job) | (vehicle_of_job < 0)] = "not in the current rounds"
    loc = jobs["location"].to_numpy(np.int64)
    reasons[loc < 0] = REASON_OFF_NETWORK
    routes = {}
    for v in range(len(vehicles)):
        mine = np.flatnonzero((vehicle_of_job == v) & pd.isna(reasons))
        if not len(mine):
            continue
        seq = list(mine[np.argsort(np.nan_to_num(order[mine], nan=np.inf), kind="stable")])
        start, end = int(vehicles["start"].iat[v]), int(vehicles["end"].iat[v])
        stations = ([start] if start >= 0 else []) + [loc[j] for j in seq] + ([end] if end >= 0 else [])
        legs = time_s[stations[:-1], stations[1:]]
        if not np.isfinite(legs).all():
            bad = [j for j in seq if not (np.isfinite(time_s[start, loc[j]]) if start >= 0 else True)
                   or not (np.isfinite(time_s[loc[j], end]) if end >= 0 else True)]
            reasons[bad or seq] = REASON_UNREACHABLE
            seq = [j for j in seq if pd.isna(reasons[j])]
        if seq:
            routes[v] = (seq, None)
    return _simulate(jobs, vehicles, time_s, length_m, routes, reasons)


# --- drawing ----------------------------------------------------------------------------------
def route_lines(net, points, stops: pd.DataFrame, *, weight: str = "time", feedback=None) -> list:
    """One LineString per vehicle (in ``stops``' vehicle order) along the streets, through
    every stop in sequence: the legs are the same best routes the matrices measured."""
    import shapely

    fb = as_feedback(feedback)
    if stops.empty:
        return []
    ordered = stops[stops["location"] >= 0].sort_values(["vehicle_row", "sequence"], kind="stable")
    a = ordered["location"].to_numpy(np.int64)
    same_vehicle = ordered["vehicle_row"].to_numpy()[:-1] == ordered["vehicle_row"].to_numpy()[1:]
    pairs = np.column_stack([a[:-1], a[1:]])[same_vehicle & (a[:-1] != a[1:])]
    uniq, inverse = np.unique(pairs, axis=0, return_inverse=True) if len(pairs) else (pairs, [])
    legs = net.routes(points, points, uniq, weight=weight, feedback=fb) if len(uniq) else []
    by_pair = {tuple(p): legs[k].geometry for k, p in enumerate(uniq)}
    out = []
    for _, group in ordered.groupby("vehicle_row", sort=True):
        fb.check()
        locs = group["location"].to_numpy(np.int64)
        coords = [np.array([[points.x[locs[0]], points.y[locs[0]]]])]
        for p, q in zip(locs[:-1], locs[1:]):
            if p == q:
                continue
            geom = by_pair.get((p, q))
            if geom is None:
                raise InputError("A route leg has no street route (the network changed?).")
            coords.append(shapely.get_coordinates(geom))
        line = np.vstack(coords)
        keep = np.ones(len(line), dtype=bool)
        keep[1:] = np.any(line[1:] != line[:-1], axis=1)
        line = line[keep]
        out.append(shapely.linestrings(line if len(line) >= 2 else np.vstack([line, line])))
    return out
