"""joinedup:routeoptimisation — plan a fleet's rounds on the street network (VROOM)."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..base import JoinedUpAlgorithm, engine_feedback
from ..network_params import add_network_parameters, network_from_parameters

OBJECTIVES = ["Travel time", "Distance", "Cost (per km and per hour of each vehicle)"]
OBJECTIVE_KEYS = ["time", "length", "cost"]
QUALITIES = ["Fast", "Balanced", "Thorough"]
QUALITY_KEYS = ["fast", "balanced", "thorough"]
PLAN_NAMES = ("optimised", "current", "saving")


def _hhmm(seconds):
    import numpy as np

    if seconds is None or not np.isfinite(seconds):
        return None
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


class RouteOptimisation(JoinedUpAlgorithm):
    ALG_ID = "routeoptimisation"
    DISPLAY_NAME = "Optimise vehicle rounds"
    GROUP = "network"
    ICON = "routeoptimisation"
    TAGS = ("network,vehicle routing,vrp,vrptw,rounds,fleet,time windows,capacity,shift,waste,meals on wheels,"
            "school transport,inspections,optimise,vroom")
    HELP = (
        "Plans the rounds of a fleet (waste and recycling, school transport, meals on wheels, care visits, "
        "inspections) over the street network: which vehicle visits which JOB, in what order and when, "
        "respecting capacities, time windows, shifts and skills, keeping travel time, distance or cost low. "
        "Solved offline by the VROOM solver (pip package <i>pyvroom</i>) on the travel-time and distance "
        "matrix of JoinedUp's own network engine: jobs never leave this computer.\n\n"
        "<b>Jobs</b> (points): demand (units of the vehicles' capacity; no field: 1 per job, null: 1), "
        "service time in minutes, time window as text <i>09:00-12:00</i> (several: <i>09:00-12:00; "
        "14:00-16:00</i>) or as two fields (start and end time, text HH:MM or a time field), priority "
        "(0-100: when not every job fits, higher ones are kept) and required skills (text, comma-separated: "
        "a job goes only to a vehicle with all of them).\n"
        "<b>Vehicles</b>: a point layer (each vehicle starts and ends at its own point) or a table of "
        "vehicles whose start and end depot fields name features of a DEPOTS point layer. Per vehicle: "
        "capacity (empty: no limit), shift (text <i>08:30-16:30</i> or two fields; default: the default "
        "shift), skills, cost per km and per hour.\n"
        "<b>Outputs</b>: <i>Routes</i>, one line per vehicle along the streets (stops, distance_km, "
        "driving, service and waiting minutes, load, start and end time, cost); <i>Stops</i> in order "
        "(sequence, arrival, waiting, service, departure, load after the stop; depots as sequence 0 and "
        "last); <i>Unassigned jobs</i> with the reason: not on the network, no route to it (one-way streets "
        "or a separate network part), no vehicle with the skill, demand above every capacity, outside "
        "every time window, or fleet full. Every job is in a route or in that layer. <i>Summary</i>: total "
        "distance, driving, service and vehicle hours, cost and vehicles used.\n"
        "<b>Today's rounds</b> (optional): give the field that names each job's vehicle today and the "
        "visiting order; they are priced on the same network and the summary and log say what the plan "
        "saves (km and vehicle-hours a day and a week). Late stops of today's rounds are counted.\n"
        "<b>Privacy</b>: outputs carry the job id and only the job fields you choose; the log holds counts "
        "only, never a job's id or address.\n"
        "<b>Search</b>: the time limit bounds the solver (seconds); quality Fast / Balanced / Thorough "
        "trades time for shorter rounds (on long rounds of 50 stops or more, Fast within the limit often beats "
        "the wider searches cut short by it). Cancel stops the search at once on Linux (elsewhere when the "
        "solver returns, at most the time limit). Network options: see 'Check network'; travel times need speeds "
        "(the default speed gives them).")

    def initAlgorithm(self, config=None):  # noqa: N802
        add_network_parameters(self)
        add = self.add_parameter

        def field(name, label, parent, help_text, *, numeric=False, multiple=False, optional=True,
                  advanced=False):
            kind = QgsProcessingParameterField.DataType.Numeric if numeric else \
                QgsProcessingParameterField.DataType.Any
            add(QgsProcessingParameterField(name, self.tr(label), None, parent, kind, allowMultiple=multiple,
                                            optional=optional), help_text, advanced)

        add(QgsProcessingParameterFeatureSource("JOBS", self.tr("Jobs (points)"),
                                                [QgsProcessing.SourceType.TypeVectorPoint]),
            "The places to visit: one point per job (a collection, a visit, an inspection).")
        field("JOB_ID", "Job id field", "JOBS",
              "Field identifying each job in the outputs. Empty: the feature's row number (from 0).")
        field("DEMAND_FIELD", "Demand field (capacity units)", "JOBS",
              "What each job takes of a vehicle's capacity (bins, seats, meals), in the vehicles' capacity "
              "units, rounded up to whole units. Empty: 1 per job; null values count 1.", numeric=True)
        field("SERVICE_FIELD", "Service time field (minutes)", "JOBS",
              "Minutes spent at each job. Null values use the default service time.", numeric=True)
        add(QgsProcessingParameterNumber("DEFAULT_SERVICE", self.tr("Default service time (minutes)"),
                                         QgsProcessingParameterNumber.Type.Double, 5.0, minValue=0.0),
            "Minutes at a job with no service time field or a null value.")
        field("WINDOW_FIELD", "Time window field (text 09:00-12:00, or start)", "JOBS",
              "When service may begin: text such as '09:00-12:00' (several windows separated by ';'), or, "
              "with a window end field, the window's start time (HH:MM text or a time). Null or empty: any "
              "time. A window that does not parse stops the run with the value's row.")
        field("WINDOW_END_FIELD", "Time window end field", "JOBS",
              "With this set, the time window field is the start and this the end (HH:MM text or a time).")
        field("PRIORITY_FIELD", "Priority field (0-100)", "JOBS",
              "When the fleet cannot do every job, higher priorities are kept first (0 lowest, 100 highest; "
              "values are clipped to 0-100, null is 0).", numeric=True)
        field("SKILL_FIELD", "Required skills field", "JOBS",
              "Skills a job needs, as text separated by commas (e.g. 'wheelchair, lift'), case-insensitive: "
              "only a vehicle with all of them may do it. Null or empty: none.")
        field("JOB_FIELDS", "Job fields to copy to the outputs", "JOBS",
              "Only these job fields go to the stops and unassigned outputs (besides the job id). Empty: none, "
              "so home addresses stay out unless you choose them.", multiple=True)
        add(QgsProcessingParameterFeatureSource("VEHICLES", self.tr("Vehicles (depot points, or a table)"),
                                                [QgsProcessing.SourceType.TypeVector]),
            "One feature per vehicle. A point layer: each vehicle starts and ends at its point. A table (or "
            "points) with start/end depot fields: the depots are features of the depots layer.")
        field("VEHICLE_ID", "Vehicle id field", "VEHICLES",
              "Field naming each vehicle in the outputs, and the values today's rounds field refers to. "
              "Empty: the row number (from 0).")
        add(QgsProcessingParameterFeatureSource("DEPOTS", self.tr("Depots (points)"),
                                                [QgsProcessing.SourceType.TypeVectorPoint], optional=True),
            "Depots the vehicles' start and end depot fields refer to (by the depot id field).")
        field("DEPOT_ID", "Depot id field", "DEPOTS",
              "Field of the depots layer that the start and end depot fields hold. Empty: row number.")
        field("START_DEPOT_FIELD", "Start depot field", "VEHICLES",
              "Vehicles field naming the depot each vehicle leaves from (needs the depots layer).")
        field("END_DEPOT_FIELD", "End depot field", "VEHICLES",
              "Vehicles field naming the depot each vehicle returns to (needs the depots layer). Empty: back "
              "to where it started; a null value: the round ends at its last job.")
        field("CAPACITY_FIELD", "Capacity field (units)", "VEHICLES",
              "How much demand a vehicle carries in one round, in the jobs' demand units (rounded down). "
              "Empty field or null value: no limit.", numeric=True)
        field("SHIFT_FIELD", "Shift field (text 08:30-16:30, or start)", "VEHICLES",
              "When the vehicle may leave its start depot and must be back at its end depot: text such as "
              "'08:30-16:30', or with a shift end field the start time. Null: the default shift.")
        field("SHIFT_END_FIELD", "Shift end field", "VEHICLES",
              "With this set, the shift field is the start and this the end (HH:MM text or a time).")
        add(QgsProcessingParameterString("DEFAULT_SHIFT", self.tr("Default shift (HH:MM-HH:MM)"),
                                         defaultValue="08:00-17:00", optional=True),
            "Shift of vehicles with no shift field or a null value. Empty: the whole day (00:00-24:00).")
        field("VEHICLE_SKILLS_FIELD", "Vehicle skills field", "VEHICLES",
              "Skills of each vehicle and crew, as text separated by commas (e.g. 'wheelchair, lift').")
        field("COST_KM_FIELD", "Cost per km field", "VEHICLES",
              "Each vehicle's running cost per kilometre (any currency). Null: the default cost per km.", numeric=True)
        add(QgsProcessingParameterNumber("COST_PER_KM", self.tr("Default cost per km"),
                                         QgsProcessingParameterNumber.Type.Double, 0.0, minValue=0.0),
            "Cost per kilometre of vehicles with no cost per km field or a null value.")
        field("COST_HOUR_FIELD", "Cost per hour field", "VEHICLES",
              "Each vehicle's cost per hour (crew and vehicle), counted from leaving the depot to returning. "
              "Null: the default cost per hour.", numeric=True)
        add(QgsProcessingParameterNumber("COST_PER_HOUR", self.tr("Default cost per hour"),
                                         QgsProcessingParameterNumber.Type.Double, 0.0, minValue=0.0),
            "Cost per hour of vehicles with no cost per hour field or a null value.")
        add(QgsProcessingParameterEnum("OBJECTIVE", self.tr("Minimise"), [self.tr(t) for t in OBJECTIVES],
                                       defaultValue=0),
            "What the plan keeps low once as many jobs as possible are served: total travel time, total "
            "distance, or cost (each vehicle's cost per km times its distance plus its cost per hour times "
            "its driving hours; the summary's cost also counts service and waiting hours).")
        add(QgsProcessingParameterNumber("TIME_LIMIT", self.tr("Solver time limit (seconds, 0 = none)"),
                                         QgsProcessingParameterNumber.Type.Double, 30.0, minValue=0.0),
            "The solver stops searching after this many seconds and returns its best plan (0: it stops when "
            "its search at the chosen quality ends). The network and the matrix take extra time.")
        add(QgsProcessingParameterEnum("QUALITY", self.tr("Quality"), [self.tr(t) for t in QUALITIES],
                                       defaultValue=1),
            "Fast: a quick good plan; Balanced; Thorough: the solver's widest search (slower, usually a few "
            "per cent shorter on large problems).")
        field("CURRENT_VEHICLE_FIELD", "Today's rounds: vehicle field", "JOBS",
              "Jobs field holding the vehicle id that does each job today (matching the vehicle id field). "
              "Set it to price today's rounds on the same network beside the plan. Null or unknown "
              "vehicles: not in today's rounds (counted).", advanced=True)
        field("CURRENT_ORDER_FIELD", "Today's rounds: visiting order field", "JOBS",
              "Order of the jobs within today's round of each vehicle (ascending). Empty: the layer's order.",
              numeric=True, advanced=True)
        add(QgsProcessingParameterNumber("DAYS_PER_WEEK", self.tr("Rounds per week (for weekly savings)"),
                                         QgsProcessingParameterNumber.Type.Double, 5.0, minValue=0.0),
            "How many times a week these rounds run: the log's weekly saving is the daily saving times this.",
            advanced=True)
        self.addParameter(QgsProcessingParameterFeatureSink(
            "ROUTES", self.tr("Routes"), QgsProcessing.SourceType.TypeVectorLine))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "STOPS", self.tr("Stops"), QgsProcessing.SourceType.TypeVectorPoint))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "UNASSIGNED", self.tr("Unassigned jobs"), QgsProcessing.SourceType.TypeVectorPoint))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "SUMMARY", self.tr("Summary"), QgsProcessing.SourceType.TypeVector))
        for name, label in (("VEHICLES_USED", "Vehicles used"), ("JOBS_SERVED", "Jobs in a route"),
                            ("JOBS_UNASSIGNED", "Jobs not in a route"), ("DISTANCE_KM", "Total distance (km)"),
                            ("COST", "Total cost"), ("SAVED_KM", "Saved against today's rounds (km a day)"),
                            ("SAVED_VEHICLE_HOURS", "Saved against today's rounds (vehicle-hours a day)")):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(label)))

    # --- reading ------------------------------------------------------------------------------
    def _field(self, parameters, name, context, gdf, layer):
        field = self.parameterAsString(parameters, name, context)
        if field and field not in gdf.columns:
            raise QgsProcessingException(f"Field {field!r} is not in {layer}.")
        return field or None

    def _windows(self, gdf, first, second, default, what):
        """A list of windows per row, from one text field or a start and an end field."""
        from ...engine.errors import InputError
        from ...engine.routing import clock_seconds, parse_windows, window

        out = []
        for row in range(len(gdf)):
            try:
                if first and second:
                    a, b = clock_seconds(gdf[first].iat[row]), clock_seconds(gdf[second].iat[row])
                    out.append([window(a, b)] if a is not None or b is not None else list(default))
                elif first:
                    value = gdf[first].iat[row]
                    got = parse_windows(value) if not hasattr(value, "hour") else [window(clock_seconds(value), None)]
                    out.append(got or list(default))
                else:
                    out.append(list(default))
            except InputError as exc:
                raise QgsProcessingException(f"{what}, row {row + 1}: {exc}") from exc
        return out

    def _numbers(self, gdf, field, default):
        import numpy as np
        import pandas as pd

        if not field:
            return np.full(len(gdf), float(default))
        values = pd.to_numeric(gdf[field], errors="coerce").to_numpy(float)
        return np.where(np.isnan(values), default, values) if default is not None else values

    def execute(self, parameters, context, feedback):
        import geopandas as gpd
        import numpy as np
        import pandas as pd

        from ...dependencies import optional_missing_message
        from ...engine.errors import InputError
        from ...engine.routing import parse_skills, parse_windows, route_lines, travel_matrices
        from .. import bridge
        from ..network_params import read_points

        problem = optional_missing_message(self.ALG_ID)
        if problem:
            raise QgsProcessingException(problem)
        from ...engine import routing

        net, st = network_from_parameters(self, parameters, context, feedback, progress=(0.0, 0.1))
        jobs_gdf, job_ids = read_points(self, parameters, "JOBS", context, feedback, id_field_param="JOB_ID")
        vehicles_gdf, vreport = bridge.read_source(self, parameters, "VEHICLES", context, feedback)
        feedback.pushInfo(vreport.describe())
        if len(vehicles_gdf) == 0:
            raise QgsProcessingException(f"{vreport.name} is empty: there is no vehicle to plan for.")
        depots_gdf, depot_ids = read_points(self, parameters, "DEPOTS", context, feedback, id_field_param="DEPOT_ID",
                                            required=False)

        def f(name):  # a jobs field parameter's value, checked
            return self._field(parameters, name, context, jobs_gdf, "the jobs layer")

        def g(name):  # a vehicles field parameter's value, checked
            return self._field(parameters, name, context, vehicles_gdf, vreport.name)

        vid_field = g("VEHICLE_ID")
        vehicle_ids = vehicles_gdf[vid_field].to_numpy() if vid_field else np.arange(len(vehicles_gdf))

        # depots: from the depots layer through the start/end fields, else each vehicle's own point
        start_field, end_field = g("START_DEPOT_FIELD"), g("END_DEPOT_FIELD")
        if (start_field or end_field) and depots_gdf is None:
            raise QgsProcessingException("Start or end depot fields are set: choose the depots layer too.")
        if depots_gdf is not None and (start_field or end_field):
            lookup = {str(v): k for k, v in enumerate(depot_ids) if v is not None}

            def depot_rows(field, fallback):
                rows = []
                for k, value in enumerate(vehicles_gdf[field] if field else fallback):
                    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
                        rows.append(-1)
                    elif str(value) in lookup:
                        rows.append(lookup[str(value)])
                    else:
                        raise QgsProcessingException(f"Vehicle {vehicle_ids[k]}: depot {value!r} is not in the "
                                                     "depots layer's id field.")
                return np.asarray(rows, np.int64)

            starts = depot_rows(start_field, [None] * len(vehicles_gdf))
            ends = depot_rows(end_field, [depot_ids[s] if s >= 0 else None for s in starts]) \
                if end_field else starts.copy()
            depot_points = depots_gdf.geometry.to_crs(net.crs) if depots_gdf.crs else depots_gdf.geometry
        else:
            if vehicles_gdf.attrs.get("geometry_kind") != "point":
                raise QgsProcessingException(f"{vreport.name} has no points: give vehicles as depot points, or "
                                             "a depots layer with start depot fields.")
            starts = ends = np.arange(len(vehicles_gdf), dtype=np.int64)
            depot_points = vehicles_gdf.geometry.to_crs(net.crs) if vehicles_gdf.crs else vehicles_gdf.geometry
        n_depots = len(depot_points)
        job_points = jobs_gdf.geometry.to_crs(net.crs) if jobs_gdf.crs else jobs_gdf.geometry
        all_points = gpd.GeoSeries(list(depot_points.values) + list(job_points.values), crs=net.crs)
        snap = st.snap(net, all_points)
        used = np.unique(np.r_[starts, ends])
        used = used[used >= 0]
        off = [d for d in used if snap.edge[d] < 0]
        if off:
            raise QgsProcessingException(f"{len(off)} depots are not on the network (no geometry, or beyond the "
                                         "maximum snap distance): move them or raise the maximum snap distance.")

        # jobs table for the engine
        demand_field = f("DEMAND_FIELD")
        demand = self._numbers(jobs_gdf, demand_field, 1.0)
        service = self._numbers(jobs_gdf, f("SERVICE_FIELD"),
                                self.parameterAsDouble(parameters, "DEFAULT_SERVICE", context)) * 60.0
        if (service < 0).any() or (demand < 0).any():
            raise QgsProcessingException("Demand and service time must not be negative "
                                         f"({int((demand < 0).sum())} negative demands, "
                                         f"{int((service < 0).sum())} negative service times).")
        windows = self._windows(jobs_gdf, f("WINDOW_FIELD"), f("WINDOW_END_FIELD"), [], "Time window")
        priority = np.clip(self._numbers(jobs_gdf, f("PRIORITY_FIELD"), 0.0), 0, 100)
        skill_field = f("SKILL_FIELD")
        skills = [parse_skills(v) for v in jobs_gdf[skill_field]] if skill_field else [frozenset()] * len(jobs_gdf)
        job_loc = np.arange(n_depots, n_depots + len(jobs_gdf), dtype=np.int64)
        job_loc = np.where(snap.edge[job_loc] >= 0, job_loc, -1)
        jobs = pd.DataFrame({"location": job_loc, "demand": demand, "service_s": service, "windows": windows,
                             "priority": priority, "skills": skills})

        # vehicles table for the engine
        try:
            default_shift = parse_windows(self.parameterAsString(parameters, "DEFAULT_SHIFT", context)) or \
                [(0.0, 24 * 3600.0)]
        except InputError as exc:
            raise QgsProcessingException(f"Default shift: {exc}") from exc
        if len(default_shift) != 1:
            raise QgsProcessingException("Default shift: give one shift, e.g. 08:30-16:30.")
        shifts = self._windows(vehicles_gdf, g("SHIFT_FIELD"), g("SHIFT_END_FIELD"), default_shift, "Shift")
        if any(len(s) != 1 for s in shifts):
            raise QgsProcessingException("A vehicle's shift must be one window, e.g. 08:30-16:30.")
        vskills = g("VEHICLE_SKILLS_FIELD")
        vehicles = pd.DataFrame({
            "start": starts, "end": ends, "capacity": self._numbers(vehicles_gdf, g("CAPACITY_FIELD"), None)
            if g("CAPACITY_FIELD") else np.full(len(vehicles_gdf), np.nan),
            "shift_start_s": [s[0][0] for s in shifts], "shift_end_s": [s[0][1] for s in shifts],
            "skills": ([parse_skills(v) for v in vehicles_gdf[vskills]] if vskills
                       else [frozenset()] * len(vehicles_gdf)),
            "cost_per_km": self._numbers(vehicles_gdf, g("COST_KM_FIELD"),
                                         self.parameterAsDouble(parameters, "COST_PER_KM", context)),
            "cost_per_hour": self._numbers(vehicles_gdf, g("COST_HOUR_FIELD"),
                                           self.parameterAsDouble(parameters, "COST_PER_HOUR", context))})
        objective = OBJECTIVE_KEYS[self.parameterAsEnum(parameters, "OBJECTIVE", context)]
        if objective == "cost" and not ((vehicles["cost_per_km"] > 0) | (vehicles["cost_per_hour"] > 0)).any():
            raise QgsProcessingException("Minimise cost needs a cost per km or per hour for the vehicles.")
        feedback.pushInfo(f"{len(jobs)} jobs ({int((job_loc < 0).sum())} not on the network), "
                          f"{len(vehicles)} vehicles, {len(used)} depots.")

        # costs from the network engine, then the solver
        feedback.pushInfo("Travel-time and distance matrix from the network engine…")
        time_s, length_m = travel_matrices(net, snap, weight=st.weight, access_speed_kmh=st.access_speed_kmh,
                                           feedback=engine_feedback(feedback, 0.1, 0.3))
        time_limit = self.parameterAsDouble(parameters, "TIME_LIMIT", context)
        plan = routing.solve(jobs, vehicles, time_s, length_m, objective=objective,
                             time_limit_s=time_limit or None,
                             quality=QUALITY_KEYS[self.parameterAsEnum(parameters, "QUALITY", context)],
                             feedback=engine_feedback(feedback, 0.3, 0.8))
        no_geom = np.isnan(snap.snap_dist_m[n_depots:])
        if no_geom.any():
            plan.unassigned.loc[no_geom[plan.unassigned["job_row"].to_numpy()], "reason"] = "no geometry"

        current = None
        cur_field = f("CURRENT_VEHICLE_FIELD")
        if cur_field:
            index = {str(v): k for k, v in enumerate(vehicle_ids)}
            cur = [index.get(str(v), -1) if not pd.isna(v) else -1 for v in jobs_gdf[cur_field]]
            order_field = f("CURRENT_ORDER_FIELD")
            order = self._numbers(jobs_gdf, order_field, None) if order_field else np.arange(len(jobs_gdf), dtype=float)
            unknown = sum(1 for v, k in zip(jobs_gdf[cur_field], cur) if not pd.isna(v) and k < 0)
            if unknown:
                feedback.pushWarning(f"Today's rounds: {unknown} jobs name a vehicle that is not in the "
                                     "vehicles layer: counted as not in today's rounds.")
            current = routing.evaluate_rounds(jobs, vehicles, time_s, length_m, cur, order)
        feedback.setProgress(85)
        if feedback.isCanceled():
            from ...engine.errors import EngineCancelled

            raise EngineCancelled("Cancelled by the user.")

        # outputs
        geoms = route_lines(net, snap, plan.stops, weight=st.weight, feedback=engine_feedback(feedback, 0.85, 0.95))
        keep_fields = [c for c in self.parameterAsStrings(parameters, "JOB_FIELDS", context) if c in jobs_gdf.columns]
        from ..network_params import take_ids

        pv = plan.vehicles
        routes = gpd.GeoDataFrame({
            "vehicle_id": take_ids(vehicle_ids, pv["vehicle_row"]),
            "stops": pv["stops"], "distance_km": pv["length_m"] / 1000.0, "driving_min": pv["driving_s"] / 60.0,
            "service_min": pv["service_s"] / 60.0, "waiting_min": pv["waiting_s"] / 60.0, "load": pv["load"],
            "start": [_hhmm(s) for s in pv["start_s"]], "end": [_hhmm(s) for s in pv["end_s"]],
            "cost": pv["cost"]}, geometry=geoms, crs=net.crs)
        stops = plan.stops
        job_row = stops["job_row"].to_numpy()
        is_job = job_row >= 0
        depot_of = np.where(stops["kind"] == "start", starts[stops["vehicle_row"]], ends[stops["vehicle_row"]])
        stop_geom = [job_points.iat[j] if j >= 0 else depot_points.iat[d] if d >= 0 else None
                     for j, d in zip(job_row, depot_of)]
        stops_out = gpd.GeoDataFrame({
            "vehicle_id": take_ids(vehicle_ids, stops["vehicle_row"]), "sequence": stops["sequence"],
            "kind": stops["kind"], "job_id": take_ids(job_ids, np.where(is_job, job_row, -1)),
            "arrival": [_hhmm(s) for s in stops["arrival_s"]], "waiting_min": stops["waiting_s"] / 60.0,
            "service_min": stops["service_s"] / 60.0, "departure": [_hhmm(s) for s in stops["departure_s"]],
            "load_after": stops["load_after"], "leg_km": stops["leg_length_m"] / 1000.0,
            "leg_min": stops["leg_time_s"] / 60.0}, geometry=stop_geom, crs=net.crs)
        for c in keep_fields:
            values = jobs_gdf[c].reset_index(drop=True)
            stops_out[c] = values.iloc[np.maximum(job_row, 0)].where(is_job).reset_index(drop=True) \
                if len(values) else None
        un = plan.unassigned
        un_out = gpd.GeoDataFrame({"job_id": take_ids(job_ids, un["job_row"]), "reason": un["reason"].astype(str)},
                                  geometry=[job_points.iat[j] for j in un["job_row"]], crs=net.crs)
        for c in keep_fields:
            un_out[c] = jobs_gdf[c].iloc[un["job_row"].to_numpy()].reset_index(drop=True)
        summary = self._summary(plan, current, len(vehicles))
        results = {
            "VEHICLES_USED": plan.totals["vehicles_used"], "JOBS_SERVED": plan.totals["jobs_served"],
            "JOBS_UNASSIGNED": plan.totals["jobs_unassigned"], "DISTANCE_KM": plan.totals["length_m"] / 1000.0,
            "COST": plan.totals["cost"], "SAVED_KM": None, "SAVED_VEHICLE_HOURS": None}
        feedback.pushInfo(f"Plan: {plan.totals['jobs_served']} jobs in {plan.totals['vehicles_used']} rounds "
                          f"({len(vehicles)} vehicles available), "
                          f"{plan.totals['length_m'] / 1000:.1f} km, {plan.totals['vehicle_s'] / 3600:.1f} "
                          f"vehicle-hours; {plan.totals['jobs_unassigned']} jobs not in a route"
                          + (f" ({', '.join(f'{n} {r}' for r, n in un['reason'].value_counts().items())})"
                             if len(un) else "") + ".")
        if current is not None:
            saved_km = (current.totals["length_m"] - plan.totals["length_m"]) / 1000.0
            saved_h = (current.totals["vehicle_s"] - plan.totals["vehicle_s"]) / 3600.0
            week = self.parameterAsDouble(parameters, "DAYS_PER_WEEK", context)
            results.update(SAVED_KM=saved_km, SAVED_VEHICLE_HOURS=saved_h)
            feedback.pushInfo(
                f"Today's rounds: {current.totals['jobs_served']} jobs, {current.totals['length_m'] / 1000:.1f} km, "
                f"{current.totals['vehicle_s'] / 3600:.1f} vehicle-hours, {current.totals['late_stops']} late stops. "
                f"The optimised rounds save {saved_km:.1f} km and {saved_h:.1f} vehicle-hours a day "
                f"({saved_km * week:.1f} km and {saved_h * week:.1f} vehicle-hours a week at {week:g} days)"
                + ("" if current.totals["jobs_served"] == plan.totals["jobs_served"] else
                   f"; note the plan serves {plan.totals['jobs_served']} jobs, today's rounds "
                   f"{current.totals['jobs_served']}") + ".")
        results["ROUTES"] = bridge.write_output(self, parameters, "ROUTES", context, routes,
                                                geometry_type="LineString")
        results["STOPS"] = bridge.write_output(self, parameters, "STOPS", context, stops_out, geometry_type="Point")
        results["UNASSIGNED"] = bridge.write_output(self, parameters, "UNASSIGNED", context, un_out,
                                                    geometry_type="Point")
        results["SUMMARY"] = bridge.write_output(self, parameters, "SUMMARY", context, summary)
        feedback.setProgress(100)
        return results

    @staticmethod
    def _summary(plan, current, n_vehicles):
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
