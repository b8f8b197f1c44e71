"""joinedup:networkflows — per-edge usage from matched routes or an OD table."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
)

from ..base import JoinedUpAlgorithm, engine_feedback
from ..network_params import add_network_parameters, network_from_parameters
from ..scale_params import add_execution_parameter, execution_from_parameters

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class NetworkFlows(JoinedUpAlgorithm):
    ALG_ID = "networkflows"
    DISPLAY_NAME = "Network flows"
    GROUP = "movement"
    ICON = "networkflows"
    TAGS = "flow,count,volume,traffic,assignment,od,all-or-nothing,edge,movement"
    HELP = (
        "Counts how much each network edge is used, from one of two sources:\n"
        "- ROUTES: the matched routes of Map-match GPS tracks (their 'edge_ids' field). Each "
        "edge gets 'passages' (traversals; a track coming back along a street counts twice) and "
        "'tracks' (distinct track ids), in total and per value of CATEGORY_FIELD "
        "(passages_<value>, tracks_<value>). Filters: a time-of-day window HOUR_FROM–HOUR_TO "
        "(decimal hours of the route's start time as stored; 22 to 6 wraps past midnight; 0 to 24, "
        "the default, is all day) and "
        "WEEKDAYS. Routes outside the filters, with no time while a filter is set, with no "
        "track id or that did not move are counted in the log. The network parameters must be "
        "the ones used for matching (same lines, mode, one-way and tolerance): edge ids are "
        "checked and a mismatch stops the run.\n"
        "- OD: origin–destination lines (start = origin, end = destination) with a VOLUME_FIELD, "
        "assigned all-or-nothing: each row's volume is added to every edge of its shortest "
        "path (by STRATEGY: shortest or fastest), including the partial edges at the ends. Per OD_CATEGORY_FIELD value "
        "too (volume_<value>). Rows farther than MAX_SNAP (0 = no limit) from the network, unreachable, or "
        "with a null/negative volume are not assigned and are counted in the log.\n\n"
        "OUTPUT: the network edges (edge_id, source_row = the input line's row) with the counts.\n\n"
        "EXECUTION (advanced): 'local', 'local cluster:N' or 'cluster:tcp://host:port' (a Dask "
        "scheduler); empty = the QGIS setting joinedup/execution. Routes are counted in partitions "
        "of whole tracks, OD rows in chunks, and summed per edge in one fixed order: the counts "
        "and volumes are the same wherever they run (docs/scale.md)."
    )

    def initAlgorithm(self, config=None):  # noqa: N802

        add_network_parameters(self, input_name="NETWORK", input_description="Network lines")
        self.add_parameter(QgsProcessingParameterFeatureSource("ROUTES", self.tr("Matched routes"),
                                                [QgsProcessing.SourceType.TypeVectorLine], optional=True),
            "Output of Map-match GPS tracks (fields edge_ids, track_id, mode, start_time).")
        self.add_parameter(QgsProcessingParameterField("TRACK_FIELD", self.tr("Track id field"),
                                                       defaultValue="track_id",
                                        parentLayerParameterName="ROUTES", optional=True),
            "Field identifying the track, for the unique-track counts.")
        self.add_parameter(QgsProcessingParameterField("CATEGORY_FIELD", self.tr("Mode or category field"),
                                        parentLayerParameterName="ROUTES", optional=True),
            "Counts are also given per value of this field (e.g. mode).")
        self.add_parameter(QgsProcessingParameterField("TIME_FIELD", self.tr("Time field"), defaultValue="start_time",
                                        parentLayerParameterName="ROUTES", optional=True),
            "The route's time used by the time-of-day and weekday filters.")
        self.add_parameter(QgsProcessingParameterNumber("HOUR_FROM", self.tr("Time of day from (hour)"),
                                         QgsProcessingParameterNumber.Type.Double, 0.0,
                                         minValue=0.0, maxValue=24.0),
            "Start of the time-of-day window in decimal hours (7.5 = 07:30). 0 to 24 = all day.")
        self.add_parameter(QgsProcessingParameterNumber("HOUR_TO", self.tr("Time of day to (hour)"),
                                         QgsProcessingParameterNumber.Type.Double, 24.0,
                                         minValue=0.0, maxValue=24.0),
            "End of the window (not included). Smaller than the start wraps past midnight.")
        self.add_parameter(QgsProcessingParameterEnum("WEEKDAYS", self.tr("Weekdays"), WEEKDAYS, allowMultiple=True,
                                       optional=True),
            "Only routes starting on these days. Empty = every day.")
        self.add_parameter(QgsProcessingParameterFeatureSource("OD", self.tr("Origin-destination lines"),
                                                [QgsProcessing.SourceType.TypeVectorLine], optional=True),
            "Desire lines from origin (first vertex) to destination (last vertex), instead of ROUTES.")
        self.add_parameter(QgsProcessingParameterField("VOLUME_FIELD", self.tr("Volume field"),
                                                       parentLayerParameterName="OD",
                                        type=QgsProcessingParameterField.DataType.Numeric, optional=True),
            "Trips per OD row.")
        self.add_parameter(QgsProcessingParameterField("OD_CATEGORY_FIELD", self.tr("OD category field"),
                                        parentLayerParameterName="OD", optional=True),
            "Volumes are also given per value of this field.")
        add_execution_parameter(self)
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", self.tr("Edge flows"), QgsProcessing.SourceType.TypeVectorLine))

    def execute(self, parameters, context, feedback):
        from ...engine.errors import InputError
        from ...engine.flows import flows_of_od_layer, flows_of_route_layer, flows_on_edges
        from ..bridge import read_source, write_output

        fb = engine_feedback(feedback, 0.0, 1.0)
        execution = execution_from_parameters(self, parameters, context, feedback)
        routes, _ = read_source(self, parameters, "ROUTES", context, feedback, required=False)
        od, _ = read_source(self, parameters, "OD", context, feedback, required=False)
        if (routes is None) == (od is None):
            raise InputError("Give either matched ROUTES or OD lines (exactly one of them).")
        net, settings = network_from_parameters(self, parameters, context, feedback, input_name="NETWORK",
                                                progress=(0.0, 0.2))

        def field(name):
            return (self.parameterAsStrings(parameters, name, context) or [None])[0]

        if routes is not None:
            h0 = self.parameterAsDouble(parameters, "HOUR_FROM", context)
            h1 = self.parameterAsDouble(parameters, "HOUR_TO", context)
            days = None
            if parameters.get("WEEKDAYS") not in (None, "", []):
                days = self.parameterAsEnums(parameters, "WEEKDAYS", context) or None
            table, report = flows_of_route_layer(
                net, routes, track_field=field("TRACK_FIELD") or "track_id", category_field=field("CATEGORY_FIELD"),
                time_field=field("TIME_FIELD"), hours=None if (h0 <= 0.0 and h1 >= 24.0) else (h0, h1),
                weekdays=days, execution=execution, feedback=fb.sub(0.2, 0.95))
            feedback.pushInfo(report.describe(routes.attrs.get("source_name", "routes")))
        else:
            table, notes = flows_of_od_layer(
                net, od, volume_field=field("VOLUME_FIELD"), category_field=field("OD_CATEGORY_FIELD"),
                weight=settings.weight, max_snap_m=settings.max_snap_m, execution=execution,
                feedback=fb.sub(0.2, 0.95))
            for note in notes:
                feedback.pushInfo(note)
        out = flows_on_edges(net, table)
        result = {"OUTPUT": write_output(self, parameters, "OUTPUT", context, out, crs_of="NETWORK")}
        feedback.setProgress(100)
        return result
