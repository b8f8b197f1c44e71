"""joinedup:serviceareas — areas reachable from facilities within cost bands."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..base import JoinedUpAlgorithm, engine_feedback
from ..network_params import add_network_parameters, network_from_parameters
from .shortestpath import point_source


class ServiceAreas(JoinedUpAlgorithm):
    ALG_ID = "serviceareas"
    DISPLAY_NAME = "Service areas (polygons and reached streets)"
    GROUP = "network"
    ICON = "serviceareas"
    TAGS = "network,service area,isochrone,catchment,drive time,walk time,coverage,facilities,bands"
    HELP = (
        "For each FACILITY and each cost BAND (e.g. 5, 10, 15 minutes), the streets reachable within "
        "the band and a polygon that follows them.\n\n"
        "<b>Bands</b>: comma-separated costs, metres for Shortest, minutes for Fastest.\n"
        "<b>Per-facility limit field</b> (optional): each facility's own limit (e.g. a station's "
        "response time) replaces the bands; facilities with a null or non-positive limit are skipped "
        "and counted.\n"
        "<b>Reached streets</b> (OUTPUT_LINES): every reached piece of street, partial streets cut "
        "exactly at the band limit, with <i>facility_id, band, cost_from, cost_to, length_m</i>. "
        "Each piece appears once per facility and band (unlike QGIS's own tool, which emits each "
        "reached edge from both ends).\n"
        "<b>Polygons</b> (OUTPUT): the reached streets buffered by the polygon buffer, so the area "
        "follows the streets: blocks no street reaches stay holes, and water or railway land is not "
        "filled as a convex hull would. <i>area_m2</i> and <i>reached_length_m</i> are given.\n"
        "<b>Dissolve</b>: one polygon per band across all facilities.\n"
        "<b>Non-overlapping catchments</b>: each street piece goes to its nearest facility (streets "
        "between two facilities are split where their costs meet); polygons are then cut so they do "
        "not overlap.\n"
        "Facilities not on the network (beyond the maximum snap distance or with no geometry) are "
        "skipped and listed in the log. Network options: see 'Check network'.")

    def initAlgorithm(self, config=None):  # noqa: N802
        add_network_parameters(self)
        point_source(self, "FACILITIES", "Facilities (points)", "The places served (stations, schools...).",
                     "FACILITY_ID", "Facility id field")
        p = QgsProcessingParameterString("BANDS", self.tr("Cost bands (metres or minutes, comma-separated)"),
                                         defaultValue="500,1000,1500")
        p.setHelp(self.tr("Cost limits of the bands, e.g. '5,10,15' minutes for Fastest or "
                          "'500,1000' metres for Shortest."))
        self.addParameter(p)
        p = QgsProcessingParameterField("LIMIT_FIELD", self.tr("Per-facility limit field"),
                                        parentLayerParameterName="FACILITIES", optional=True,
                                        type=QgsProcessingParameterField.DataType.Numeric)
        p.setHelp(self.tr("Numeric field with each facility's own cost limit (metres or minutes); "
                          "replaces the bands."))
        self.addParameter(p)
        p = QgsProcessingParameterBoolean("DISSOLVE", self.tr("Dissolve per band across facilities"), False)
        p.setHelp(self.tr("One polygon per band for all facilities together."))
        self.addParameter(p)
        p = QgsProcessingParameterBoolean("NON_OVERLAPPING", self.tr("Non-overlapping catchments"), False)
        p.setHelp(self.tr("Give each street to its nearest facility so the areas do not overlap."))
        self.addParameter(p)
        p = QgsProcessingParameterNumber("POLYGON_BUFFER", self.tr("Polygon buffer around reached streets (metres)"),
                                         QgsProcessingParameterNumber.Type.Double, 25.0, minValue=0.1)
        p.setHelp(self.tr("How far the polygon reaches either side of a reached street."))
        self.addParameter(p)
        p = QgsProcessingParameterFeatureSink("OUTPUT", self.tr("Service areas"),
                                              QgsProcessing.SourceType.TypeVectorPolygon, optional=True)
        p.setHelp(self.tr("The service-area polygons (skip this output to get only the reached streets, "
                          "which is much faster)."))
        self.addParameter(p)
        p = QgsProcessingParameterFeatureSink("OUTPUT_LINES", self.tr("Reached streets"),
                                              QgsProcessing.SourceType.TypeVectorLine, optional=True)
        p.setHelp(self.tr("The reached street pieces, cut at the band limits."))
        self.addParameter(p)

    def execute(self, parameters, context, feedback):
        import numpy as np

        from .. import bridge
        from ..network_params import describe_unsnapped, read_points, take_ids
        from ...engine.network_tools import service_areas

        net, st = network_from_parameters(self, parameters, context, feedback, progress=(0.0, 0.15))
        fac, ids = read_points(self, parameters, "FACILITIES", context, feedback, id_field_param="FACILITY_ID")
        f = st.snap(net, fac)
        describe_unsnapped(feedback, "Facilities", f, ids, st.max_snap_m or 0)
        limit_field = self.parameterAsString(parameters, "LIMIT_FIELD", context)
        limits = bands = None
        if limit_field:
            import pandas as pd

            raw = pd.to_numeric(fac[limit_field], errors="coerce").to_numpy(float)
            bad = ~(raw > 0)
            if bad.any():
                feedback.pushWarning(f"{int(bad.sum())} facilities have a null or non-positive "
                                     f"{limit_field!r} and are skipped.")
            limits = st.to_engine(np.where(bad, np.nan, raw))
        else:
            try:
                bands = [float(b) for b in self.parameterAsString(parameters, "BANDS", context).split(",") if b.strip()]
            except ValueError:
                raise QgsProcessingException("Cost bands must be numbers separated by commas, e.g. '5,10,15'.")
            if not bands or min(bands) <= 0:
                raise QgsProcessingException("Give at least one positive cost band, e.g. '5,10,15'.")
            bands = [st.to_engine(b) for b in bands]
        lines, polys = service_areas(
            net, f, bands=bands, limits=limits, weight=st.weight,
            dissolve=self.parameterAsBoolean(parameters, "DISSOLVE", context),
            non_overlapping=self.parameterAsBoolean(parameters, "NON_OVERLAPPING", context),
            polygon_buffer_m=self.parameterAsDouble(parameters, "POLYGON_BUFFER", context),
            polygons=parameters.get("OUTPUT") is not None,
            feedback=engine_feedback(feedback, 0.15, 0.95))
        if polys is None:
            import geopandas as gpd

            polys = gpd.GeoDataFrame({"facility": np.zeros(0, np.int64), "band": np.zeros(0)}, geometry=[],
                                     crs=net.crs)
        served = np.unique(lines["facility"].to_numpy()) if len(lines) else np.zeros(0, int)
        feedback.pushInfo(f"{len(served)} of {len(fac)} facilities reach the network; "
                          f"{len(polys)} polygons, {len(lines)} street pieces.")
        for frame in (lines, polys):
            frame.insert(0, "facility_id", take_ids(ids, frame["facility"].to_numpy()))
            frame.rename(columns={"facility": "facility_row"}, inplace=True)
            frame["band"] = st.to_user(frame["band"])
        for col in ("cost_from", "cost_to"):
            lines[col] = st.to_user(lines[col])
        results = {}
        out = bridge.write_output(self, parameters, "OUTPUT", context, polys, geometry_type="MultiPolygon",
                                  promote_to_multi=True)
        if out is not None:
            results["OUTPUT"] = out
        out = bridge.write_output(self, parameters, "OUTPUT_LINES", context, lines, geometry_type="LineString")
        if out is not None:
            results["OUTPUT_LINES"] = out
        feedback.setProgress(100)
        return results
