"""joinedup:priorityindex: a composite priority index with a weight-sensitivity check."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
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

    def initAlgorithm(self, config=None):  # noqa: N802
        def add(p, text):
            p.setHelp(self.tr(text))
            self.addParameter(p)

        add(QgsProcessingParameterFeatureSource("INPUT", self.tr("Areas"),
                                                [QgsProcessing.SourceType.TypeVector]),
            "Layer or table with one row per area.")
        add(QgsProcessingParameterField("FIELDS", self.tr("Indicator fields"), None, "INPUT",
                                        QgsProcessingParameterField.DataType.Numeric, allowMultiple=True),
            "Numeric indicators to combine.")
        add(QgsProcessingParameterField("INVERTED", self.tr("Indicators where lower is higher priority"),
                                        None, "INPUT", QgsProcessingParameterField.DataType.Numeric,
                                        allowMultiple=True, optional=True),
            "Indicators whose low values mean more priority; they are flipped.")
        add(QgsProcessingParameterString("WEIGHTS", self.tr("Weights (comma-separated)"), "", optional=True),
            "One weight per indicator, in the order of the indicator fields; empty = equal weights.")
        add(QgsProcessingParameterEnum("NORMALISATION", self.tr("Normalisation"),
                                       ["Min-max (0..1)", "Z-score", "Percentile rank"], False, 0),
            "How each indicator is put on a common scale before weighting.")
        add(QgsProcessingParameterEnum("MISSING", self.tr("Missing values"),
                                       ["Exclude the area", "Replace by the indicator mean",
                                        "Use the indicators present (reweight)"], False, 0),
            "What to do with an area missing an indicator value.")
        add(QgsProcessingParameterNumber("RUNS", self.tr("Sensitivity runs (0 = off)"),
                                         QgsProcessingParameterNumber.Type.Integer, 1000, False, 0, 100000),
            "Number of Monte Carlo weight perturbations.")
        add(QgsProcessingParameterNumber("SPREAD", self.tr("Weight spread (fraction)"),
                                         QgsProcessingParameterNumber.Type.Double, 0.25, False, 0.0, 0.99),
            "Each weight is multiplied by a factor drawn uniformly in [1 - spread, 1 + spread].")
        add(QgsProcessingParameterNumber("SEED", self.tr("Random seed"),
                                         QgsProcessingParameterNumber.Type.Integer, 0, False, 0),
            "The same seed gives the same sensitivity results.")
        p = QgsProcessingParameterFeatureSink("OUTPUT", self.tr("Priority index"))
        p.setHelp(self.tr("The areas with score, rank, quintile, decile and sensitivity fields."))
        self.addParameter(p)

    def execute(self, parameters, context, feedback):
        import pandas as pd

        from ...engine import priority as eng
        from ...engine.errors import InputError
        from ...engine.values import numeric_columns
        from .. import bridge

        gdf, read = bridge.read_source(self, parameters, "INPUT", context, feedback)
        feedback.pushInfo(read.describe())
        if len(gdf) == 0:
            raise QgsProcessingException(f"{read.name} has no features: there is nothing to rank.")
        fields = self.parameterAsStrings(parameters, "FIELDS", context)
        if not fields:
            raise InputError("Choose at least one indicator field.")
        missing = [f for f in fields if f not in gdf.columns]
        if missing:
            raise InputError(f"{read.name} has no field(s) {', '.join(missing)}.")
        inverted = set(self.parameterAsStrings(parameters, "INVERTED", context))
        text = self.parameterAsString(parameters, "WEIGHTS", context).strip()
        if text:
            try:
                weights = [float(t) for t in text.replace(";", ",").split(",") if t.strip()]
            except ValueError:
                raise InputError(f"Weights must be numbers separated by commas (got {text!r}).")
        else:
            weights = [1.0] * len(fields)
        res = eng.priority_index(
            numeric_columns(gdf, fields, layer=read.name)[fields].to_numpy(dtype=float), weights=weights,
            directions=[-1 if f in inverted else 1 for f in fields],
            normalisation=eng.NORMALISATIONS[self.parameterAsEnum(parameters, "NORMALISATION", context)],
            missing=eng.MISSING[self.parameterAsEnum(parameters, "MISSING", context)],
            runs=self.parameterAsInt(parameters, "RUNS", context),
            spread=self.parameterAsDouble(parameters, "SPREAD", context),
            seed=self.parameterAsInt(parameters, "SEED", context),
            feedback=engine_feedback(feedback, 0.1, 0.9))
        for note in res.notes:
            feedback.pushWarning(note)
        out = gdf.copy()
        out["pi_score"] = res.score
        for name, values in (("pi_rank", res.rank), ("pi_quintile", res.quintile), ("pi_decile", res.decile),
                             ("pi_rank_min", res.rank_min), ("pi_rank_max", res.rank_max)):
            if values is not None:
                out[name] = pd.array(pd.Series(values).round().astype("Int64"))
        if res.top_decile_share is not None:
            out["pi_top10_share"] = res.top_decile_share
            robust = int((res.top_decile_share >= 0.9).sum())
            feedback.pushInfo(f"{robust} areas stay in the top decile in at least 90 % of runs.")
        dest = bridge.write_output(self, parameters, "OUTPUT", context, out)
        return {"OUTPUT": dest}
