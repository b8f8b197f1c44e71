"""joinedup:joinnearest — the K nearest JOIN features of each INPUT feature, in metres."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..base import JoinedUpAlgorithm, engine_feedback
from ..joins_params import add_invalid_geometries_parameter, invalid_policy


class JoinNearest(JoinedUpAlgorithm):
    # QGIS's parameter ids (native:joinbynearest), so a model can swap one for the other
    INPUT = "INPUT"
    INPUT_2 = "INPUT_2"
    FIELDS_TO_COPY = "FIELDS_TO_COPY"
    DISCARD_NONMATCHING = "DISCARD_NONMATCHING"
    PREFIX = "PREFIX"
    NEIGHBORS = "NEIGHBORS"
    MAX_DISTANCE = "MAX_DISTANCE"
    OUTPUT = "OUTPUT"
    NON_MATCHING = "NON_MATCHING"
    JOINED_COUNT = "JOINED_COUNT"
    UNJOINABLE_COUNT = "UNJOINABLE_COUNT"

    ALG_ID = "joinnearest"
    DISPLAY_NAME = "Join attributes by nearest (metres)"
    GROUP = "joins"
    ICON = "joinnearest"
    TAGS = "join,nearest,neighbour,neighbor,closest,distance,knn,metres,agency"
    HELP = (
        "For each feature of the INPUT layer, finds the nearest features of a second layer and "
        "copies their attributes, with the rank <b>n</b> (1 = nearest) and the "
        "<b>distance</b> in metres. The parameter ids are those of QGIS's 'Join attributes by "
        "nearest' (INPUT, INPUT_2, FIELDS_TO_COPY, NEIGHBORS, MAX_DISTANCE, PREFIX, "
        "DISCARD_NONMATCHING, NON_MATCHING), so a model can use either.\n\n"
        "<b>Distances are always ground metres</b>, geometry to geometry (0 where they touch or "
        "overlap). When INPUT's CRS is not true to 0.1 % over the data (degrees, feet, Web "
        "Mercator, a zone used far from its meridian) they are measured in a local projected "
        "CRS chosen from the data's extent, and the log names it (docs/crs.md). The second layer is "
        "reprojected to INPUT's CRS when they differ.\n"
        "<b>Maximum nearest neighbors</b>: how many neighbours per feature (one output row each).\n"
        "<b>Maximum distance</b> (metres, optional): ignore features further away.\n"
        "<b>Ties</b>: features at exactly the same distance are taken in the order of the "
        "second layer, so the result is the same on every run.\n"
        "<b>Discard records which could not be joined</b>: by default a feature with no "
        "neighbour in range is kept with empty fields (n and distance NULL).\n"
        "<b>Invalid geometries</b>: repair (default) or skip; a feature with no or a skipped "
        "geometry has no neighbour; the log counts them. Output geometries are INPUT's own.\n"
        "<b>Unjoinable features</b> (optional): INPUT features with no neighbour in range.")

    def initAlgorithm(self, config=None):  # noqa: N802
        add = self.add_parameter
        add(QgsProcessingParameterFeatureSource(
            self.INPUT, self.tr("Input layer"), [QgsProcessing.SourceType.TypeVectorAnyGeometry]),
            "The layer whose features look for their nearest neighbours.")
        add(QgsProcessingParameterFeatureSource(
            self.INPUT_2, self.tr("Input layer 2 (the features to find)"),
            [QgsProcessing.SourceType.TypeVectorAnyGeometry]),
            "The layer searched for neighbours (e.g. an agency's facilities).")
        add(QgsProcessingParameterField(
            self.FIELDS_TO_COPY, self.tr("Layer 2 fields to copy (leave empty to copy all fields)"),
            parentLayerParameterName=self.INPUT_2, allowMultiple=True, optional=True),
            "Fields of the second layer copied to each output row.")
        add(QgsProcessingParameterBoolean(
            self.DISCARD_NONMATCHING, self.tr("Discard records which could not be joined"), False),
            "Leave out INPUT features with no neighbour within MAX_DISTANCE.")
        add(QgsProcessingParameterString(self.PREFIX, self.tr("Joined field prefix"), optional=True),
            "Text put before every copied field's name.")
        add(QgsProcessingParameterNumber(
            self.NEIGHBORS, self.tr("Maximum nearest neighbors"),
            QgsProcessingParameterNumber.Type.Integer, 1, minValue=1),
            "How many nearest features to join to each INPUT feature (K).")
        add(QgsProcessingParameterNumber(
            self.MAX_DISTANCE, self.tr("Maximum distance (metres)"),
            QgsProcessingParameterNumber.Type.Double, None, optional=True, minValue=0.0),
            "Metres, also for layers in degrees. Empty: no limit.")
        add_invalid_geometries_parameter(
            self, "Repair invalid geometries before measuring, or skip them (counted in the log).")
        add(QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Joined layer")),
            "One row per INPUT feature and neighbour, with n (rank) and distance (metres).")
        add(QgsProcessingParameterFeatureSink(
            self.NON_MATCHING, self.tr("Unjoinable features from first layer"), optional=True,
            createByDefault=False),
            "INPUT features with no neighbour in range (optional).")
        self.addOutput(QgsProcessingOutputNumber(
            self.JOINED_COUNT, self.tr("Number of joined features from input table")))
        self.addOutput(QgsProcessingOutputNumber(
            self.UNJOINABLE_COUNT, self.tr("Number of unjoinable features from input table")))

    def execute(self, parameters, context, feedback):
        from ...engine.joins import join_nearest
        from .. import bridge

        inp, report_in = bridge.read_source(self, parameters, self.INPUT, context, feedback)
        other, report_other = bridge.read_source(self, parameters, self.INPUT_2, context, feedback)
        feedback.pushInfo(report_in.describe())
        feedback.pushInfo(report_other.describe())
        max_d = parameters.get(self.MAX_DISTANCE)
        max_d = self.parameterAsDouble(parameters, self.MAX_DISTANCE, context) if max_d not in (None, "") else None
        result = join_nearest(
            inp, other, neighbors=self.parameterAsInt(parameters, self.NEIGHBORS, context),
            max_distance_m=max_d,
            join_fields=self.parameterAsStrings(parameters, self.FIELDS_TO_COPY, context) or None,
            prefix=self.parameterAsString(parameters, self.PREFIX, context) or "",
            discard_nonmatching=self.parameterAsBoolean(parameters, self.DISCARD_NONMATCHING, context),
            invalid=invalid_policy(self, parameters, context),
            feedback=engine_feedback(feedback, 0.2, 0.8))
        results = {self.JOINED_COUNT: result.matched_count, self.UNJOINABLE_COUNT: result.unmatched_count}
        results[self.OUTPUT] = bridge.write_output(self, parameters, self.OUTPUT, context, result.output)
        non_matching = bridge.write_output(self, parameters, self.NON_MATCHING, context, result.non_matching)
        if non_matching is not None:
            results[self.NON_MATCHING] = non_matching
        feedback.setProgress(100)
        return results
