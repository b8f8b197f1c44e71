"""joinedup:validatelayer — check a layer against a Frictionless Table Schema: one row per
violation, and a summary in the log."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
)

from ..base import JoinedUpAlgorithm, engine_feedback


class ValidateLayer(JoinedUpAlgorithm):
    ALG_ID = "validatelayer"
    DISPLAY_NAME = "Check a layer against a table schema"
    GROUP = "workbench"
    ICON = "validatelayer"
    TAGS = "validate,schema,frictionless,table schema,quality,check,pattern,gss,postcode,enum,open data"
    HELP = (
        "Checks every feature's attributes against a Frictionless Table Schema (a JSON file: "
        "https://specs.frictionlessdata.io/table-schema/), using the frictionless library's own "
        "checks: field types (integer, number, date, boolean ...), required fields, patterns (a "
        "GSS area code 'E0[0-9]{7}', a postcode), enumerations (enum), ranges (minimum, maximum), "
        "lengths and uniqueness.\n\n"
        "VIOLATIONS holds one row per broken rule: feature_id (the input's feature id), field, rule "
        "(type, required, pattern, enum, minimum ...), value (as written; '(personal: not shown)' "
        "for fields named like a person's name, birth date, e-mail or phone, or marked "
        "\"personal\": true in the schema) and message. A feature whose every field is empty is one "
        "'blank-row' violation. The log gives the counts per field and rule, never values.\n\n"
        "Fields are matched by name. Schema fields the layer lacks are named in the log once "
        "(MISSING_FIELDS), not per feature; layer fields the schema does not mention are not checked. "
        "Geometry is not checked. Every input feature is either in VIOLATIONS or counted in VALID."
    )

    INPUT = "INPUT"
    SCHEMA = "SCHEMA"
    VIOLATIONS = "VIOLATIONS"
    VALID = "VALID"
    INVALID = "INVALID"
    VIOLATION_COUNT = "VIOLATION_COUNT"
    MISSING_FIELDS = "MISSING_FIELDS"

    def initAlgorithm(self, config=None):  # noqa: N802
        add = self.add_parameter
        add(QgsProcessingParameterFeatureSource(self.INPUT, "Layer to check", [QgsProcessing.SourceType.TypeVector]),
            "The layer or table whose attributes are checked (a selection is honoured).")
        add(QgsProcessingParameterFile(self.SCHEMA, "Table Schema (JSON)",
                                       behavior=QgsProcessingParameterFile.Behavior.File,
                                       fileFilter="Table Schema (*.json)"),
            "A Frictionless Table Schema: {\"fields\": [{\"name\": ..., \"type\": ..., \"constraints\": "
            "{\"required\": true, \"pattern\": \"E0[0-9]{7}\", \"enum\": [...], \"minimum\": 0}}]}.")
        add(QgsProcessingParameterFeatureSink(self.VIOLATIONS, "Violations", QgsProcessing.SourceType.TypeVector),
            "One row per violation: feature_id, field, rule, value (never a personal value), message. "
            "No geometry.")
        for name, text in ((self.VALID, "Features that pass"), (self.INVALID, "Features that break a rule"),
                           (self.VIOLATION_COUNT, "Violations"), (self.MISSING_FIELDS, "Schema fields missing")):
            self.addOutput(QgsProcessingOutputNumber(name, text))

    def execute(self, parameters, context, feedback):
        from ...engine.opendata import validate_table
        from .. import bridge

        gdf, read = bridge.read_source(self, parameters, self.INPUT, context, feedback)
        feedback.pushInfo(read.describe())
        result = validate_table(gdf, self.parameterAsFile(parameters, self.SCHEMA, context), feature_ids=read.fids,
                                feedback=engine_feedback(feedback, 0.2, 0.9))
        for line in result.describe():
            feedback.pushInfo(line)
        value = bridge.write_output(self, parameters, self.VIOLATIONS, context, result.violations)
        return {self.VIOLATIONS: value, self.VALID: result.rows - result.rows_with_violations,
                self.INVALID: result.rows_with_violations, self.VIOLATION_COUNT: len(result.violations),
                self.MISSING_FIELDS: len(result.missing_fields)}
