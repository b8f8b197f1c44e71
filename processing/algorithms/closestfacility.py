"""joinedup:closestfacility — each incident's K nearest facilities by network cost."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
)

from ..base import JoinedUpAlgorithm, engine_feedback
from ..network_params import (
    FACILITY_DIRECTION_KEYS,
    FACILITY_DIRECTIONS,
    add_network_parameters,
    network_from_parameters,
)
from ..point_params import add_point_source


class ClosestFacility(JoinedUpAlgorithm):
    ALG_ID = "closestfacility"
    DISPLAY_NAME = "Closest facility"
    GROUP = "network"
    ICON = "closestfacility"
    TAGS = "network,closest facility,nearest,allocation,response,fire station,hospital,routing"
    HELP = (
        "For each INCIDENT (or demand point), its K nearest FACILITIES by network cost, with the "
        "route or a straight line.\n\n"
        "<b>Direction</b>: incident → facility (e.g. walking to a clinic) or facility → incident "
        "(e.g. an ambulance leaving its station); they differ where streets are one-way.\n"
        "<b>Output</b>: one row per incident and facility found: <i>incident_id, facility_id, rank</i> "
        "(1 = nearest), <i>cost</i> (metres for Shortest, minutes for Fastest), <i>length_m</i>, "
        "<i>time_min</i>, snap distances. An incident with no facility within reach gets one row with "
        "a null facility and the <i>reason</i>: nothing is dropped.\n"
        "<b>Routes</b>: draw the network route (slower for many incidents) instead of a straight line.\n"
        "<b>Maximum cost</b> (0 = none). Ties are broken by facility order. Network options: see "
        "'Check network'.")

    INPUT = "INPUT"
    INCIDENTS = "INCIDENTS"
    INCIDENT_ID = "INCIDENT_ID"
    FACILITIES = "FACILITIES"
    FACILITY_ID = "FACILITY_ID"
    K = "K"
    DIRECTION = "DIRECTION"
    MAX_COST = "MAX_COST"
    ROUTES = "ROUTES"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        add_network_parameters(self, input_name=self.INPUT)
        add_point_source(self, self.INCIDENTS, "Incidents (points)", "Demand points, incidents or addresses.",
                         self.INCIDENT_ID, "Incident id field")
        add_point_source(self, self.FACILITIES, "Facilities (points)", "The facilities to find.",
                         self.FACILITY_ID, "Facility id field")
        self.add_parameter(QgsProcessingParameterNumber(self.K, self.tr("Number of facilities per incident"),
                                                        QgsProcessingParameterNumber.Type.Integer, 1, minValue=1),
                           "How many nearest facilities to find for each incident.")
        self.add_parameter(QgsProcessingParameterEnum(self.DIRECTION, self.tr("Travel direction"),
                                                      [self.tr(t) for t in FACILITY_DIRECTIONS], defaultValue=0),
                           "Whether costs run from the incident to the facility or back.")
        self.add_parameter(QgsProcessingParameterNumber(
            self.MAX_COST, self.tr("Maximum cost (metres or minutes, 0 = none)"),
            QgsProcessingParameterNumber.Type.Double, 0.0, minValue=0.0),
            "Facilities costing more are not considered.")
        self.add_parameter(QgsProcessingParameterBoolean(self.ROUTES, self.tr("Draw routes"), True),
                           "Route geometry along the network; off: a straight line incident–facility.")
        self.add_parameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("Closest facilities"), QgsProcessing.SourceType.TypeVectorLine),
            "One row per incident and facility found; an incident with none gets one row with the reason.")

    def execute(self, parameters, context, feedback):
        from ...engine.network import closest_facility_table, point_xy
        from .. import bridge
        from ..point_params import describe_unsnapped, read_points, user_table

        net, st = network_from_parameters(self, parameters, context, feedback, input_name=self.INPUT,
                                          progress=(0.0, 0.15))
        inc, i_ids = read_points(self, parameters, self.INCIDENTS, context, feedback,
                                 id_field_param=self.INCIDENT_ID)
        fac, f_ids = read_points(self, parameters, self.FACILITIES, context, feedback,
                                 id_field_param=self.FACILITY_ID)
        s_i, s_f = st.snap(net, inc), st.snap(net, fac)
        describe_unsnapped(feedback, "Incidents", s_i, i_ids, st.max_snap_m or 0)
        describe_unsnapped(feedback, "Facilities", s_f, f_ids, st.max_snap_m or 0)
        max_cost = self.parameterAsDouble(parameters, self.MAX_COST, context)
        table = closest_facility_table(
            net, s_i, s_f, point_xy(inc, net.crs), point_xy(fac, net.crs),
            k=self.parameterAsInt(parameters, self.K, context),
            direction=FACILITY_DIRECTION_KEYS[self.parameterAsEnum(parameters, self.DIRECTION, context)],
            weight=st.weight, max_cost=st.to_engine(max_cost) if max_cost > 0 else None,
            access_speed_kmh=st.access_speed_kmh, routes=self.parameterAsBoolean(parameters, self.ROUTES, context),
            feedback=engine_feedback(feedback, 0.15, 0.95))
        served = int(table.loc[table["facility_row"] >= 0, "incident_row"].nunique())
        table = user_table(table, st, {"incident_id": (i_ids, "incident_row"),
                                       "facility_id": (f_ids, "facility_row")})
        feedback.pushInfo(f"{served} of {len(inc)} incidents have a facility within reach.")
        out = bridge.write_output(self, parameters, self.OUTPUT, context, table, geometry_type="LineString")
        feedback.setProgress(100)
        return {self.OUTPUT: out}
