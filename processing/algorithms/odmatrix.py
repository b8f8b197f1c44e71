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
from .shortestpath import point_source

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

    def initAlgorithm(self, config=None):  # noqa: N802
        add_network_parameters(self)
        point_source(self, "ORIGINS", "Origins (points)", "Where trips start.", "ORIGIN_ID", "Origin id field")
        point_source(self, "DESTINATIONS", "Destinations (points)", "Where trips end.",
                     "DESTINATION_ID", "Destination id field")
        p = QgsProcessingParameterNumber("MAX_COST", self.tr("Maximum cost (metres or minutes, 0 = none)"),
                                         QgsProcessingParameterNumber.Type.Double, 0.0, minValue=0.0)
        p.setHelp(self.tr("Pairs costing more than this get a null cost and the reason 'no route within "
                          "the maximum cost'. Metres for Shortest, minutes for Fastest."))
        self.addParameter(p)
        p = QgsProcessingParameterNumber("K", self.tr("Keep only the K nearest destinations (0 = all)"),
                                         QgsProcessingParameterNumber.Type.Integer, 0, minValue=0)
        p.setHelp(self.tr("For each origin, only its K cheapest reachable destinations, ranked."))
        self.addParameter(p)
        p = QgsProcessingParameterEnum("OUTPUT_TYPE", self.tr("Output"), [self.tr(t) for t in OUTPUT_TYPES],
                                       defaultValue=0)
        p.setHelp(self.tr("A table, or straight lines from each origin to each destination (for a map)."))
        self.addParameter(p)
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", self.tr("OD matrix"), QgsProcessing.SourceType.TypeVector))
        self.addOutput(QgsProcessingOutputNumber("PAIRS", self.tr("Pairs written")))
        self.addOutput(QgsProcessingOutputNumber("UNREACHABLE", self.tr("Pairs without a cost")))

    def execute(self, parameters, context, feedback):
        import geopandas as gpd
        import numpy as np
        import shapely

        from .. import bridge
        from ..network_params import describe_unsnapped, read_points, take_ids
        from ...engine.network_tools import od_table
        from .shortestpath import _xy

        net, st = network_from_parameters(self, parameters, context, feedback, progress=(0.0, 0.15))
        origins, o_ids = read_points(self, parameters, "ORIGINS", context, feedback, id_field_param="ORIGIN_ID")
        dests, d_ids = read_points(self, parameters, "DESTINATIONS", context, feedback,
                                   id_field_param="DESTINATION_ID")
        o, d = st.snap(net, origins), st.snap(net, dests)
        describe_unsnapped(feedback, "Origins", o, o_ids, st.max_snap_m or 0)
        describe_unsnapped(feedback, "Destinations", d, d_ids, st.max_snap_m or 0)
        max_cost = self.parameterAsDouble(parameters, "MAX_COST", context)
        k = self.parameterAsInt(parameters, "K", context)
        table = od_table(net, o, d, weight=st.weight, max_cost=st.to_engine(max_cost) if max_cost > 0 else None,
                         k=k or None, access_speed_kmh=st.access_speed_kmh,
                         feedback=engine_feedback(feedback, 0.15, 0.85))
        oi = table["origin_row"].to_numpy()
        dj = table["destination_row"].to_numpy()
        table.insert(0, "origin_id", take_ids(o_ids, oi))
        table.insert(1, "destination_id", take_ids(d_ids, dj))
        table["cost"] = st.to_user(table["cost"])
        table["time_min"] = table.pop("time_s") / 60.0
        reason = table.pop("reason")
        table["reason"] = reason
        unreachable = int(table["cost"].isna().sum())
        if self.parameterAsEnum(parameters, "OUTPUT_TYPE", context) == 1:
            oxy, dxy = _xy(origins, net), _xy(dests, net)
            a = oxy[oi]
            b = np.where((dj >= 0)[:, None], dxy[np.maximum(dj, 0)] if len(dxy) else np.nan, np.nan)
            ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
            geoms = np.full(len(table), None, dtype=object)
            if ok.any():
                geoms[ok] = shapely.linestrings(np.stack([a[ok], b[ok]], axis=1))
            table = gpd.GeoDataFrame(table, geometry=list(geoms), crs=net.crs)
        feedback.pushInfo(f"{len(table)} pairs written, {unreachable} without a cost (see 'reason').")
        results = {"PAIRS": len(table), "UNREACHABLE": unreachable}
        results["OUTPUT"] = bridge.write_output(self, parameters, "OUTPUT", context, table,
                                                geometry_type="LineString" if "geometry" in table else None)
        feedback.setProgress(100)
        return results
