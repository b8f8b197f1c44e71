"""joinedup:disclosurecontrol: make count fields safe to publish (engine.disclosure)."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
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

    def initAlgorithm(self, config=None):  # noqa: N802
        def add(p, text):
            p.setHelp(self.tr(text))
            self.addParameter(p)

        add(QgsProcessingParameterFeatureSource("INPUT", self.tr("Table of counts"),
                                                [QgsProcessing.SourceType.TypeVector]),
            "Layer or table, one row per area or group.")
        add(QgsProcessingParameterField("FIELDS", self.tr("Count fields"), None, "INPUT",
                                        QgsProcessingParameterField.DataType.Numeric, allowMultiple=True),
            "Fields holding whole, non-negative counts.")
        add(QgsProcessingParameterField("ROW_ID", self.tr("Row label field"), None, "INPUT",
                                        optional=True),
            "Field naming each row in the report (default: the feature's position).")
        add(QgsProcessingParameterNumber("THRESHOLD", self.tr("Threshold"),
                                         QgsProcessingParameterNumber.Type.Integer, 10, False, 1),
            "Counts above 0 and below this are hidden.")
        add(QgsProcessingParameterBoolean("SECONDARY", self.tr("Secondary suppression"), True),
            "Hide complementary cells so hidden counts cannot be recovered from totals.")
        add(QgsProcessingParameterBoolean("SUPPRESS_ZEROS", self.tr("Hide zeros too"), False),
            "Also hide counts of 0.")
        add(QgsProcessingParameterBoolean("ROUND", self.tr("Round to base 5"), False),
            "Round every published count and total to the nearest multiple of 5.")
        p = QgsProcessingParameterFeatureSink("OUTPUT", self.tr("Protected counts"))
        p.setHelp(self.tr("The input with hidden counts set to null and flag fields."))
        self.addParameter(p)
        p = QgsProcessingParameterFeatureSink("REPORT", self.tr("Suppression report"),
                                              QgsProcessing.SourceType.TypeVector, optional=True)
        p.setHelp(self.tr("One row per hidden cell: row, field and reason."))
        self.addParameter(p)

    def execute(self, parameters, context, feedback):
        import pandas as pd

        from ...engine.disclosure import TOTAL_ROW, apply_to_columns
        from ...engine.errors import InputError
        from ...engine.values import numeric_columns
        from .. import bridge

        gdf, read = bridge.read_source(self, parameters, "INPUT", context, feedback)
        feedback.pushInfo(read.describe())
        if len(gdf) == 0:
            raise QgsProcessingException(f"{read.name} has no features: there is nothing to protect.")
        fields = self.parameterAsStrings(parameters, "FIELDS", context)
        if not fields:
            raise InputError("Choose at least one count field.")
        missing = [f for f in fields if f not in gdf.columns]
        if missing:
            raise InputError(f"{read.name} has no field(s) {', '.join(missing)}.")
        gdf = numeric_columns(gdf, fields, layer=read.name)  # counts stored as text
        nulls = gdf[fields].isna().sum()
        if nulls.any():
            raise InputError("Null counts in " + ", ".join(f"{k} ({v})" for k, v in nulls.items() if v)
                             + ": fill them (0 if none) before disclosure control.")
        row_id = self.parameterAsString(parameters, "ROW_ID", context)
        out, res = apply_to_columns(
            gdf, fields, threshold=self.parameterAsInt(parameters, "THRESHOLD", context),
            round_base=5 if self.parameterAsBool(parameters, "ROUND", context) else None,
            suppress_zeros=self.parameterAsBool(parameters, "SUPPRESS_ZEROS", context),
            secondary=self.parameterAsBool(parameters, "SECONDARY", context),
            feedback=engine_feedback(feedback, 0.3, 0.9))
        feedback.pushInfo(res.describe())
        if TOTAL_ROW in res.published.index:
            totals = res.published.loc[TOTAL_ROW]
            feedback.pushInfo("Column totals: " + ", ".join(
                f"{k} = {'hidden' if pd.isna(v) else f'{v:g}'}" for k, v in totals.items()))
        dest = bridge.write_output(self, parameters, "OUTPUT", context, out)
        results = {"OUTPUT": dest, "HIDDEN_PRIMARY": res.suppressed_primary,
                   "HIDDEN_SECONDARY": res.suppressed_secondary}
        if parameters.get("REPORT"):
            labels = gdf[row_id].astype(str).tolist() if row_id else [str(i) for i in range(len(gdf))]
            rows = []
            for item in res.report:
                r = item["row"]
                label = "TOTAL" if r == TOTAL_ROW else labels[int(r)]
                rows.append({"row": label, "field": str(item["column"]), "reason": item["reason"]})
            table = pd.DataFrame(rows, columns=["row", "field", "reason"])
            results["REPORT"] = bridge.write_output(self, parameters, "REPORT", context, table)
        return results
