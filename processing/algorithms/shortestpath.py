"""joinedup:shortestpath — routes from origins to destinations (pairs by id, or nearest)."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
)

from ..base import JoinedUpAlgorithm, engine_feedback
from ..network_params import add_network_parameters, network_from_parameters

PAIRINGS = ["Match by id: each origin to the destination with the same id",
            "Nearest: each origin to its nearest destination by network cost"]


def point_source(alg, name, label, help_text, id_name, id_label):
    p = QgsProcessingParameterFeatureSource(name, alg.tr(label), [QgsProcessing.SourceType.TypeVectorPoint])
    p.setHelp(alg.tr(help_text))
    alg.addParameter(p)
    p = QgsProcessingParameterField(id_name, alg.tr(id_label), parentLayerParameterName=name, optional=True)
    p.setHelp(alg.tr("Field identifying each feature in the outputs. Empty: the feature's row number "
                     "(from 0). Duplicate or null ids are kept and logged."))
    alg.addParameter(p)


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

    def initAlgorithm(self, config=None):  # noqa: N802
        add_network_parameters(self)
        point_source(self, "ORIGINS", "Origins (points)", "Start points of the routes.",
                     "ORIGIN_ID", "Origin id field")
        point_source(self, "DESTINATIONS", "Destinations (points)", "End points of the routes.",
                     "DESTINATION_ID", "Destination id field")
        p = QgsProcessingParameterEnum("PAIRING", self.tr("Pairing"), [self.tr(t) for t in PAIRINGS],
                                       defaultValue=0)
        p.setHelp(self.tr("Which destination each origin is routed to: the one with the same id "
                          "(needs both id fields), or the nearest by network cost."))
        self.addParameter(p)
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", self.tr("Routes"), QgsProcessing.SourceType.TypeVectorLine))
        self.addOutput(QgsProcessingOutputNumber("ROUTED", self.tr("Routed origins")))
        self.addOutput(QgsProcessingOutputNumber("UNROUTED", self.tr("Origins without a route")))

    def execute(self, parameters, context, feedback):
        import numpy as np
        from qgis.core import QgsProcessingException

        from .. import bridge
        from ..network_params import describe_unsnapped, read_points, take_ids
        from ...engine.network_tools import route_table

        net, st = network_from_parameters(self, parameters, context, feedback)
        origins, o_ids = read_points(self, parameters, "ORIGINS", context, feedback, id_field_param="ORIGIN_ID")
        dests, d_ids = read_points(self, parameters, "DESTINATIONS", context, feedback,
                                   id_field_param="DESTINATION_ID")
        o = st.snap(net, origins)
        d = st.snap(net, dests)
        describe_unsnapped(feedback, "Origins", o, o_ids, st.max_snap_m or 0)
        describe_unsnapped(feedback, "Destinations", d, d_ids, st.max_snap_m or 0)
        pairing = self.parameterAsEnum(parameters, "PAIRING", context)
        n_o = len(origins)
        extra_reason = np.full(n_o, None, dtype=object)
        if pairing == 0:
            if not (self.parameterAsString(parameters, "ORIGIN_ID", context)
                    and self.parameterAsString(parameters, "DESTINATION_ID", context)):
                raise QgsProcessingException("Match by id needs both the origin and the destination id field.")
            first = {}
            for j, v in enumerate(d_ids):  # one dict entry per destination
                first.setdefault(_key(v), j)
            dj = np.array([first.get(_key(v), -1) for v in o_ids], dtype=np.int64)
            extra_reason[dj < 0] = "no destination with this id"
        else:
            from ...engine.network_tools import closest_facilities

            r, c, _, _ = closest_facilities(net, o, d, k=1, weight=st.weight, access_speed_kmh=st.access_speed_kmh,
                                            feedback=engine_feedback(feedback, 0.2, 0.5))
            dj = np.full(n_o, -1, np.int64)
            dj[r] = c
            comp = net.edges["component"].to_numpy()
            for i in np.flatnonzero(dj < 0):  # only origins without any reachable destination
                extra_reason[i] = (f"origin not on network ({o.snap_dist_m[i]:.0f} m away)" if o.edge[i] < 0 and
                                   np.isfinite(o.snap_dist_m[i]) else "origin has no geometry" if o.edge[i] < 0
                                   else f"no reachable destination (origin in network part {comp[o.edge[i]]})")
        routed = np.flatnonzero(dj >= 0)
        table = route_table(net, o, d, np.column_stack([routed, dj[routed]]), weight=st.weight,
                            access_speed_kmh=st.access_speed_kmh,
                            origin_xy=_xy(origins, net),
                            destination_xy=_xy(dests, net), feedback=engine_feedback(feedback, 0.5, 0.9))
        out = _full_table(table, n_o, dj, extra_reason, o)
        out.insert(0, "origin_id", take_ids(o_ids, out["origin_row"].to_numpy()))
        out.insert(1, "destination_id", take_ids(d_ids, out["destination_row"].to_numpy()))
        out["cost"] = st.to_user(out["cost"])
        out["time_min"] = out.pop("time_s") / 60.0
        routed_count = int(np.isfinite(out["cost"]).sum())
        feedback.pushInfo(f"{routed_count} of {n_o} origins routed.")
        results = {"ROUTED": routed_count, "UNROUTED": n_o - routed_count}
        results["OUTPUT"] = bridge.write_output(self, parameters, "OUTPUT", context, out,
                                                geometry_type="LineString")
        feedback.setProgress(100)
        return results


def _key(value):
    """Ids compare as text so 7, 7.0 and '7' match across layers."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _xy(points, net):
    import numpy as np
    import shapely

    g = points.to_crs(net.crs) if points.crs is not None and not points.crs.equals(net.crs) else points
    out = np.full((len(g), 2), np.nan)
    geoms = np.asarray(g.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():
        out[ok] = shapely.get_coordinates(shapely.centroid(geoms[ok]))
    return out


def _full_table(table, n_o, dj, extra_reason, o):
    """Every origin once: routed rows from ``table`` plus unpaired origins with their reason."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    missing = np.flatnonzero(dj < 0)
    rest = gpd.GeoDataFrame({"origin_row": missing, "destination_row": np.full(len(missing), -1),
                             "cost": np.nan, "length_m": np.nan, "time_s": np.nan,
                             "origin_snap_m": o.snap_dist_m[missing], "destination_snap_m": np.nan,
                             "reason": extra_reason[missing]}, geometry=[None] * len(missing), crs=table.crs)
    out = pd.concat([table, rest], ignore_index=True) if len(rest) else table
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=table.crs)
    return out.sort_values("origin_row", kind="stable").reset_index(drop=True)
