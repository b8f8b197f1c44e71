"""joinedup:locationallocation — choose where the next services go (p-median, MCLP, LSCP,
capacitated p-median) over the street network."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..access_params import NETWORK, add_demand_parameters, add_facility_parameters
from ..base import JoinedUpAlgorithm
from ..network_params import add_network_parameters

PROBLEMS = ["Minimise total travel (p-median)", "Maximise demand covered within the threshold (MCLP)",
            "Fewest sites covering all demand within the threshold (LSCP)",
            "Minimise total travel within site capacities (capacitated p-median)"]
PROBLEM_KEYS = ["pmedian", "mclp", "lscp", "cpmedian"]
SOLVERS = ["Automatic: exact when small enough, else heuristic with its gap",
           "Exact (MILP) whatever the size, within the time limit", "Heuristic only (with its bound)"]
SOLVER_KEYS = ["auto", "always", "never"]


class LocationAllocation(JoinedUpAlgorithm):
    CANDIDATES = "CANDIDATES"
    CANDIDATE_ID = "CANDIDATE_ID"
    CAPACITY_FIELD = "CAPACITY_FIELD"
    EXISTING = "EXISTING"
    EXISTING_ID = "EXISTING_ID"
    EXISTING_CAPACITY_FIELD = "EXISTING_CAPACITY_FIELD"
    PROBLEM = "PROBLEM"
    P = "P"
    THRESHOLD = "THRESHOLD"
    SINGLE_SOURCE = "SINGLE_SOURCE"
    SOLVER = "SOLVER"
    TIME_LIMIT = "TIME_LIMIT"
    P_MAX = "P_MAX"
    CANDIDATE_SETS = "CANDIDATE_SETS"
    OPTIONS = "OPTIONS"
    SITES = "SITES"
    ALLOCATION = "ALLOCATION"
    SUMMARY = "SUMMARY"
    OBJECTIVE = "OBJECTIVE"
    GAP_PCT = "GAP_PCT"
    METHOD = "METHOD"

    ALG_ID = "locationallocation"
    DISPLAY_NAME = "Location-allocation (where to put new services)"
    GROUP = "access"
    ICON = "locationallocation"
    TAGS = ("location-allocation,location allocation,p-median,maximal covering,MCLP,set covering,LSCP,"
            "capacitated,facility location,site selection,optimisation,clinic,school,network")
    HELP = (
        "Chooses P new sites from CANDIDATES to serve the DEMAND over the street network, keeping "
        "EXISTING facilities open when given.\n\n"
        "<b>Problems</b>: <i>p-median</i> minimises total demand-weighted travel cost; <i>MCLP</i> "
        "maximises the demand within THRESHOLD of an open site; <i>LSCP</i> finds the fewest new "
        "sites that put every coverable demand unit within THRESHOLD (P is not used; demand no "
        "candidate can cover is logged); <i>capacitated p-median</i> minimises travel while no site "
        "serves more than its capacity (a demand unit may be split between sites unless 'single "
        "source' is ticked). If the existing facilities plus the P largest candidates cannot hold "
        "the demand, the run stops with an 'Infeasible' message.\n"
        "<b>Solving</b>: greedy, then Teitz–Bart vertex substitution, then a Lagrangian bound that "
        "proves optimality or gives the gap; an exact MILP (HiGHS) when the remaining problem is "
        "small enough. The method used, the bound and the gap are in the log and the summary.\n"
        "<b>Sites</b> output: existing facilities (site_kind 'existing', rank 0) and the chosen sites "
        "(site_kind 'new', <i>rank</i> 1.. in order of marginal gain), <i>gain</i> (objective "
        "improvement that site brings, in demand × metres or demand × minutes for p-median, demand "
        "units covered for MCLP/LSCP; null for the first site when nothing existed before a "
        "p-median), <i>demand_served</i> (demand units), <i>mean_cost</i> (metres or minutes), and "
        "with capacities <i>capacity</i> and <i>load_share</i> (0–1).\n"
        "<b>Allocation</b> output: a straight line from each demand point to the site serving it, "
        "with <i>feature_row</i> (row of the demand feature, from 0), <i>demand</i>, <i>site_id</i>, "
        "<i>site_kind</i>, <i>cost</i> (metres or minutes over the network); demand that reaches no "
        "site, or is left over by capacities, has a row with no geometry and a <i>reason</i>.\n"
        "<b>Summary</b> table: rows 'before' (existing facilities only) and 'after' with the "
        "objective, total/served/covered demand, covered_pct (within THRESHOLD; null when no "
        "threshold), mean and max cost (metres or minutes), method, bound and gap_pct.\n\n"
        "Demand units are the demand points (zone centroids, address points, or demand points); "
        "zero-demand units are allocated but weigh nothing. Network options: see 'Check network'.")

    def initAlgorithm(self, config=None):  # noqa: N802
        tr, add = self.tr, self.add_parameter
        add_network_parameters(self, input_name=NETWORK)
        add_demand_parameters(self)
        add_facility_parameters(
            self, self.CANDIDATES, "Candidate sites (points)", "Where a new service could go.",
            id_param=self.CANDIDATE_ID, value_param=self.CAPACITY_FIELD, value_label="Candidate capacity field",
            value_help="Capacity of each candidate, in demand units (capacitated p-median only). Null "
                       "counts as 0.")
        add_facility_parameters(
            self, self.EXISTING, "Existing facilities (points)",
            "Services that stay open; their demand is served first. Optional.", id_param=self.EXISTING_ID,
            value_param=self.EXISTING_CAPACITY_FIELD, value_label="Existing capacity field",
            value_help="Capacity of each existing facility (capacitated p-median only).", optional=True)
        add(QgsProcessingParameterEnum(self.PROBLEM, tr("Problem"), [tr(x) for x in PROBLEMS], defaultValue=0),
            "What 'best' means: see the algorithm help.")
        add(QgsProcessingParameterNumber(self.P, tr("Number of new sites (P)"),
                                         QgsProcessingParameterNumber.Type.Integer, 3, minValue=1),
            "How many new sites to open (not counting existing facilities). Not used by LSCP.")
        add(QgsProcessingParameterNumber(self.THRESHOLD, tr("Coverage threshold (metres or minutes, 0 = none)"),
                                         QgsProcessingParameterNumber.Type.Double, 0.0, minValue=0.0),
            "Needed by MCLP and LSCP; for the other problems it only reports the share of "
            "demand covered. Metres for Shortest, minutes for Fastest; inclusive.")
        add(QgsProcessingParameterBoolean(self.SINGLE_SOURCE, tr("Single source (capacitated)"), False),
            "Capacitated p-median: each demand unit goes to one site only (exact solver only; "
            "harder). Off: a unit's demand may be split between sites.", advanced=True)
        add(QgsProcessingParameterEnum(self.SOLVER, tr("Solver"), [tr(x) for x in SOLVERS], defaultValue=0),
            "Automatic uses the exact MILP (HiGHS) when the problem left after the Lagrangian "
            "reduction is small enough (250,000 assignment variables), else the heuristic "
            "answer with its proven gap.", advanced=True)
        add(QgsProcessingParameterNumber(self.TIME_LIMIT, tr("Exact solver time limit (seconds)"),
                                         QgsProcessingParameterNumber.Type.Double, 60.0, minValue=1.0),
            "The MILP stops here and the best answer found is kept, with its gap.", advanced=True)
        add(QgsProcessingParameterNumber(self.P_MAX, tr("Compare options up to this many new sites (0 = no)"),
                                         QgsProcessingParameterNumber.Type.Integer, 0, minValue=0),
            "Options, not one answer: also solve for P = 1, 2 … this many new sites (each its own "
            "optimum) and write one OPTIONS row per P with demand served and covered within "
            "THRESHOLD, mean and maximum cost, and the marginal gain of each added site (what "
            "each extra site buys). p-median and MCLP only. 0 = no comparison.")
        add(QgsProcessingParameterString(self.CANDIDATE_SETS, tr("Alternative candidate sets to compare"),
                                         "", multiLine=True, optional=True),
            "Optional: your own options, one per line as 'name: id, id, …' (candidate ids from "
            "CANDIDATE_ID), each opened as given beside the existing facilities and written as an "
            "OPTIONS row with its gain over the existing facilities alone. An unknown id stops "
            "the run with its name.")
        add(QgsProcessingParameterFeatureSink(self.OPTIONS, tr("Options compared"),
                                              QgsProcessing.SourceType.TypeVector, optional=True,
                                              createByDefault=False),
            "One row per option (existing only, best P = 1 … P_MAX, each named set): option, kind, "
            "new_sites, sites (ids), served_demand, covered_demand and covered_pct (within THRESHOLD; "
            "null without one), mean_cost and max_cost (metres or minutes), gain_demand (covered, "
            "or served without a threshold, over the previous P; named sets: over existing only) "
            "and gain_mean_cost.")
        add(QgsProcessingParameterFeatureSink(self.SITES, tr("Sites"), QgsProcessing.SourceType.TypeVectorPoint),
            "The existing facilities and the chosen sites, with rank, gain, demand served and mean cost.")
        add(QgsProcessingParameterFeatureSink(self.ALLOCATION, tr("Allocation"),
                                              QgsProcessing.SourceType.TypeVectorLine),
            "A line from each demand point to the site serving it, with its cost; unserved demand "
            "has a row with no geometry and a reason.")
        add(QgsProcessingParameterFeatureSink(self.SUMMARY, tr("Before/after summary"),
                                              QgsProcessing.SourceType.TypeVector),
            "Rows 'before' (existing facilities only) and 'after', with objective, demand and cost.")
        self.addOutput(QgsProcessingOutputNumber(self.OBJECTIVE, tr("Objective")))
        self.addOutput(QgsProcessingOutputNumber(self.GAP_PCT, tr("Gap to the bound (percent)")))
        self.addOutput(QgsProcessingOutputString(self.METHOD, tr("Method used")))

    def execute(self, parameters, context, feedback):
        from ...engine.location import plan_services
        from .. import bridge
        from ..access_params import demand_costs, read_demand, read_facilities, read_network, unit_label
        from ..base import engine_feedback

        net, st = read_network(self, parameters, context, feedback, progress=(0.0, 0.1))
        demand, units = read_demand(self, parameters, context, feedback)
        problem = PROBLEM_KEYS[self.parameterAsEnum(parameters, self.PROBLEM, context)]
        cand, cand_ids, cap = read_facilities(self, parameters, self.CANDIDATES, context, feedback,
                                              id_param=self.CANDIDATE_ID, value_param=self.CAPACITY_FIELD,
                                              value_what="Capacity")
        exist, ex_ids, ex_cap = read_facilities(self, parameters, self.EXISTING, context, feedback,
                                                id_param=self.EXISTING_ID, value_param=self.EXISTING_CAPACITY_FIELD,
                                                value_what="Capacity", required=False)
        if exist is not None and len(exist) == 0:
            exist = None
        if problem == "cpmedian" and not self.parameterAsString(parameters, self.CAPACITY_FIELD, context):
            raise QgsProcessingException("The capacitated p-median needs a candidate capacity field.")
        threshold = self.parameterAsDouble(parameters, self.THRESHOLD, context)
        if problem in ("mclp", "lscp") and threshold <= 0:
            raise QgsProcessingException(f"{PROBLEMS[PROBLEM_KEYS.index(problem)]} needs a coverage "
                                         "threshold above 0.")
        cost, _ = demand_costs(net, st, units, cand, feedback, (0.1, 0.4))
        ex_cost = demand_costs(net, st, units, exist, feedback, (0.4, 0.45))[0] if exist is not None else None
        with_options = bool(parameters.get(self.OPTIONS))  # options are compared only when written
        plan = plan_services(
            problem, units, cost, candidates=cand, candidate_ids=cand_ids, capacity=cap,
            existing=exist, existing_ids=ex_ids, existing_cost=ex_cost, existing_capacity=ex_cap,
            p=self.parameterAsInt(parameters, self.P, context), threshold=threshold if threshold > 0 else None,
            single_source=self.parameterAsBoolean(parameters, self.SINGLE_SOURCE, context), unit=unit_label(st),
            exact=SOLVER_KEYS[self.parameterAsEnum(parameters, self.SOLVER, context)],
            time_limit_s=self.parameterAsDouble(parameters, self.TIME_LIMIT, context),
            p_max=self.parameterAsInt(parameters, self.P_MAX, context) if with_options else 0,
            candidate_sets=self.parameterAsString(parameters, self.CANDIDATE_SETS, context) if with_options else "",
            feedback=engine_feedback(feedback, 0.45, 0.99))
        for warning in plan.warnings:
            feedback.pushWarning(warning)
        result = plan.result
        out = {
            self.SITES: bridge.write_output(self, parameters, self.SITES, context, plan.sites, geometry_type="Point"),
            self.ALLOCATION: bridge.write_output(self, parameters, self.ALLOCATION, context, plan.allocation,
                                                 geometry_type="LineString"),
            self.SUMMARY: bridge.write_output(self, parameters, self.SUMMARY, context, plan.summary),
            self.OBJECTIVE: float(result.objective), self.GAP_PCT: float(100 * result.gap),
            self.METHOD: result.method,
        }
        if plan.options is not None:
            out[self.OPTIONS] = bridge.write_output(self, parameters, self.OPTIONS, context, plan.options)
        feedback.setProgress(100)
        return out
