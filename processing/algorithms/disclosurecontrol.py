"""joinedup:disclosurecontrol: make count fields safe to publish (engine.disclosure)."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
)

from ..base import JoinedUpAlgorithm, engine_feedback


class DisclosureControl(JoinedUpAlgorithm):
    ALG_ID = "disclosurecontrol"
    DISPLAY_NAME = "Disclosure control of counts"
    GROUP = "risk"
    ICON = "disclosurecontrol"
    TAGS = "disclosure,suppression,small counts,privacy,rounding,publish,statistics,risk"
    HELP = (
        "Makes a table of counts safe to publish: one row per feature (area), one column per "
        "count field.<br><br>"
        "<b>Primary suppression</b>: counts above 0 and below the <b>threshold</b> (default 10) "
        "are hidden (zeros too if asked).<br>"
        "<b>Secondary suppression</b>: with several count fields, row totals (row_total) and "
        "column totals over all rows are treated as published; a row or column with a single "
        "hidden cell would give it away by subtraction, so further cells (the smallest) are "
        "hidden, and an exact audit checks no hidden cell can be worked out from the totals. "
        "As counts cannot be negative, the totals also confine each hidden count to a range: "
        "a cell below the threshold whose range is narrower than the threshold (0 to 8, say) "
        "gets a further hidden cell beside it (up to 250 such cells; the log says if there "
        "were more).<br>"
        "<b>Round to base 5</b>: published counts and totals rounded to the nearest 5 "
        "(independently, so they need not add up).<br>"
        "<b>Output</b>: the input with hidden counts as null, a &lt;field&gt;_flag field "
        "('primary', 'secondary' or empty) per count field, and row_total. <b>Report</b>: a "
        "table of every hidden cell and why (never its value). Column totals are logged.<br>"
        "The same engine function (engine.disclosure.protect_counts) protects the count "
        "outputs of other JoinedUp algorithms.<br>"
        "Example: <code>scripts/qgis_process.sh run joinedup:disclosurecontrol -- "
        "INPUT=counts.gpkg FIELDS=age_0_15 FIELDS=age_16_64 FIELDS=age_65 THRESHOLD=10 "
        "OUTPUT=safe.gpkg REPORT=report.csv</code>")

    INPUT = "INPUT"
    FIELDS = "FIELDS"
    ROW_ID = "ROW_ID"
    THRESHOLD = "THRESHOLD"
    SECONDARY = "SECONDARY"
    SUPPRESS_ZEROS = "SUPPRESS_ZEROS"
    ROUND = "ROUND"
    OUTPUT = "OUTPUT"
    REPORT = "REPORT"

    def initAlgorithm(self, config=None):  # noqa: N802
        add = self.add_parameter
        add(QgsProcessingParameterFeatureSource(self.INPUT, "Table of counts", [QgsProcessing.SourceType.TypeVector]),
            "Layer or table, one row per area or group.")
        add(QgsProcessingParameterField(self.FIELDS, "Count fields", None, self.INPUT,
                                        QgsProcessingParameterField.DataType.Numeric, allowMultiple=True),
            "Fields holding whole, non-negative counts.")
        add(QgsProcessingParameterField(self.ROW_ID, "Row label field", None, self.INPUT, optional=True),
            "Field naming each row in the report (default: the feature's position).")
        add(QgsProcessingParameterNumber(self.THRESHOLD, "Threshold",
                                         QgsProcessingParameterNumber.Type.Integer, 10, False, 1),
            "Counts above 0 and below this are hidden.")
        add(QgsProcessingParameterBoolean(self.SECONDARY, "Secondary suppression", True),
            "Hide complementary cells so hidden counts cannot be recovered from totals.")
        add(QgsProcessingParameterBoolean(self.SUPPRESS_ZEROS, "Hide zeros too", False),
            "Also hide counts of 0.")
        add(QgsProcessingParameterBoolean(self.ROUND, "Round to base 5", False),
            "Round every published count and total to the nearest multiple of 5.")
        add(QgsProcessingParameterFeatureSink(self.OUTPUT, "Protected counts"),
            "The input with hidden counts set to null and flag fields.")
        add(QgsProcessingParameterFeatureSink(self.REPORT, "Suppression report", QgsProcessing.SourceType.TypeVector,
                                              optional=True),
            "One row per hidden cell: row, field and reason.")

    def execute(self, parameters, context, feedback):
        from ...engine.disclosure import protect_table
        from .. import bridge

        gdf, read = bridge.read_source(self, parameters, self.INPUT, context, feedback)
        feedback.pushInfo(read.describe())
        row_id = self.parameterAsString(parameters, self.ROW_ID, context)
        out, res, totals_text, report = protect_table(
            gdf, self.parameterAsStrings(parameters, self.FIELDS, context), name=read.name,
            row_labels=gdf[row_id] if row_id and row_id in gdf.columns else None,
            threshold=self.parameterAsInt(parameters, self.THRESHOLD, context),
            round_base=5 if self.parameterAsBool(parameters, self.ROUND, context) else None,
            suppress_zeros=self.parameterAsBool(parameters, self.SUPPRESS_ZEROS, context),
            secondary=self.parameterAsBool(parameters, self.SECONDARY, context),
            feedback=engine_feedback(feedback, 0.3, 0.9))
        feedback.pushInfo(res.describe())
        if totals_text:
            feedback.pushInfo(totals_text)
        results = {self.OUTPUT: bridge.write_output(self, parameters, self.OUTPUT, context, out),
                   "HIDDEN_PRIMARY": res.suppressed_primary, "HIDDEN_SECONDARY": res.suppressed_secondary}
        if parameters.get(self.REPORT):
            results[self.REPORT] = bridge.write_output(self, parameters, self.REPORT, context, report)
        return results
