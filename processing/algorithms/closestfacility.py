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
from ..network_params import add_network_parameters, network_from_parameters
from .shortestpath import point_source

DIRECTIONS = ["From the incident to the facility", "From the facility to the incident"]


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

    def initAlgorithm(self, config=None):  # noqa: N802
        add_network_parameters(self)
        point_source(self, "INCIDENTS", "Incidents (points)", "Demand points, incidents or addresses.",
                     "INCIDENT_ID", "Incident id field")
        point_source(self, "FACILITIES", "Facilities (points)", "The facilities to find.",
                     "FACILITY_ID", "Facility id field")
        p = QgsProcessingParameterNumber("K", self.tr("Number of facilities per incident"),
                                         QgsProcessingParameterNumber.Type.Integer, 1, minValue=1)
        p.setHelp(self.tr("How many nearest facilities to find for each incident."))
        self.addParameter(p)
        p = QgsProcessingParameterEnum("DIRECTION", self.tr("Travel direction"), [self.tr(t) for t in DIRECTIONS],
                                       defaultValue=0)
        p.setHelp(self.tr("Whether costs run from the incident to the facility or back."))
        self.addParameter(p)
        p = QgsProcessingParameterNumber("MAX_COST", self.tr("Maximum cost (metres or minutes, 0 = none)"),
                                         QgsProcessingParameterNumber.Type.Double, 0.0, minValue=0.0)
        p.setHelp(self.tr("Facilities costing more are not considered."))
        self.addParameter(p)
        p = QgsProcessingParameterBoolean("ROUTES", self.tr("Draw routes"), True)
        p.setHelp(self.tr("Route geometry along the network; off: a straight line incident–facility."))
        self.addParameter(p)
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", self.tr("Closest facilities"), QgsProcessing.SourceType.TypeVectorLine))

    def execute(self, parameters, context, feedback):
        import geopandas as gpd
        import numpy as np
        import pandas as pd
        import shapely

        from .. import bridge
        from ..network_params import describe_unsnapped, read_points, take_ids
        from ...engine.network_tools import closest_facilities, route_table, unreachable_reasons
        from .shortestpath import _xy

        net, st = network_from_parameters(self, parameters, context, feedback, progress=(0.0, 0.15))
        inc, i_ids = read_points(self, parameters, "INCIDENTS", context, feedback, id_field_param="INCIDENT_ID")
        fac, f_ids = read_points(self, parameters, "FACILITIES", context, feedback, id_field_param="FACILITY_ID")
        s_i, s_f = st.snap(net, inc), st.snap(net, fac)
        describe_unsnapped(feedback, "Incidents", s_i, i_ids, st.max_snap_m or 0)
        describe_unsnapped(feedback, "Facilities", s_f, f_ids, st.max_snap_m or 0)
        k = self.parameterAsInt(parameters, "K", context)
        to_facility = self.parameterAsEnum(parameters, "DIRECTION", context) == 0
        max_cost = self.parameterAsDouble(parameters, "MAX_COST", context)
        r, c, rank, cost = closest_facilities(
            net, s_i, s_f, k=k, to_facility=to_facility, weight=st.weight,
            max_cost=st.to_engine(max_cost) if max_cost > 0 else None, access_speed_kmh=st.access_speed_kmh,
            feedback=engine_feedback(feedback, 0.15, 0.6))
        ixy, fxy = _xy(inc, net), _xy(fac, net)
        if to_facility:
            table = route_table(net, s_i, s_f, np.column_stack([r, c]), weight=st.weight,
                                access_speed_kmh=st.access_speed_kmh, origin_xy=ixy, destination_xy=fxy,
                                feedback=engine_feedback(feedback, 0.6, 0.95))
        else:
            table = route_table(net, s_f, s_i, np.column_stack([c, r]), weight=st.weight,
                                access_speed_kmh=st.access_speed_kmh, origin_xy=fxy, destination_xy=ixy,
                                feedback=engine_feedback(feedback, 0.6, 0.95))
            table = table.rename(columns={"origin_row": "destination_row", "destination_row": "origin_row",
                                          "origin_snap_m": "destination_snap_m",
                                          "destination_snap_m": "origin_snap_m"})
        table = table.rename(columns={"origin_row": "incident_row", "destination_row": "facility_row",
                                      "origin_snap_m": "incident_snap_m", "destination_snap_m": "facility_snap_m"})
        table.insert(2, "rank", rank)
        if not self.parameterAsBoolean(parameters, "ROUTES", context) and len(table):
            a, b = ixy[table["incident_row"].to_numpy()], fxy[table["facility_row"].to_numpy()]
            table["geometry"] = shapely.linestrings(np.stack([a, b], axis=1))
        missing = np.setdiff1d(np.arange(len(inc)), r)
        if len(missing):
            why = np.full(len(missing), "no facility within reach" if max_cost <= 0 else
                          "no facility within the maximum cost", dtype=object)
            off = s_i.edge[missing] < 0
            if off.any():
                why[off] = unreachable_reasons(net, s_i, s_i, missing[off], missing[off])
            rest = gpd.GeoDataFrame({"incident_row": missing, "facility_row": -1, "rank": 0,
                                     "cost": np.nan, "length_m": np.nan, "time_s": np.nan,
                                     "incident_snap_m": s_i.snap_dist_m[missing], "facility_snap_m": np.nan,
                                     "reason": why}, geometry=[None] * len(missing), crs=net.crs)
            table = gpd.GeoDataFrame(pd.concat([table, rest], ignore_index=True), geometry="geometry", crs=net.crs)
        table = table.sort_values(["incident_row", "rank"], kind="stable").reset_index(drop=True)
        table.insert(0, "incident_id", take_ids(i_ids, table["incident_row"].to_numpy()))
        table.insert(1, "facility_id", take_ids(f_ids, table["facility_row"].to_numpy()))
        table["cost"] = st.to_user(table["cost"])
        table["time_min"] = table.pop("time_s") / 60.0
        feedback.pushInfo(f"{len(inc) - len(missing)} of {len(inc)} incidents have a facility within reach.")
        out = bridge.write_output(self, parameters, "OUTPUT", context, table, geometry_type="LineString")
        feedback.setProgress(100)
        return {"OUTPUT": out}
