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

    def execute(self, parameters, context, feedback):
        from ...dependencies import optional_missing_message
        from ...engine import rounds, routing
        from .. import bridge
        from ..network_params import read_points, take_ids

        problem = optional_missing_message(self.ALG_ID)
        if problem:
            raise QgsProcessingException(problem)
        net, st = network_from_parameters(self, parameters, context, feedback, progress=(0.0, 0.1))
        jobs_gdf, job_ids = read_points(self, parameters, "JOBS", context, feedback, id_field_param="JOB_ID")
        vehicles_gdf, vreport = bridge.read_source(self, parameters, "VEHICLES", context, feedback)
        feedback.pushInfo(vreport.describe())
        if len(vehicles_gdf) == 0:
            raise QgsProcessingException(f"{vreport.name} is empty: there is no vehicle to plan for.")
        depots_gdf, depot_ids = read_points(self, parameters, "DEPOTS", context, feedback, id_field_param="DEPOT_ID",
                                            required=False)
        vehicle_ids = rounds.vehicle_ids_of(vehicles_gdf,
                                            self._field(parameters, "VEHICLE_ID", context, vehicles_gdf, vreport.name))
        starts, ends, depot_points = self._depots(parameters, context, net, vehicles_gdf, vreport.name,
                                                  depots_gdf, depot_ids, vehicle_ids)
        job_points = jobs_gdf.geometry.to_crs(net.crs) if jobs_gdf.crs else jobs_gdf.geometry
        snap = st.snap(net, rounds.stop_points(depot_points, job_points, net.crs))
        used, off = rounds.depots_in_use(starts, ends, snap.edge)
        if off:
            raise QgsProcessingException(f"{len(off)} depots are not on the network (no geometry, or beyond the "
                                         "maximum snap distance): move them or raise the maximum snap distance.")
        jobs, vehicles, objective = self._tables(parameters, context, jobs_gdf, vehicles_gdf, vreport.name,
                                                 starts, ends, snap, len(depot_points))
        feedback.pushInfo(f"{len(jobs)} jobs ({int((jobs['location'] < 0).sum())} not on the network), "
                          f"{len(vehicles)} vehicles, {len(used)} depots.")
        feedback.pushInfo("Travel-time and distance matrix from the network engine…")
        time_s, length_m = routing.travel_matrices(net, snap, weight=st.weight, access_speed_kmh=st.access_speed_kmh,
                                                   feedback=engine_feedback(feedback, 0.1, 0.3))
        plan = routing.solve(jobs, vehicles, time_s, length_m, objective=objective,
                             time_limit_s=self.parameterAsDouble(parameters, "TIME_LIMIT", context) or None,
                             quality=QUALITY_KEYS[self.parameterAsEnum(parameters, "QUALITY", context)],
                             feedback=engine_feedback(feedback, 0.3, 0.8))
        rounds.mark_jobs_without_geometry(plan, snap.snap_dist_m, len(depot_points))
        current = self._todays_rounds(parameters, context, feedback, jobs_gdf, jobs, vehicles, vehicle_ids,
                                      time_s, length_m)
        feedback.setProgress(85)
        engine_feedback(feedback).check()
        geoms = routing.route_lines(net, snap, plan.stops, weight=st.weight,
                                    feedback=engine_feedback(feedback, 0.85, 0.95))
        keep = [c for c in self.parameterAsStrings(parameters, "JOB_FIELDS", context) if c in jobs_gdf.columns]
        tables = rounds.route_tables(plan, route_geoms=geoms, job_points=job_points, depot_points=depot_points,
                                     starts=starts, ends=ends, jobs=jobs_gdf, keep_fields=keep, crs=net.crs)
        for table in tables:  # the user's ids in place of the engine's rows
            for column, ids in (("vehicle", vehicle_ids), ("job", job_ids)):
                if f"{column}_row" in table.columns:
                    position = table.columns.get_loc(f"{column}_row")
                    table.insert(position, f"{column}_id", take_ids(ids, table.pop(f"{column}_row").to_numpy()))
        lines, saved_km, saved_h = rounds.plan_report(
            plan, current, n_vehicles=len(vehicles),
            days_per_week=self.parameterAsDouble(parameters, "DAYS_PER_WEEK", context))
        for line in lines:
            feedback.pushInfo(line)
        results = {
            "VEHICLES_USED": plan.totals["vehicles_used"], "JOBS_SERVED": plan.totals["jobs_served"],
            "JOBS_UNASSIGNED": plan.totals["jobs_unassigned"], "DISTANCE_KM": plan.totals["length_m"] / 1000.0,
            "COST": plan.totals["cost"], "SAVED_KM": saved_km, "SAVED_VEHICLE_HOURS": saved_h}
        for name, table, kind in zip(("ROUTES", "STOPS", "UNASSIGNED"), tables, ("LineString", "Point", "Point")):
            results[name] = bridge.write_output(self, parameters, name, context, table, geometry_type=kind)
        results["SUMMARY"] = bridge.write_output(self, parameters, "SUMMARY", context,
                                                 rounds.summary_table(plan, current, len(vehicles)))
        feedback.setProgress(100)
        return results

    # --- parameters into the engine's tables -------------------------------------------------
    def _depots(self, parameters, context, net, vehicles_gdf, vehicles_name, depots_gdf, depot_ids, vehicle_ids):
        """``(starts, ends, depot_points)``: from the depots layer through the start/end fields,
        else each vehicle's own point."""
        import numpy as np

        from ...engine import rounds

        start_field = self._field(parameters, "START_DEPOT_FIELD", context, vehicles_gdf, vehicles_name)
        end_field = self._field(parameters, "END_DEPOT_FIELD", context, vehicles_gdf, vehicles_name)
        if (start_field or end_field) and depots_gdf is None:
            raise QgsProcessingException("Start or end depot fields are set: choose the depots layer too.")
        if depots_gdf is not None and (start_field or end_field):
            starts, ends = rounds.vehicle_depots(vehicles_gdf, depot_ids, vehicle_ids, start_field=start_field,
                                                 end_field=end_field)
            return starts, ends, depots_gdf.geometry.to_crs(net.crs) if depots_gdf.crs else depots_gdf.geometry
        if vehicles_gdf.attrs.get("geometry_kind") != "point":
            raise QgsProcessingException(f"{vehicles_name} has no points: give vehicles as depot points, or "
                                         "a depots layer with start depot fields.")
        starts = np.arange(len(vehicles_gdf), dtype=np.int64)
        points = vehicles_gdf.geometry.to_crs(net.crs) if vehicles_gdf.crs else vehicles_gdf.geometry
        return starts, starts, points

    def _tables(self, parameters, context, jobs_gdf, vehicles_gdf, vehicles_name, starts, ends, snap, n_depots):
        """``(jobs, vehicles, objective)`` for :func:`engine.routing.solve`."""
        from ...engine import rounds

        def job_field(name):
            return self._field(parameters, name, context, jobs_gdf, "the jobs layer")

        def vehicle_field(name):
            return self._field(parameters, name, context, vehicles_gdf, vehicles_name)

        jobs = rounds.jobs_table(
            jobs_gdf, snapped_edge=snap.edge, n_depots=n_depots, demand_field=job_field("DEMAND_FIELD"),
            service_field=job_field("SERVICE_FIELD"),
            default_service_min=self.parameterAsDouble(parameters, "DEFAULT_SERVICE", context),
            window_field=job_field("WINDOW_FIELD"), window_end_field=job_field("WINDOW_END_FIELD"),
            priority_field=job_field("PRIORITY_FIELD"), skill_field=job_field("SKILL_FIELD"))
        objective = OBJECTIVE_KEYS[self.parameterAsEnum(parameters, "OBJECTIVE", context)]
        vehicles = rounds.vehicles_table(
            vehicles_gdf, starts=starts, ends=ends, objective=objective,
            default_shift=self.parameterAsString(parameters, "DEFAULT_SHIFT", context),
            shift_field=vehicle_field("SHIFT_FIELD"), shift_end_field=vehicle_field("SHIFT_END_FIELD"),
            capacity_field=vehicle_field("CAPACITY_FIELD"), skills_field=vehicle_field("VEHICLE_SKILLS_FIELD"),
            cost_km_field=vehicle_field("COST_KM_FIELD"), cost_hour_field=vehicle_field("COST_HOUR_FIELD"),
            cost_per_km=self.parameterAsDouble(parameters, "COST_PER_KM", context),
            cost_per_hour=self.parameterAsDouble(parameters, "COST_PER_HOUR", context))
        return jobs, vehicles, objective

    def _todays_rounds(self, parameters, context, feedback, jobs_gdf, jobs, vehicles, vehicle_ids, time_s, length_m):
        """Today's rounds evaluated like the plan, when the jobs name their vehicle; else None."""
        from ...engine import rounds

        vehicle_field = self._field(parameters, "CURRENT_VEHICLE_FIELD", context, jobs_gdf, "the jobs layer")
        if not vehicle_field:
            return None
        current, unknown = rounds.todays_rounds(
            jobs_gdf, jobs, vehicles, time_s, length_m, vehicle_ids=vehicle_ids, vehicle_field=vehicle_field,
            order_field=self._field(parameters, "CURRENT_ORDER_FIELD", context, jobs_gdf, "the jobs layer"))
        if unknown:
            feedback.pushWarning(f"Today's rounds: {unknown} jobs name a vehicle that is not in the "
                                 "vehicles layer: counted as not in today's rounds.")
        return current
