"""joinedup:serviceareas — areas reachable from facilities within cost bands."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..base import JoinedUpAlgorithm, engine_feedback
from ..network_params import add_network_parameters, network_from_parameters
from ..point_params import add_point_source


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

    INPUT = "INPUT"
    FACILITIES = "FACILITIES"
    FACILITY_ID = "FACILITY_ID"
    BANDS = "BANDS"
    LIMIT_FIELD = "LIMIT_FIELD"
    DISSOLVE = "DISSOLVE"
    NON_OVERLAPPING = "NON_OVERLAPPING"
    POLYGON_BUFFER = "POLYGON_BUFFER"
    OUTPUT = "OUTPUT"
    OUTPUT_LINES = "OUTPUT_LINES"

    def initAlgorithm(self, config=None):  # noqa: N802
        add_network_parameters(self, input_name=self.INPUT)
        add_point_source(self, self.FACILITIES, "Facilities (points)", "The places served (stations, schools...).",
                         self.FACILITY_ID, "Facility id field")
        self.add_parameter(QgsProcessingParameterString(
            self.BANDS, self.tr("Cost bands (metres or minutes, comma-separated)"), defaultValue="500,1000,1500"),
            "Cost limits of the bands, e.g. '5,10,15' minutes for Fastest or '500,1000' metres for Shortest.")
        self.add_parameter(QgsProcessingParameterField(
            self.LIMIT_FIELD, self.tr("Per-facility limit field"), parentLayerParameterName=self.FACILITIES,
            optional=True, type=QgsProcessingParameterField.DataType.Numeric),
            "Numeric field with each facility's own cost limit (metres or minutes); replaces the bands.")
        self.add_parameter(QgsProcessingParameterBoolean(self.DISSOLVE, self.tr("Dissolve per band across facilities"),
                                                         False),
                           "One polygon per band for all facilities together.")
        self.add_parameter(QgsProcessingParameterBoolean(self.NON_OVERLAPPING, self.tr("Non-overlapping catchments"),
                                                         False),
                           "Give each street to its nearest facility so the areas do not overlap.")
        self.add_parameter(QgsProcessingParameterNumber(
            self.POLYGON_BUFFER, self.tr("Polygon buffer around reached streets (metres)"),
            QgsProcessingParameterNumber.Type.Double, 25.0, minValue=0.1),
            "How far the polygon reaches either side of a reached street.")
        self.add_parameter(QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Service areas"),
                                                             QgsProcessing.SourceType.TypeVectorPolygon, optional=True),
                           "The service-area polygons (skip this output to get only the reached streets, "
                           "which is much faster).")
        self.add_parameter(QgsProcessingParameterFeatureSink(self.OUTPUT_LINES, self.tr("Reached streets"),
                                                             QgsProcessing.SourceType.TypeVectorLine, optional=True),
                           "The reached street pieces, cut at the band limits.")

    def execute(self, parameters, context, feedback):
        from ...engine.network import facility_limits, no_polygons, parse_bands, service_areas
        from .. import bridge
        from ..point_params import describe_unsnapped, read_points, take_ids

        net, st = network_from_parameters(self, parameters, context, feedback, input_name=self.INPUT,
                                          progress=(0.0, 0.15))
        fac, ids = read_points(self, parameters, self.FACILITIES, context, feedback,
                               id_field_param=self.FACILITY_ID)
        f = st.snap(net, fac)
        describe_unsnapped(feedback, "Facilities", f, ids, st.max_snap_m or 0)
        limit_field = self.parameterAsString(parameters, self.LIMIT_FIELD, context)
        limits = bands = None
        if limit_field:
            limits, skipped = facility_limits(fac[limit_field])
            if skipped:
                feedback.pushWarning(f"{skipped} facilities have a null or non-positive "
                                     f"{limit_field!r} and are skipped.")
            limits = st.to_engine(limits)
        else:
            bands = [st.to_engine(b) for b in parse_bands(self.parameterAsString(parameters, self.BANDS, context))]
        lines, polys = service_areas(
            net, f, bands=bands, limits=limits, weight=st.weight,
            dissolve=self.parameterAsBoolean(parameters, self.DISSOLVE, context),
            non_overlapping=self.parameterAsBoolean(parameters, self.NON_OVERLAPPING, context),
            polygon_buffer_m=self.parameterAsDouble(parameters, self.POLYGON_BUFFER, context),
            polygons=parameters.get(self.OUTPUT) is not None,
            feedback=engine_feedback(feedback, 0.15, 0.95))
        if polys is None:
            polys = no_polygons(net.crs)
        served = lines["facility"].nunique()
        feedback.pushInfo(f"{served} of {len(fac)} facilities reach the network; "
                          f"{len(polys)} polygons, {len(lines)} street pieces.")
        for frame in (lines, polys):
            frame.insert(0, "facility_id", take_ids(ids, frame["facility"].to_numpy()))
            frame.rename(columns={"facility": "facility_row"}, inplace=True)
            frame["band"] = st.to_user(frame["band"])
        for col in ("cost_from", "cost_to"):
            lines[col] = st.to_user(lines[col])
        results = {}
        for name, frame, kind, multi in ((self.OUTPUT, polys, "MultiPolygon", True),
                                         (self.OUTPUT_LINES, lines, "LineString", None)):
            out = bridge.write_output(self, parameters, name, context, frame, geometry_type=kind,
                                      promote_to_multi=multi)
            if out is not None:
                results[name] = out
        feedback.setProgress(100)
        return results
