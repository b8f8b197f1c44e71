"""joinedup:accessibility — accessibility scores of demand (zones or points) to facilities over
the street network: nearest cost, cumulative opportunities, gravity (Hansen), 2SFCA/E2SFCA."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..access_params import (
    NETWORK,
    add_demand_parameters,
    add_facility_parameters,
    parse_numbers,
)
from ..base import JoinedUpAlgorithm
from ..network_params import add_network_parameters

DECAYS = ["Negative exponential: exp(-β·cost)", "Power: cost^-β", "Gaussian: exp(-cost²/(2σ²))",
          "Linear: 1 - cost/limit", "Step: 1 within the limit, else 0"]
DECAY_KEYS = ["exponential", "power", "gaussian", "linear", "step"]
FCA = ["2SFCA (one catchment)", "Enhanced 2SFCA (weighted bands)", "None"]


class Accessibility(JoinedUpAlgorithm):
    ALG_ID = "accessibility"
    DISPLAY_NAME = "Accessibility to services (nearest, cumulative, gravity, 2SFCA)"
    GROUP = "access"
    ICON = "accessibility"
    TAGS = ("accessibility,access,2SFCA,E2SFCA,floating catchment,gravity,Hansen,cumulative "
            "opportunities,nearest,service,demand,supply,GP,clinic,school,library,network")
    HELP = (
        "How well each demand unit (zone or point) reaches the FACILITIES over the street network. "
        "One output row per DEMAND feature, with its own fields plus:\n"
        "<b>demand</b>: the demand used (units of the demand field; 1 per feature when none).\n"
        "<b>n_points</b>: routable points of the feature (1, or its address points).\n"
        "<b>nearest_cost</b>: cost to the nearest facility, in metres (Shortest) or minutes "
        "(Fastest); for a zone with address points, the demand-weighted mean over its points. "
        "<b>nearest_id</b>: the facility nearest to most of the feature's demand.\n"
        "<b>within_&lt;T&gt;m</b> / <b>within_&lt;T&gt;min</b>: number of facilities within each "
        "threshold T (cumulative opportunities; count, inclusive of T).\n"
        "<b>gravity</b>: Hansen accessibility Σ supply × f(cost), in supply units (e.g. GPs) "
        "weighted by the decay f (negative exponential exp(-β·cost), power cost^-β with cost below 1 "
        "taken as 1, Gaussian exp(-cost²/2σ²), linear 1 - cost/limit, step); β, σ and limit are in "
        "the cost unit.\n"
        "<b>fca_per_1000</b>: two-step floating catchment area: supply per 1,000 demand (e.g. GPs "
        "per 1,000 people). 2SFCA: each facility's supply is divided by the demand within the "
        "catchment, then summed for each demand unit over the facilities within the catchment. "
        "Enhanced 2SFCA: the same with band weights (default 1, 0.68, 0.22).\n"
        "<b>reachable_share</b>: share of the feature's demand points (0–1) that reach any facility.\n"
        "<b>snap_m</b>: mean distance in metres from the feature's points to the network.\n"
        "<b>status</b>: ok, no geometry, not on network, no facility reachable, partly unreachable, "
        "null demand (counted as 0). Every feature is in the output; measures a feature cannot have "
        "are null.\n\n"
        "Costs run from snapped point to snapped point (as QGIS's network tools) unless the walk to "
        "the network is added (advanced). Facilities not on the network are logged and reach no one. "
        "Network options: see 'Check network'.")

    THRESHOLDS = "THRESHOLDS"
    DECAY = "DECAY"
    DECAY_PARAMETER = "DECAY_PARAMETER"
    FCA_METHOD = "FCA_METHOD"
    CATCHMENT = "CATCHMENT"
    BANDS = "BANDS"
    BAND_WEIGHTS = "BAND_WEIGHTS"
    FACILITIES = "FACILITIES"
    FACILITY_ID = "FACILITY_ID"
    SUPPLY_FIELD = "SUPPLY_FIELD"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        tr = self.tr
        add_network_parameters(self, input_name=NETWORK)
        add_demand_parameters(self)
        add_facility_parameters(
            self, self.FACILITIES, "Facilities (points)", "The services: clinics, schools, libraries ...",
            id_param=self.FACILITY_ID, value_param=self.SUPPLY_FIELD, value_label="Supply field (e.g. GPs)",
            value_help="Numeric supply of each facility (GPs, places, staff) for gravity and 2SFCA. "
                       "Empty: every facility supplies 1. Null counts as 0 (logged).")
        self.add_parameter(QgsProcessingParameterString(
            self.THRESHOLDS, tr("Cumulative thresholds (metres or minutes)"), defaultValue="500, 1000, 1500"),
                           "Comma-separated costs: one within_<T> field per value, counting facilities "
                           "reachable at a cost up to T. Metres for Shortest, minutes for Fastest.")
        self.add_parameter(QgsProcessingParameterEnum(self.DECAY, tr("Gravity distance decay"),
                                                      [tr(d) for d in DECAYS], defaultValue=0),
                           "How a facility's weight falls with cost in the gravity score.")
        self.add_parameter(QgsProcessingParameterNumber(self.DECAY_PARAMETER, tr("Decay parameter (β, σ or limit)"),
                                                        QgsProcessingParameterNumber.Type.Double, 0.002, minValue=0.0),
                           "β for exponential (per metre or per minute: 0.002/m halves the weight every "
                           "347 m) and power (unitless); σ for Gaussian and the limit for linear and step, "
                           "in metres or minutes.")
        self.add_parameter(QgsProcessingParameterEnum(self.FCA_METHOD, tr("Floating catchment method"),
                                                      [tr(f) for f in FCA], defaultValue=0),
                           "2SFCA with one catchment size, enhanced 2SFCA with weighted bands, or none.")
        self.add_parameter(QgsProcessingParameterNumber(self.CATCHMENT, tr("2SFCA catchment (metres or minutes)"),
                                                        QgsProcessingParameterNumber.Type.Double, 1000.0,
                                                        minValue=0.0),
                           "Largest cost between a facility and the demand it serves (inclusive).")
        self.add_parameter(QgsProcessingParameterString(self.BANDS, tr("E2SFCA band limits (metres or minutes)"),
                                                        defaultValue="500, 1000, 1500"),
                           "Upper limits of the cost bands, increasing (e.g. '5, 10, 15' minutes); a cost "
                           "equal to a limit belongs to that band.")
        self.add_parameter(QgsProcessingParameterString(self.BAND_WEIGHTS, tr("E2SFCA band weights"),
                                                        defaultValue="1, 0.68, 0.22"),
                           "One weight (0–1) per band, nearest band first (Luo & Qi 2009: 1, 0.68, 0.22).")
        self.add_parameter(QgsProcessingParameterFeatureSink(self.OUTPUT, tr("Accessibility"),
                                                             QgsProcessing.SourceType.TypeVectorAnyGeometry),
                           "Every demand feature with its accessibility measures (see the algorithm's help).")

    def execute(self, parameters, context, feedback):
        from ...engine.access_tables import accessibility_output, accessibility_table
        from .. import bridge
        from ..access_params import demand_costs, read_demand, read_facilities, read_network, unit_label

        net, st = read_network(self, parameters, context, feedback)
        demand, units = read_demand(self, parameters, context, feedback)
        fac, ids, supply = read_facilities(self, parameters, self.FACILITIES, context, feedback,
                                           id_param=self.FACILITY_ID, value_param=self.SUPPLY_FIELD)
        thresholds = parse_numbers(self.parameterAsString(parameters, self.THRESHOLDS, context), "Thresholds")
        if any(t < 0 for t in thresholds):
            raise QgsProcessingException("Thresholds must be zero or more.")
        method = self.parameterAsEnum(parameters, self.FCA_METHOD, context)
        catchment = self.parameterAsDouble(parameters, self.CATCHMENT, context) if method == 0 else None
        if method == 0 and not catchment:
            raise QgsProcessingException("The 2SFCA catchment must be above 0.")
        bands = weights = None
        if method == 1:
            bands = parse_numbers(self.parameterAsString(parameters, self.BANDS, context), "Band limits")
            weights = parse_numbers(self.parameterAsString(parameters, self.BAND_WEIGHTS, context), "Band weights")
        cost, costs = demand_costs(net, st, units, fac, feedback, (0.15, 0.85))
        feedback.setProgress(85)
        cols, fca, near = accessibility_table(
            units, cost, supply=supply, facility_ids=ids, thresholds=thresholds,
            decay_function=DECAY_KEYS[self.parameterAsEnum(parameters, self.DECAY, context)],
            decay_parameter=self.parameterAsDouble(parameters, self.DECAY_PARAMETER, context),
            catchment=catchment, bands=bands, band_weights=weights, unit=unit_label(st))
        if fca is not None and len(fca.empty_catchments):
            feedback.pushWarning(f"{len(fca.empty_catchments)} facilities have no demand within their "
                                 "catchment: their supply reaches no one in the 2SFCA score.")
        out, status = accessibility_output(demand, units, costs, cols, near, ids)
        done = int((status == "ok").sum())
        feedback.pushInfo(f"{done} of {len(out)} demand features fully reach a facility; "
                          + ", ".join(f"{int((status == s).sum())} {s}" for s in sorted(set(status)) if s != "ok"))
        result = bridge.write_output(self, parameters, self.OUTPUT, context, out)
        feedback.setProgress(100)
        return {self.OUTPUT: result}
