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

from ..access_params import NETWORK, _advanced, add_demand_parameters, add_facility_parameters
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
        tr = self.tr
        add_network_parameters(self, input_name=NETWORK)
        add_demand_parameters(self)
        add_facility_parameters(
            self, "CANDIDATES", "Candidate sites (points)", "Where a new service could go.",
            id_param="CANDIDATE_ID", value_param="CAPACITY_FIELD", value_label="Candidate capacity field",
            value_help="Capacity of each candidate, in demand units (capacitated p-median only). Null "
                       "counts as 0.")
        add_facility_parameters(
            self, "EXISTING", "Existing facilities (points)",
            "Services that stay open; their demand is served first. Optional.", id_param="EXISTING_ID",
            value_param="EXISTING_CAPACITY_FIELD", value_label="Existing capacity field",
            value_help="Capacity of each existing facility (capacitated p-median only).", optional=True)
        p = QgsProcessingParameterEnum("PROBLEM", tr("Problem"), [tr(x) for x in PROBLEMS], defaultValue=0)
        p.setHelp(tr("What 'best' means: see the algorithm help."))
        self.addParameter(p)
        p = QgsProcessingParameterNumber("P", tr("Number of new sites (P)"),
                                         QgsProcessingParameterNumber.Type.Integer, 3, minValue=1)
        p.setHelp(tr("How many new sites to open (not counting existing facilities). Not used by LSCP."))
        self.addParameter(p)
        p = QgsProcessingParameterNumber("THRESHOLD", tr("Coverage threshold (metres or minutes, 0 = none)"),
                                         QgsProcessingParameterNumber.Type.Double, 0.0, minValue=0.0)
        p.setHelp(tr("Needed by MCLP and LSCP; for the other problems it only reports the share of "
                     "demand covered. Metres for Shortest, minutes for Fastest; inclusive."))
        self.addParameter(p)
        p = _advanced(QgsProcessingParameterBoolean("SINGLE_SOURCE", tr("Single source (capacitated)"), False))
        p.setHelp(tr("Capacitated p-median: each demand unit goes to one site only (exact solver only; "
                     "harder). Off: a unit's demand may be split between sites."))
        self.addParameter(p)
        p = _advanced(QgsProcessingParameterEnum("SOLVER", tr("Solver"), [tr(x) for x in SOLVERS], defaultValue=0))
        p.setHelp(tr("Automatic uses the exact MILP (HiGHS) when the problem left after the Lagrangian "
                     "reduction is small enough (250,000 assignment variables), else the heuristic "
                     "answer with its proven gap."))
        self.addParameter(p)
        p = _advanced(QgsProcessingParameterNumber("TIME_LIMIT", tr("Exact solver time limit (seconds)"),
                                                   QgsProcessingParameterNumber.Type.Double, 60.0, minValue=1.0))
        p.setHelp(tr("The MILP stops here and the best answer found is kept, with its gap."))
        self.addParameter(p)
        p = QgsProcessingParameterNumber("P_MAX", tr("Compare options up to this many new sites (0 = no)"),
                                         QgsProcessingParameterNumber.Type.Integer, 0, minValue=0)
        p.setHelp(tr("Options, not one answer: also solve for P = 1, 2 … this many new sites (each its own "
                     "optimum) and write one OPTIONS row per P with demand served and covered within "
                     "THRESHOLD, mean and maximum cost, and the marginal gain of each added site (what "
                     "each extra site buys). p-median and MCLP only. 0 = no comparison."))
        self.addParameter(p)
        p = QgsProcessingParameterString("CANDIDATE_SETS", tr("Alternative candidate sets to compare"),
                                         "", multiLine=True, optional=True)
        p.setHelp(tr("Optional: your own options, one per line as 'name: id, id, …' (candidate ids from "
                     "CANDIDATE_ID), each opened as given beside the existing facilities and written as an "
                     "OPTIONS row with its gain over the existing facilities alone. An unknown id stops "
                     "the run with its name."))
        self.addParameter(p)
        p = QgsProcessingParameterFeatureSink("OPTIONS", tr("Options compared"), QgsProcessing.SourceType.TypeVector,
                                              optional=True, createByDefault=False)
        p.setHelp(tr("One row per option (existing only, best P = 1 … P_MAX, each named set): option, kind, "
                     "new_sites, sites (ids), served_demand, covered_demand and covered_pct (within THRESHOLD; "
                     "null without one), mean_cost and max_cost (metres or minutes), gain_demand (covered, "
                     "or served without a threshold, over the previous P; named sets: over existing only) "
                     "and gain_mean_cost."))
        self.addParameter(p)
        self.addParameter(QgsProcessingParameterFeatureSink("SITES", tr("Sites"),
                                                            QgsProcessing.SourceType.TypeVectorPoint))
        self.addParameter(QgsProcessingParameterFeatureSink("ALLOCATION", tr("Allocation"),
                                                            QgsProcessing.SourceType.TypeVectorLine))
        self.addParameter(QgsProcessingParameterFeatureSink("SUMMARY", tr("Before/after summary"),
                                                            QgsProcessing.SourceType.TypeVector))
        self.addOutput(QgsProcessingOutputNumber("OBJECTIVE", tr("Objective")))
        self.addOutput(QgsProcessingOutputNumber("GAP_PCT", tr("Gap to the bound (percent)")))
        self.addOutput(QgsProcessingOutputString("METHOD", tr("Method used")))

    def execute(self, parameters, context, feedback):
        import geopandas as gpd
        import numpy as np
        import pandas as pd

        from ...engine.access_inputs import allocation_tables
        from ...engine.location import solve
        from .. import bridge
        from ..access_params import (demand_costs, id_values, read_demand, read_facilities, read_network,
                                     unit_label)
        from ..base import engine_feedback

        net, st = read_network(self, parameters, context, feedback, progress=(0.0, 0.1))
        demand, units = read_demand(self, parameters, context, feedback)
        problem = PROBLEM_KEYS[self.parameterAsEnum(parameters, "PROBLEM", context)]
        cand, cand_ids, cap = read_facilities(self, parameters, "CANDIDATES", context, feedback,
                                              id_param="CANDIDATE_ID", value_param="CAPACITY_FIELD",
                                              value_what="Capacity")
        exist, ex_ids, ex_cap = read_facilities(self, parameters, "EXISTING", context, feedback,
                                                id_param="EXISTING_ID", value_param="EXISTING_CAPACITY_FIELD",
                                                value_what="Capacity", required=False)
        if exist is not None and len(exist) == 0:
            exist = None
        if problem == "cpmedian" and not self.parameterAsString(parameters, "CAPACITY_FIELD", context):
            raise QgsProcessingException("The capacitated p-median needs a candidate capacity field.")
        threshold = self.parameterAsDouble(parameters, "THRESHOLD", context)
        if problem in ("mclp", "lscp") and threshold <= 0:
            raise QgsProcessingException(f"{PROBLEMS[PROBLEM_KEYS.index(problem)]} needs a coverage "
                                         "threshold above 0.")
        unit = unit_label(st)
        cost, _ = demand_costs(net, st, units, cand, feedback, (0.1, 0.4))
        ex_cost = demand_costs(net, st, units, exist, feedback, (0.4, 0.45))[0] if exist is not None else None
        result = solve(problem, cost, demand=units.point_demand,
                       p=self.parameterAsInt(parameters, "P", context),
                       threshold=threshold if threshold > 0 else None, existing_cost=ex_cost,
                       capacity=cap if problem == "cpmedian" else None,
                       existing_capacity=ex_cap if problem == "cpmedian" and exist is not None else None,
                       single_source=self.parameterAsBoolean(parameters, "SINGLE_SOURCE", context),
                       exact=SOLVER_KEYS[self.parameterAsEnum(parameters, "SOLVER", context)],
                       time_limit_s=self.parameterAsDouble(parameters, "TIME_LIMIT", context),
                       candidate_ids=list(cand_ids), feedback=engine_feedback(feedback, 0.45, 0.95))
        for message in result.messages:
            feedback.pushInfo(message)
        if len(result.unreachable):
            feedback.pushWarning(f"{len(result.unreachable)} demand points reach no candidate or existing "
                                 "site: listed in the allocation output with reason 'reaches no site'.")
        crs = units.crs
        cand = cand.to_crs(crs) if cand.crs is not None and crs is not None and not cand.crs.equals(crs) else cand
        if exist is not None and exist.crs is not None and crs is not None and not exist.crs.equals(crs):
            exist = exist.to_crs(crs)
        sites, lines, summary = allocation_tables(
            units, result, candidates=cand, existing=exist, candidate_ids=cand_ids, existing_ids=ex_ids,
            cost=cost, existing_cost=ex_cost, unit=unit,
            capacity=cap if problem == "cpmedian" else None,
            existing_capacity=ex_cap if problem == "cpmedian" else None)
        all_ids = np.concatenate([np.asarray(ex_ids if ex_ids is not None else [], dtype=object),
                                  np.asarray(cand_ids, dtype=object)])
        s_geom = sites.pop("geometry")
        sites["site_id"] = id_values(sites["site_id"], all_ids)
        sites_gdf = gpd.GeoDataFrame(pd.DataFrame(sites), geometry=gpd.GeoSeries(s_geom, crs=crs), crs=crs)
        l_geom = lines.pop("geometry")
        lines["site_id"] = id_values(lines["site_id"], all_ids)
        lines_gdf = gpd.GeoDataFrame(pd.DataFrame(lines), geometry=gpd.GeoSeries(l_geom, crs=crs), crs=crs)
        after = result.after
        feedback.pushInfo(
            f"{problem}: {len(result.chosen)} new sites; objective {result.objective:,.2f} "
            f"({result.method}; gap {100 * result.gap:.3f} %). Mean cost {result.before.mean_cost:,.1f} → "
            f"{after.mean_cost:,.1f} {unit}; max {result.before.max_cost:,.1f} → {after.max_cost:,.1f} {unit}"
            + (f"; covered {100 * (result.before.covered_share or 0):.1f} % → {100 * after.covered_share:.1f} %"
               if after.covered_share is not None else "") + ".")
        options_dest = self._options(parameters, context, feedback, problem, cost, units, ex_cost, cand_ids,
                                     threshold)
        out = {
            "SITES": bridge.write_output(self, parameters, "SITES", context, sites_gdf, geometry_type="Point"),
            "ALLOCATION": bridge.write_output(self, parameters, "ALLOCATION", context, lines_gdf,
                                              geometry_type="LineString"),
            "SUMMARY": bridge.write_output(self, parameters, "SUMMARY", context, pd.DataFrame(summary)),
            "OBJECTIVE": float(result.objective), "GAP_PCT": float(100 * result.gap), "METHOD": result.method,
        }
        if options_dest:
            out["OPTIONS"] = options_dest
        feedback.setProgress(100)
        return out

    def _options(self, parameters, context, feedback, problem, cost, units, ex_cost, cand_ids, threshold):
        """The OPTIONS table (engine.location.compare_options), when asked for."""
        import pandas as pd

        from ...engine.location import compare_options, parse_candidate_sets
        from .. import bridge
        from ..base import engine_feedback

        p_max = self.parameterAsInt(parameters, "P_MAX", context)
        sets_text = self.parameterAsString(parameters, "CANDIDATE_SETS", context)
        if not parameters.get("OPTIONS") or (p_max <= 0 and not sets_text.strip()):
            return None
        if problem not in ("pmedian", "mclp"):
            raise QgsProcessingException("Options compare p-median or MCLP answers; choose one of those.")
        rows = compare_options(problem, cost, demand=units.point_demand, p_max=max(1, p_max),
                               threshold=threshold if threshold > 0 else None, existing_cost=ex_cost,
                               candidate_sets=parse_candidate_sets(sets_text, cand_ids),
                               candidate_ids=[str(i) for i in cand_ids],
                               exact=SOLVER_KEYS[self.parameterAsEnum(parameters, "SOLVER", context)],
                               time_limit_s=self.parameterAsDouble(parameters, "TIME_LIMIT", context),
                               feedback=engine_feedback(feedback, 0.95, 0.99))
        for r in rows:
            gain = "" if r["gain_demand"] is None else f"; gain {r['gain_demand']:,.0f}"
            feedback.pushInfo(f"Option '{r['option']}': {r['sites'] or 'no new site'}; covered "
                              f"{r['covered_demand'] if r['covered_demand'] is not None else '—'}; mean cost "
                              f"{r['mean_cost']:,.1f}{gain}.")
        return bridge.write_output(self, parameters, "OPTIONS", context, pd.DataFrame(rows))
