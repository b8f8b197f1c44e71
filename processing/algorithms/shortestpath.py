"""joinedup:shortestpath — routes from origins to destinations (pairs by id, or nearest)."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
)

from ..base import JoinedUpAlgorithm, engine_feedback
from ..network_params import PAIRING_KEYS, PAIRINGS, add_network_parameters, network_from_parameters
from ..point_params import add_point_source


class ShortestPath(JoinedUpAlgorithm):
    ALG_ID = "shortestpath"
    DISPLAY_NAME = "Shortest paths (origins to destinations)"
    GROUP = "network"
    ICON = "route"
    TAGS = "network,shortest path,route,routing,fastest,travel time,distance,dijkstra,streets"
    HELP = (
        "Routes each ORIGIN to a DESTINATION over the street network and writes the route lines "
        "with their cost.\n\n"
        "<b>Pairing</b>: by id (an origin goes to the destination whose id equals its own: set both "
        "id fields) or each origin to its nearest destination by network cost.\n"
        "<b>Snapping</b>: as QGIS's shortest-path tools, a point snaps to the nearest point on the "
        "nearest line and costs run from snapped point to snapped point; on the same lines and points "
        "the costs equal QGIS's (ellipsoid 'None', projected layer). <i>origin_snap_m</i> and "
        "<i>destination_snap_m</i> give the distance from each point to the network; the advanced "
        "access speed adds that walk to the costs.\n"
        "<b>Output</b>: one row per origin: <i>origin_id, destination_id, cost</i> (metres for "
        "Shortest, minutes for Fastest), <i>length_m</i> and <i>time_min</i> along the route, snap "
        "distances, and <i>reason</i> when there is no route (not on network with the distance, "
        "different network parts with their numbers, one-way streets, no destination with that id). "
        "Unrouted origins are kept with a null geometry, never dropped.\n"
        "Network options (shared by all JoinedUp network tools): see 'Check network'. Origins and "
        "destinations are reprojected to the network's CRS.")

    INPUT = "INPUT"
    ORIGINS = "ORIGINS"
    ORIGIN_ID = "ORIGIN_ID"
    DESTINATIONS = "DESTINATIONS"
    DESTINATION_ID = "DESTINATION_ID"
    PAIRING = "PAIRING"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        add_network_parameters(self, input_name=self.INPUT)
        add_point_source(self, self.ORIGINS, "Origins (points)", "Start points of the routes.",
                         self.ORIGIN_ID, "Origin id field")
        add_point_source(self, self.DESTINATIONS, "Destinations (points)", "End points of the routes.",
                         self.DESTINATION_ID, "Destination id field")
        self.add_parameter(QgsProcessingParameterEnum(self.PAIRING, self.tr("Pairing"),
                                                      [self.tr(t) for t in PAIRINGS], defaultValue=0),
                           "Which destination each origin is routed to: the one with the same id "
                           "(needs both id fields), or the nearest by network cost.")
        self.add_parameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("Routes"), QgsProcessing.SourceType.TypeVectorLine),
            "One route line per origin (null geometry when it has no route, with the reason).")
        self.addOutput(QgsProcessingOutputNumber("ROUTED", self.tr("Routed origins")))
        self.addOutput(QgsProcessingOutputNumber("UNROUTED", self.tr("Origins without a route")))

    def execute(self, parameters, context, feedback):
        from ...engine.network import paired_routes, point_xy
        from .. import bridge
        from ..point_params import describe_unsnapped, read_points, user_table

        net, st = network_from_parameters(self, parameters, context, feedback, input_name=self.INPUT)
        origins, o_ids = read_points(self, parameters, self.ORIGINS, context, feedback,
                                     id_field_param=self.ORIGIN_ID)
        dests, d_ids = read_points(self, parameters, self.DESTINATIONS, context, feedback,
                                   id_field_param=self.DESTINATION_ID)
        o = st.snap(net, origins)
        d = st.snap(net, dests)
        describe_unsnapped(feedback, "Origins", o, o_ids, st.max_snap_m or 0)
        describe_unsnapped(feedback, "Destinations", d, d_ids, st.max_snap_m or 0)
        by_id = (self.parameterAsString(parameters, self.ORIGIN_ID, context)
                 and self.parameterAsString(parameters, self.DESTINATION_ID, context))
        out = paired_routes(net, o, d, point_xy(origins, net.crs), point_xy(dests, net.crs),
                            pairing=PAIRING_KEYS[self.parameterAsEnum(parameters, self.PAIRING, context)],
                            origin_ids=o_ids if by_id else None, destination_ids=d_ids if by_id else None,
                            weight=st.weight, access_speed_kmh=st.access_speed_kmh,
                            feedback=engine_feedback(feedback, 0.2, 0.9))
        out = user_table(out, st, {"origin_id": (o_ids, "origin_row"), "destination_id": (d_ids, "destination_row")})
        routed_count = int(out["cost"].notna().sum())
        feedback.pushInfo(f"{routed_count} of {len(origins)} origins routed.")
        results = {"ROUTED": routed_count, "UNROUTED": len(origins) - routed_count}
        results[self.OUTPUT] = bridge.write_output(self, parameters, self.OUTPUT, context, out,
                                                   geometry_type="LineString")
        feedback.setProgress(100)
        return results
