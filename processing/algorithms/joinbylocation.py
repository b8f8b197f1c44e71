"""joinedup:joinbylocation — join an agency layer's attributes to INPUT by place."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDistance,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from ..base import JoinedUpAlgorithm, engine_feedback
from ..joins_params import (
    METHOD_LABELS,
    PREDICATE_LABELS,
    SUMMARY_LABELS,
    add_invalid_geometries_parameter,
    invalid_policy,
    method_name,
    predicate_names,
    summary_names,
)
from ..scale_params import add_execution_parameter, execution_from_parameters


class JoinByLocation(JoinedUpAlgorithm):
    # QGIS's parameter ids (native:joinattributesbylocation), so a model can swap one for the other
    INPUT = "INPUT"
    JOIN = "JOIN"
    PREDICATE = "PREDICATE"
    DISTANCE = "DISTANCE"
    METHOD = "METHOD"
    JOIN_FIELDS = "JOIN_FIELDS"
    SUMMARIES = "SUMMARIES"
    PREFIX = "PREFIX"
    DISCARD_NONMATCHING = "DISCARD_NONMATCHING"
    OUTPUT = "OUTPUT"
    NON_MATCHING = "NON_MATCHING"
    JOINED_COUNT = "JOINED_COUNT"

    ALG_ID = "joinbylocation"
    DISPLAY_NAME = "Join attributes by location (all methods, fast)"
    GROUP = "joins"
    ICON = "joinbylocation"
    TAGS = ("join,location,spatial,intersects,contains,within,touches,overlaps,crosses,equals,"
            "distance,summary,statistics,count,sum,mean,median,majority,agency")
    HELP = (
        "Joins the attributes of a JOIN layer (an agency's data) to the features of an INPUT "
        "layer where their geometries meet. The parameters mean what they mean in QGIS's "
        "'Join attributes by location' and 'Join attributes by location (summary)', so a model "
        "can use either.\n\n"
        "<b>Predicate</b>: where the INPUT feature intersects / contains / equals / touches / "
        "overlaps / is within / crosses the JOIN feature, or lies within DISTANCE metres of it. "
        "With several predicates a pair matches when any of them holds.\n"
        "<b>Distance</b> (metres): used by 'are within DISTANCE of'. Ground metres in every "
        "CRS: a layer whose CRS is not true to 0.1 % over the data (degrees, feet, Web "
        "Mercator) is measured in a local projected CRS that the log names (docs/crs.md).\n"
        "<b>Join type</b>: one row per matching pair; the first match only (the matching JOIN "
        "feature that comes first in the JOIN layer); the largest overlap only (area for "
        "polygons, length for lines, first match for points); or a summary: one row per "
        "INPUT feature with statistics of the matching JOIN features.\n"
        "<b>Fields to add</b>: JOIN fields to copy or summarise (empty: all).\n"
        "<b>Summaries</b>: the 19 statistics of QGIS's summary join, calculated the same way "
        "(stddev is the population standard deviation; majority/minority ties go to the "
        "smallest value; null values are ignored by numeric statistics, and count as empty "
        "text for text fields), plus first, last and concatenate (values in JOIN-layer order, "
        "joined by ','). Output fields are named &lt;prefix&gt;&lt;field&gt;_&lt;statistic&gt;. "
        "A statistic that does not apply to a field's type (e.g. sum of a text field) is left "
        "out and the log says so.\n"
        "<b>Prefix</b>: put before every added field name. A name that still clashes with an "
        "INPUT field gets _2, _3 ...\n"
        "<b>Discard records which could not be joined</b>: by default every INPUT feature is "
        "kept (a left join). Unlike QGIS, which writes NULL, a feature that matched nothing "
        "gets 0 in count, unique, empty, filled and sum; other statistics are NULL.\n"
        "<b>Invalid geometries</b>: repair (default) or skip invalid geometries; a feature with "
        "no or a skipped geometry matches nothing, stays in the output (unless discarded) and "
        "is counted in the log. Output geometries are the INPUT's own, unchanged.\n"
        "<b>Unjoinable features</b> (optional): the INPUT features that matched nothing.\n\n"
        "The JOIN layer is reprojected to the INPUT layer's CRS when they differ (the log "
        "says so). The log accounts for every INPUT feature.\n\n"
        "EXECUTION (advanced): 'local' (this process), 'local cluster:N' (N worker processes on "
        "this computer) or 'cluster:tcp://host:port' (a Dask scheduler); empty = the QGIS setting "
        "joinedup/execution. On a cluster the summary of a large point layer in polygons (or on "
        "lines) runs in chunks of points: join type summary, summaries count and/or sum, "
        "predicates intersect, contain or touch, JOIN a layer of single points. A GeoPackage or "
        "GeoParquet file used as it is (no selection or filter, same CRS as INPUT) is read by the "
        "workers themselves; any other point layer is read here and sent as partitions. Any other "
        "choice runs in this process and the log says why. The output is the same wherever it "
        "runs (docs/scale.md).")

    def initAlgorithm(self, config=None):  # noqa: N802
        add = self.add_parameter
        add(QgsProcessingParameterFeatureSource(
            self.INPUT, self.tr("Join to features in"), [QgsProcessing.SourceType.TypeVectorAnyGeometry]),
            "The layer that receives the attributes; every one of its features is kept.")
        add(QgsProcessingParameterFeatureSource(
            self.JOIN, self.tr("By comparing to"), [QgsProcessing.SourceType.TypeVectorAnyGeometry]),
            "The layer whose attributes are added (reprojected to INPUT's CRS if needed).")
        add(QgsProcessingParameterEnum(
            self.PREDICATE, self.tr("Features they (geometric predicate)"),
            options=[self.tr(t) for t in PREDICATE_LABELS], allowMultiple=True, defaultValue=[0]),
            "How an INPUT feature must relate to a JOIN feature to match; any of "
            "the chosen ones will do. Ids as QGIS's (0-6), 7 = within DISTANCE.")
        add(QgsProcessingParameterDistance(
            self.DISTANCE, self.tr("Distance (metres, for 'are within DISTANCE of')"), 0.0, self.INPUT,
            optional=True, minValue=0.0),
            "Ground metres, always, whatever the layers' CRS (degrees, feet or Web Mercator "
            "are measured in a local projected CRS).")
        add(QgsProcessingParameterEnum(
            self.METHOD, self.tr("Join type"), options=[self.tr(t) for t in METHOD_LABELS], defaultValue=0),
            "0 one row per matching pair, 1 first match, 2 largest overlap, 3 summary.")
        add(QgsProcessingParameterField(
            self.JOIN_FIELDS, self.tr("Fields to add (leave empty to use all fields)"),
            parentLayerParameterName=self.JOIN, allowMultiple=True, optional=True),
            "JOIN fields to copy (or summarise with the summary join type).")
        add(QgsProcessingParameterEnum(
            self.SUMMARIES, self.tr("Summaries to calculate (summary join type; empty: all that apply)"),
            options=[self.tr(t) for t in SUMMARY_LABELS], allowMultiple=True, optional=True),
            "Ids 0-18 as in QGIS's summary join; 19 first, 20 last, 21 concatenate.")
        add(QgsProcessingParameterString(self.PREFIX, self.tr("Joined field prefix"), optional=True),
            "Text put before every added field's name, e.g. 'police_'.")
        add(QgsProcessingParameterBoolean(
            self.DISCARD_NONMATCHING, self.tr("Discard records which could not be joined"), False),
            "Leave INPUT features that match nothing out of the output "
            "(they still go to 'Unjoinable features' if requested).")
        add_invalid_geometries_parameter(self, "Repair invalid geometries before matching, or "
                                         "skip them. Either way the log gives the counts.")
        add_execution_parameter(self, sent_to_workers=(
            "the INPUT geometries are sent to them, once, and the JOIN points either as the path of "
            "their GeoPackage or GeoParquet file, which the workers read themselves (so it must be on "
            "storage they all see), or as coordinates and the summarised fields' values"))
        add(QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Joined layer"), optional=False),
            "INPUT's features with the JOIN fields (or statistics) added.")
        add(QgsProcessingParameterFeatureSink(
            self.NON_MATCHING, self.tr("Unjoinable features from first layer"), optional=True,
            createByDefault=False),
            "The INPUT features that matched nothing (optional).")
        self.addOutput(QgsProcessingOutputNumber(
            self.JOINED_COUNT, self.tr("Number of joined features from input table")))

    def execute(self, parameters, context, feedback):
        from ...engine.joins import join_by_location
        from ...engine.scale import Execution
        from ...engine.scale_points import summary_join_on_cluster, summary_join_refusal
        from .. import bridge

        execution = execution_from_parameters(self, parameters, context, feedback)
        fields = self.parameterAsStrings(parameters, self.JOIN_FIELDS, context) or None
        join_source = self.parameterAsSource(parameters, self.JOIN, context)
        available = {n.lower() for n in join_source.fields().names()} if join_source else set()
        # read only the JOIN fields that are used; JOIN points as bare coordinates
        columns = fields if fields and all(f.lower() in available for f in fields) else None
        inp, report_in = bridge.read_source(self, parameters, self.INPUT, context, feedback)

        def read_join():
            return bridge.read_source(self, parameters, self.JOIN, context, feedback, columns=columns,
                                      xy_points=True)

        method = method_name(self.parameterAsEnum(parameters, self.METHOD, context))
        options = dict(
            predicates=predicate_names(self.parameterAsEnums(parameters, self.PREDICATE, context)),
            join_fields=fields, summaries=summary_names(self.parameterAsEnums(parameters, self.SUMMARIES, context)),
            prefix=self.parameterAsString(parameters, self.PREFIX, context) or "",
            discard_nonmatching=self.parameterAsBoolean(parameters, self.DISCARD_NONMATCHING, context),
            invalid=invalid_policy(self, parameters, context), feedback=engine_feedback(feedback, 0.2, 0.8))
        if not execution.is_local:  # the cluster serves point summaries; the rest runs here (docs/scale.md)
            why = summary_join_refusal(inp, method=method, predicates=options["predicates"],
                                       summaries=options["summaries"],
                                       join_geometry_type=QgsWkbTypes.displayString(join_source.wkbType()))
            if why:
                feedback.pushInfo(f"Execution: this join runs in this process, because {why}.")
                execution = Execution()
        if execution.is_local:
            join, report_join = read_join()
            feedback.pushInfo(report_in.describe())
            feedback.pushInfo(report_join.describe())
            distance = self.parameterAsDouble(parameters, self.DISTANCE, context) \
                if parameters.get(self.DISTANCE) is not None else None
            result = join_by_location(inp, join, distance_m=distance, method=method, **options)
        else:
            feedback.pushInfo(report_in.describe())
            found = bridge.worker_readable_file(self, parameters, self.JOIN, context)
            where = {} if found is None else {"points_path": found[0], "points_layer": found[1],
                                              "points_crs": bridge.crs_to_engine(join_source.sourceCrs())}
            result = summary_join_on_cluster(inp, lambda: _described(read_join(), feedback),
                                             execution=execution, **where, **options)
        results = {self.JOINED_COUNT: result.matched_count}
        results[self.OUTPUT] = bridge.write_output(self, parameters, self.OUTPUT, context, result.output)
        feedback.setProgress(95)
        non_matching = bridge.write_output(self, parameters, self.NON_MATCHING, context, result.non_matching)
        if non_matching is not None:
            results[self.NON_MATCHING] = non_matching
        feedback.setProgress(100)
        return results


def _described(read, feedback):
    """The frame of a ``(frame, report)`` read, its report in the log."""
    feedback.pushInfo(read[1].describe())
    return read[0]
