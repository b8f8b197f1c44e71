"""joinedup:priorityindex: a composite priority index with a weight-sensitivity check."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..base import JoinedUpAlgorithm, engine_feedback


class PriorityIndex(JoinedUpAlgorithm):
    ALG_ID = "priorityindex"
    DISPLAY_NAME = "Composite priority index"
    GROUP = "risk"
    ICON = "priorityindex"
    TAGS = "composite,index,deprivation,ranking,priority,weights,sensitivity,monte carlo,risk"
    HELP = (
        "Combines indicator fields into one priority score per area, ranks the areas and "
        "shows how robust each rank is to the choice of weights.<br><br>"
        "<b>Indicators</b>: numeric fields. <b>Lower is higher priority</b>: indicators whose "
        "low values mean more need (e.g. income); they are flipped (1 - x, or -z).<br>"
        "<b>Weights</b>: comma-separated, one per indicator in the order chosen (empty = equal); "
        "zero or positive, rescaled to sum to 1.<br>"
        "<b>Normalisation</b>: min-max (0..1), z-score, or percentile rank (0..1).<br>"
        "<b>Missing values</b>: exclude the area (no score, reported), replace by the "
        "indicator's mean, or score on the indicators the area has (weights rescaled).<br>"
        "<b>Output</b>: pi_score, pi_rank (1 = highest priority; ties share the best rank), "
        "pi_quintile and pi_decile (1 = top 20 % / 10 %).<br>"
        "<b>Sensitivity runs</b> (0 = off): each run multiplies every weight by a random factor "
        "in [1 - spread, 1 + spread] (seeded). pi_rank_min / pi_rank_max give the best and worst "
        "rank over runs and pi_top10_share the share of runs in which the area is in the top "
        "decile: an area near 1.0 is a robust priority.<br>"
        "Every input feature is in the output (with null results when it has no score).<br>"
        "Example: <code>scripts/qgis_process.sh run joinedup:priorityindex -- INPUT=areas.gpkg "
        "FIELDS=unemployment FIELDS=income INVERTED=income WEIGHTS=2,1 OUTPUT=priority.gpkg</code>")

    INPUT = "INPUT"
    FIELDS = "FIELDS"
    INVERTED = "INVERTED"
    WEIGHTS = "WEIGHTS"
    NORMALISATION = "NORMALISATION"
    MISSING = "MISSING"
    RUNS = "RUNS"
    SPREAD = "SPREAD"
    SEED = "SEED"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        add = self.add_parameter
        add(QgsProcessingParameterFeatureSource(self.INPUT, "Areas", [QgsProcessing.SourceType.TypeVector]),
            "Layer or table with one row per area.")
        add(QgsProcessingParameterField(self.FIELDS, "Indicator fields", None, self.INPUT,
                                        QgsProcessingParameterField.DataType.Numeric, allowMultiple=True),
            "Numeric indicators to combine.")
        add(QgsProcessingParameterField(self.INVERTED, "Indicators where lower is higher priority",
                                        None, self.INPUT, QgsProcessingParameterField.DataType.Numeric,
                                        allowMultiple=True, optional=True),
            "Indicators whose low values mean more priority; they are flipped.")
        add(QgsProcessingParameterString(self.WEIGHTS, "Weights (comma-separated)", "", optional=True),
            "One weight per indicator, in the order of the indicator fields; empty = equal weights.")
        add(QgsProcessingParameterEnum(self.NORMALISATION, "Normalisation",
                                       ["Min-max (0..1)", "Z-score", "Percentile rank"], False, 0),
            "How each indicator is put on a common scale before weighting.")
        add(QgsProcessingParameterEnum(self.MISSING, "Missing values",
                                       ["Exclude the area", "Replace by the indicator mean",
                                        "Use the indicators present (reweight)"], False, 0),
            "What to do with an area missing an indicator value.")
        add(QgsProcessingParameterNumber(self.RUNS, "Sensitivity runs (0 = off)",
                                         QgsProcessingParameterNumber.Type.Integer, 1000, False, 0, 100000),
            "Number of Monte Carlo weight perturbations.")
        add(QgsProcessingParameterNumber(self.SPREAD, "Weight spread (fraction)",
                                         QgsProcessingParameterNumber.Type.Double, 0.25, False, 0.0, 0.99),
            "Each weight is multiplied by a factor drawn uniformly in [1 - spread, 1 + spread].")
        add(QgsProcessingParameterNumber(self.SEED, "Random seed",
                                         QgsProcessingParameterNumber.Type.Integer, 0, False, 0),
            "The same seed gives the same sensitivity results.")
        add(QgsProcessingParameterFeatureSink(self.OUTPUT, "Priority index"),
            "The areas with score, rank, quintile, decile and sensitivity fields.")

    def execute(self, parameters, context, feedback):
        from ...engine import priority as eng
        from .. import bridge

        gdf, read = bridge.read_source(self, parameters, self.INPUT, context, feedback)
        feedback.pushInfo(read.describe())
        fields = self.parameterAsStrings(parameters, self.FIELDS, context)
        out, res = eng.priority_of_areas(
            gdf, fields=fields, name=read.name,
            inverted=self.parameterAsStrings(parameters, self.INVERTED, context),
            weights=eng.parse_weights(self.parameterAsString(parameters, self.WEIGHTS, context), len(fields)),
            normalisation=eng.NORMALISATIONS[self.parameterAsEnum(parameters, self.NORMALISATION, context)],
            missing=eng.MISSING[self.parameterAsEnum(parameters, self.MISSING, context)],
            runs=self.parameterAsInt(parameters, self.RUNS, context),
            spread=self.parameterAsDouble(parameters, self.SPREAD, context),
            seed=self.parameterAsInt(parameters, self.SEED, context),
            feedback=engine_feedback(feedback, 0.1, 0.9))
        for note in res.notes:
            feedback.pushWarning(note)
        if res.top_decile_share is not None:
            robust = int((res.top_decile_share >= 0.9).sum())
            feedback.pushInfo(f"{robust} areas stay in the top decile in at least 90 % of runs.")
        return {self.OUTPUT: bridge.write_output(self, parameters, self.OUTPUT, context, out)}
