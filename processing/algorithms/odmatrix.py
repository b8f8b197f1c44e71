"""joinedup:odmatrix — network cost from every origin to every destination."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
)

from ..base import JoinedUpAlgorithm, engine_feedback
from ..network_params import add_network_parameters, network_from_parameters
from ..point_params import add_point_source
from ..scale_params import add_execution_parameter, execution_from_parameters

OUTPUT_TYPES = ["Table (no geometry)", "Straight lines from origin to destination"]


class OdMatrix(JoinedUpAlgorithm):
    ALG_ID = "odmatrix"
    DISPLAY_NAME = "OD cost matrix"
    GROUP = "network"
    ICON = "odmatrix"
    TAGS = "network,od matrix,origin destination,cost matrix,distance matrix,travel time,accessibility"
    HELP = (
        "Network cost from every ORIGIN to every DESTINATION, as a table (or straight lines), in one "
        "compiled multi-source search: a city's 1,000 × 1,000 matrix takes seconds.\n\n"
        "<b>Output</b>: one row per pair: <i>origin_id, destination_id, cost</i> (metres for "
        "Shortest, minutes for Fastest), <i>length_m</i> and <i>time_min</i> measured along the same "
        "best route (time is null when the network has no speeds), and <i>reason</i> for pairs with no "
        "cost. <i>origin_row</i>/<i>destination_row</i> (from 0) tell apart features with duplicate "
        "ids.\n"
        "<b>Unreachable pairs are listed</b> with a null cost and the reason (not on network with "
        "the distance, different network parts with their numbers, one-way streets, beyond the "
        "maximum cost), never dropped.\n"
        "<b>Maximum cost</b> (0 = none): pairs costing more get a null cost (and the search stops "
        "there, which is faster).\n"
        "<b>K nearest</b> (0 = all): keep only each origin's K cheapest destinations (with "
        "<i>rank</i>); an origin reaching none gets one row with a reason.\n"
        "Costs run from snapped point to snapped point, as QGIS's shortest-path tools; an origin "
        "and a destination at the same place cost 0. Network options: see 'Check network'.")

    INPUT = "INPUT"
    ORIGINS = "ORIGINS"
    ORIGIN_ID = "ORIGIN_ID"
    DESTINATIONS = "DESTINATIONS"
    DESTINATION_ID = "DESTINATION_ID"
    MAX_COST = "MAX_COST"
    K = "K"
    OUTPUT_TYPE = "OUTPUT_TYPE"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        add_network_parameters(self, input_name=self.INPUT)
        add_point_source(self, self.ORIGINS, "Origins (points)", "Where trips start.", self.ORIGIN_ID,
                         "Origin id field")
        add_point_source(self, self.DESTINATIONS, "Destinations (points)", "Where trips end.",
                         self.DESTINATION_ID, "Destination id field")
        self.add_parameter(QgsProcessingParameterNumber(
            self.MAX_COST, self.tr("Maximum cost (metres or minutes, 0 = none)"),
            QgsProcessingParameterNumber.Type.Double, 0.0, minValue=0.0),
            "Pairs costing more than this get a null cost and the reason 'no route within "
            "the maximum cost'. Metres for Shortest, minutes for Fastest.")
        self.add_parameter(QgsProcessingParameterNumber(
            self.K, self.tr("Keep only the K nearest destinations (0 = all)"),
            QgsProcessingParameterNumber.Type.Integer, 0, minValue=0),
            "For each origin, only its K cheapest reachable destinations, ranked.")
        self.add_parameter(QgsProcessingParameterEnum(self.OUTPUT_TYPE, self.tr("Output"),
                                                      [self.tr(t) for t in OUTPUT_TYPES], defaultValue=0),
                           "A table, or straight lines from each origin to each destination (for a map).")
        self.add_parameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("OD matrix"), QgsProcessing.SourceType.TypeVector),
            "One row per origin–destination pair (see the algorithm's help for the fields).")
        add_execution_parameter(self)
        self.addOutput(QgsProcessingOutputNumber("PAIRS", self.tr("Pairs written")))
        self.addOutput(QgsProcessingOutputNumber("UNREACHABLE", self.tr("Pairs without a cost")))

    def execute(self, parameters, context, feedback):
        from ...engine.network import od_lines, od_table, point_xy
        from ...engine.scale_network import od_table_in_chunks
        from .. import bridge
        from ..point_params import describe_unsnapped, read_points, user_table

        execution = execution_from_parameters(self, parameters, context, feedback)
        net, st = network_from_parameters(self, parameters, context, feedback, input_name=self.INPUT,
                                          progress=(0.0, 0.15))
        origins, o_ids = read_points(self, parameters, self.ORIGINS, context, feedback,
                                     id_field_param=self.ORIGIN_ID)
        dests, d_ids = read_points(self, parameters, self.DESTINATIONS, context, feedback,
                                   id_field_param=self.DESTINATION_ID)
        o, d = st.snap(net, origins), st.snap(net, dests)
        describe_unsnapped(feedback, "Origins", o, o_ids, st.max_snap_m or 0)
        describe_unsnapped(feedback, "Destinations", d, d_ids, st.max_snap_m or 0)
        max_cost = self.parameterAsDouble(parameters, self.MAX_COST, context)
        k = self.parameterAsInt(parameters, self.K, context)
        options = {"weight": st.weight, "max_cost": st.to_engine(max_cost) if max_cost > 0 else None,
                   "k": k or None, "access_speed_kmh": st.access_speed_kmh}
        if execution.is_local:
            table = od_table(net, o, d, feedback=engine_feedback(feedback, 0.15, 0.85), **options)
        else:  # chunks of origins on the workers (docs/scale.md)
            table = od_table_in_chunks(net, o, d, execution=execution,
                                       feedback=engine_feedback(feedback, 0.15, 0.85), **options)
        if self.parameterAsEnum(parameters, self.OUTPUT_TYPE, context) == 1:
            table = od_lines(table, point_xy(origins, net.crs), point_xy(dests, net.crs), net.crs)
        table = user_table(table, st, {"origin_id": (o_ids, "origin_row"),
                                       "destination_id": (d_ids, "destination_row")}, reason_last=True)
        unreachable = int(table["cost"].isna().sum())
        feedback.pushInfo(f"{len(table)} pairs written, {unreachable} without a cost (see 'reason').")
        results = {"PAIRS": len(table), "UNREACHABLE": unreachable}
        results[self.OUTPUT] = bridge.write_output(self, parameters, self.OUTPUT, context, table,
                                                   geometry_type="LineString" if "geometry" in table else None)
        feedback.setProgress(100)
        return results
