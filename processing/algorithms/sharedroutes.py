"""joinedup:sharedroutes — where two kinds of traffic share the street, and the collisions there."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
)

from ..base import JoinedUpAlgorithm

METHOD_LABELS = ["Product a × b (potential meetings per km)", "Minimum of a and b",
                 "Geometric mean √(a × b)"]
METHOD_KEYS = ["product", "minimum", "geometric"]


class SharedRoutes(JoinedUpAlgorithm):
    ALG_ID = "sharedroutes"
    DISPLAY_NAME = "Shared routes and conflict segments"
    GROUP = "movement"
    ICON = "sharedroutes"
    TAGS = "exposure,conflict,hgv,lorry,cycle,bike,collision,risk,safety,shared,movement"
    HELP = (
        "Scores each segment of a flow layer (e.g. the output of Network flows) by the exposure "
        "of one kind of traffic to another, e.g. heavy goods vehicles (FIELD_A) and cycles "
        "(FIELD_B):\n"
        "- Product a × b (default): potential meetings of an A and a B passage per km of street "
        "(meetings on a stretch grow with a·b and its length). High only where both are high.\n"
        "- Minimum: the passages of the scarcer mode, all of which meet the other.\n"
        "- Geometric mean: the product on the scale of a flow.\n"
        "exposure_total = exposure × length_km ranks the segments (rank 1 = most); TOP_N of them "
        "get top = true; a segment with zero exposure is never ranked. Null flows count as 0 "
        "(the log says how many).\n"
        "With COLLISIONS points, each collision counts on its nearest segment within "
        "MAX_DISTANCE metres; 'collisions_per_million' = collisions per million passages of A "
        "and B together (null where no passages), so the map shows risk, not only volume. "
        "Collisions farther away or with no geometry are not counted; the log gives the "
        "numbers.\n"
        "Geographic layers are reprojected to a local metric CRS."
    )

    INPUT = "INPUT"
    FIELD_A = "FIELD_A"
    FIELD_B = "FIELD_B"
    METHOD = "METHOD"
    TOP_N = "TOP_N"
    COLLISIONS = "COLLISIONS"
    MAX_DISTANCE = "MAX_DISTANCE"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        add = self.add_parameter
        add(QgsProcessingParameterFeatureSource(self.INPUT, "Flow segments", [QgsProcessing.SourceType.TypeVectorLine]),
            "Line segments with flow counts of both kinds of traffic (e.g. Network flows output).")
        add(QgsProcessingParameterField(self.FIELD_A, "Flow A field (e.g. HGV passages)",
                                        parentLayerParameterName=self.INPUT,
                                        type=QgsProcessingParameterField.DataType.Numeric),
            "Passages of the first kind of traffic per segment.")
        add(QgsProcessingParameterField(self.FIELD_B, "Flow B field (e.g. cycle passages)",
                                        parentLayerParameterName=self.INPUT,
                                        type=QgsProcessingParameterField.DataType.Numeric),
            "Passages of the second kind of traffic per segment.")
        add(QgsProcessingParameterEnum(self.METHOD, "Exposure", METHOD_LABELS, defaultValue=0),
            "How the two flows combine into an exposure score (see the help).")
        add(QgsProcessingParameterNumber(self.TOP_N, "Top N conflict segments",
                                         QgsProcessingParameterNumber.Type.Integer, 20, minValue=1),
            "How many segments, by exposure_total, are flagged top = true.")
        add(QgsProcessingParameterFeatureSource(self.COLLISIONS, "Collisions",
                                                [QgsProcessing.SourceType.TypeVectorPoint], optional=True),
            "Optional collision points, counted on their nearest segment.")
        add(QgsProcessingParameterNumber(self.MAX_DISTANCE, "Collision search distance (m)",
                                         QgsProcessingParameterNumber.Type.Double, 25.0, minValue=0.0),
            "Collisions farther than this from every segment are not counted (and reported).")
        add(QgsProcessingParameterFeatureSink(self.OUTPUT, "Exposure per segment",
                                              QgsProcessing.SourceType.TypeVectorLine),
            "The segments with flow_a, flow_b, length_km, exposure, exposure_total, rank and top, and, "
            "with collisions, their count and collisions per million passages.")

    def execute(self, parameters, context, feedback):
        from ...engine.sharedroutes import shared_routes_of_layers
        from ..bridge import read_source, write_output

        segments, report = read_source(self, parameters, self.INPUT, context, feedback)
        feedback.pushInfo(report.describe())
        collisions, _ = read_source(self, parameters, self.COLLISIONS, context, feedback, required=False)
        out, log = shared_routes_of_layers(
            segments, collisions, name=segments.attrs.get("source_name", "The flow layer"),
            field_a=self.parameterAsStrings(parameters, self.FIELD_A, context)[0],
            field_b=self.parameterAsStrings(parameters, self.FIELD_B, context)[0],
            method=METHOD_KEYS[self.parameterAsEnum(parameters, self.METHOD, context)],
            top_n=self.parameterAsInt(parameters, self.TOP_N, context),
            max_collision_distance_m=self.parameterAsDouble(parameters, self.MAX_DISTANCE, context))
        for line in log:
            feedback.pushInfo(line)
        result = {self.OUTPUT: write_output(self, parameters, self.OUTPUT, context, out)}
        feedback.setProgress(100)
        return result
