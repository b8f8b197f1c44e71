"""joinedup:propertyprofile — one row per property from linked agency tables, and a ranked
targeting list from rules written as QGIS expressions."""
from __future__ import annotations

import os

from qgis.core import (
    QgsExpression,
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingUtils,
    QgsVectorLayer,
)

from ..base import JoinedUpAlgorithm, engine_feedback
from ._identifiers import add_identifier_parameters, identifier_choice

EXAMPLE_RULES = (
    "possible empty home | 3 | \"council_tax_occupancy\" = 'occupied' AND \"electoral_present\" = 0 "
    "AND coalesce(\"water_m3_last_quarter\", 0) < 2\n"
    "empty but using water | 2 | \"council_tax_occupancy\" = 'empty' AND \"water_m3_last_quarter\" >= 10\n"
    "many electors | 1 | \"electoral_records\" >= 6"
)
ROW_FIELD = "ju_profile_row"


def evaluate_rules(profile, rules, context, feedback):
    """Evaluate each rule's QGIS expression over the profile rows; returns ``{name: bool
    array}`` and fills each rule's ``fields``. The profile is written once to a temporary
    GeoPackage and filtered by QGIS (in C++), so no Python loop runs per property."""
    import numpy as np
    import pyogrio

    columns = [c for c in profile.columns if c != "geometry"]
    for rule in rules:
        expression = QgsExpression(rule.expression)
        if expression.hasParserError():
            raise QgsProcessingException(
                f"Rule '{rule.name}': the expression {rule.expression!r} does not parse: "
                f"{expression.parserErrorString()}")
        referenced = sorted(c for c in expression.referencedColumns() if c != QgsFeatureRequest.ALL_ATTRIBUTES)
        unknown = [c for c in referenced if c not in columns]
        if unknown:
            raise QgsProcessingException(
                f"Rule '{rule.name}' uses {', '.join(repr(u) for u in unknown)}, which the profile "
                f"does not have. Profile fields: {', '.join(columns)}")
        rule.fields = [c for c in columns if c in referenced]
    path = QgsProcessingUtils.generateTempFilename("profile_rules.gpkg", context)
    table = profile[columns].copy()
    table[ROW_FIELD] = np.arange(len(table), dtype=np.int64)
    for c in table.columns:  # GeoPackage has no nullable-int dtype quirks to fear, but keep text as text
        if table[c].dtype == object:
            table[c] = table[c].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
    pyogrio.write_dataframe(table, path, layer="profile", driver="GPKG")
    layer = QgsVectorLayer(f"{path}|layername=profile", "profile", "ogr")
    if not layer.isValid():
        raise QgsProcessingException(f"Could not open the temporary profile table {path}.")
    flags = {}
    for _i, rule in enumerate(rules):
        if feedback.isCanceled():
            raise QgsProcessingException("Cancelled: no output was written.")
        request = QgsFeatureRequest().setFilterExpression(rule.expression)
        request.setFlags(QgsFeatureRequest.Flag.NoGeometry)
        request.setSubsetOfAttributes([ROW_FIELD], layer.fields())
        mask = np.zeros(len(table), dtype=bool)
        rows = [f[ROW_FIELD] for f in layer.getFeatures(request)]
        if rows:
            mask[np.asarray(rows, dtype=np.int64)] = True
        flags[rule.name] = mask
        feedback.pushInfo(f"Rule '{rule.name}' (weight {rule.weight:g}): {int(mask.sum())} properties")
    del layer
    try:
        os.remove(path)
    except OSError:
        pass
    return flags


class PropertyProfile(JoinedUpAlgorithm):
    ALG_ID = "propertyprofile"
    SOURCES = "SOURCES"
    UPRN_FIELD = "UPRN_FIELD"
    FIELDS = "FIELDS"
    DATE_FIELDS = "DATE_FIELDS"
    RULES = "RULES"
    REFERENCE = "REFERENCE"
    REF_UPRN_FIELD = "REF_UPRN_FIELD"
    REF_ADDRESS_FIELDS = "REF_ADDRESS_FIELDS"
    MIN_SCORE = "MIN_SCORE"
    OUTPUT = "OUTPUT"
    TARGETS = "TARGETS"
    DISPLAY_NAME = "Property profiles and targeting list"
    GROUP = "linkage"
    ICON = "propertyprofile"
    TAGS = "uprn,property,profile,targeting,empty homes,hmo,fraud,rules,expression,evidence"
    HELP = (
        "Combines agency tables already linked to UPRNs (e.g. outputs of 'Link addresses to "
        "UPRNs' for council tax, the electoral register and water use) into one row per "
        "property, then flags properties with rules written as QGIS expressions and ranks them "
        "into a targeting list with the evidence for each.\n\n"
        "Profile (OUTPUT), per source (named after its layer, e.g. council_tax): "
        "<source>_present (1/0), <source>_records, <source>_last_seen (latest date, when the "
        "source has a date field) and <source>_<field> for each carried field (the value of its "
        "latest record). Records without a UPRN are left out and counted in the log. With a "
        "gazetteer, each property gets its address and point.\n\n"
        "RULES: one per line, 'name | weight | expression', e.g.\n"
        "possible empty home | 3 | \"council_tax_occupancy\" = 'occupied' AND "
        "\"electoral_present\" = 0 AND coalesce(\"water_m3_last_quarter\", 0) < 2\n"
        "A rule that evaluates to NULL does not fire. TARGETS lists the properties where at "
        "least one rule fires, ranked by the sum of their weights, with 'rules' (which fired), "
        "'evidence' (per rule, the values it used) and only the fields the rules used: nothing "
        "else about the household.\n\n"
        "Privacy: fields named like a person's name, date of birth, e-mail or phone are not "
        "carried unless named in FIELDS, and then dropped by default (IDENTIFIER_ACTION)."
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.add_parameter(
            QgsProcessingParameterMultipleLayers(self.SOURCES, self.tr("Linked agency tables"),
                                                     QgsProcessing.SourceType.TypeVector),
            "Tables with a UPRN per record (outputs of 'Link addresses to UPRNs', or "
            "any table with a UPRN field). The layer name prefixes its fields.")
        self.add_parameter(
            QgsProcessingParameterString(self.UPRN_FIELD, self.tr("UPRN field in the tables"),
                                             defaultValue="matched_uprn"),
            "Field holding the UPRN in every table; 'uprn' is used where a table lacks it.")
        self.add_parameter(
            QgsProcessingParameterString(self.FIELDS, self.tr("Fields to carry (comma-separated)"),
                                             optional=True, defaultValue=""),
            "Fields taken from each table that has them. Empty: every field that is not "
            "an address, linkage, date or personal-identifier field.")
        self.add_parameter(
            QgsProcessingParameterString(self.DATE_FIELDS, self.tr("Date fields (comma-separated)"),
                                             optional=True, defaultValue=""),
            "Candidate date fields; the first a table has gives its last-seen date and "
            "picks its latest record. Empty: the first field named like a date.")
        self.add_parameter(
            QgsProcessingParameterString(self.RULES, self.tr("Rules (name | weight | QGIS expression)"),
                                             multiLine=True, defaultValue=EXAMPLE_RULES),
            "One rule per line. Expressions use the profile's fields, e.g. "
            "\"council_tax_present\", \"electoral_records\", \"water_last_seen\".")
        self.add_parameter(
            QgsProcessingParameterFeatureSource(self.REFERENCE, self.tr("Address gazetteer"),
                                                    [QgsProcessing.SourceType.TypeVectorPoint], optional=True),
            "Optional: gives each property its address and point.")
        self.add_parameter(
            QgsProcessingParameterField(self.REF_UPRN_FIELD, self.tr("Gazetteer UPRN field"),
                                            parentLayerParameterName=self.REFERENCE, optional=True),
            "The gazetteer's UPRN field (needed with a gazetteer).")
        self.add_parameter(
            QgsProcessingParameterField(self.REF_ADDRESS_FIELDS, self.tr("Gazetteer address field(s)"),
                                            parentLayerParameterName=self.REFERENCE, allowMultiple=True, optional=True),
            "Address text copied to the profile and the targeting list.")
        add_identifier_parameters(self, "Direct identifiers named in FIELDS")
        self.add_parameter(
            QgsProcessingParameterNumber(self.MIN_SCORE, self.tr("Minimum score for the targeting list"),
                                             QgsProcessingParameterNumber.Type.Double, defaultValue=0.0),
            "Properties whose summed rule weights do not exceed this are left off the list.",
            advanced=True)
        self.add_parameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Property profiles"),
                                                  QgsProcessing.SourceType.TypeVectorAnyGeometry),
            "One row per property.")
        self.add_parameter(
            QgsProcessingParameterFeatureSink(self.TARGETS, self.tr("Targeting list"),
                                                  QgsProcessing.SourceType.TypeVectorAnyGeometry),
            "Flagged properties, ranked, with the evidence.")
        self.addOutput(QgsProcessingOutputNumber("PROPERTIES", self.tr("Properties profiled")))
        self.addOutput(QgsProcessingOutputNumber("FLAGGED", self.tr("Properties flagged")))

    def execute(self, parameters, context, feedback):
        from ...engine.property_profile import (
            build_profile,
            parse_rules,
            place_profile,
            prepare_sources,
            profile_layers,
            rank_targets,
        )
        from .. import bridge

        layers = self.parameterAsLayerList(parameters, self.SOURCES, context)
        if not layers:
            raise QgsProcessingException(self.tr("Choose at least one linked agency table."))
        split = lambda text: [t.strip() for t in (text or "").split(",") if t.strip()]  # noqa: E731
        fields = split(self.parameterAsString(parameters, self.FIELDS, context))
        date_fields = split(self.parameterAsString(parameters, self.DATE_FIELDS, context))
        rules = parse_rules(self.parameterAsString(parameters, self.RULES, context))
        action, salt, salt_note = identifier_choice(self, parameters, context)
        if salt_note:
            feedback.pushInfo(salt_note)
        tables = [(layer.name(), bridge.read_layer(layer, context, feedback)[0]) for layer in layers]
        sources, excluded, notes = prepare_sources(tables, fields=fields, action=action, salt=salt)
        for note in notes:
            feedback.pushInfo(note)
        profile, report = build_profile(
            sources, uprn_field=self.parameterAsString(parameters, self.UPRN_FIELD, context),
            date_fields=date_fields or None, fields=fields or None, exclude_fields=excluded,
            feedback=engine_feedback(feedback, 0.0, 0.5))
        for line in report.describe():
            feedback.pushInfo(line)

        geometry = None
        reference, read = bridge.read_source(self, parameters, self.REFERENCE, context, feedback, required=False)
        if reference is not None:
            if read.null_geometries and not read.changed:  # (a changed read has said so already)
                feedback.pushInfo(read.describe())
            ref_uprn = (self.parameterAsStrings(parameters, self.REF_UPRN_FIELD, context) or [None])[0]
            if not ref_uprn:
                raise QgsProcessingException(self.tr("Choose the gazetteer's UPRN field."))
            address, geometry, warnings = place_profile(
                profile, reference, uprn_field=ref_uprn,
                address_fields=self.parameterAsStrings(parameters, self.REF_ADDRESS_FIELDS, context))
            if address is not None:
                profile.insert(1, "address", address)
            for warning in warnings:
                feedback.pushWarning(warning)
        flags = evaluate_rules(profile, rules, context, feedback)
        feedback.setProgress(80)
        targets = rank_targets(profile, rules, flags, keep_fields=("uprn", "address"),
                               min_score=self.parameterAsDouble(parameters, self.MIN_SCORE, context))
        profile_out, targets_out, notes = profile_layers(profile, targets, rules, flags, geometry)
        for note in notes:
            feedback.pushInfo(note)
        gtype = "Point" if geometry is not None else None
        results = {"PROPERTIES": len(profile), "FLAGGED": len(targets)}
        results["OUTPUT"] = bridge.write_output(self, parameters, self.OUTPUT, context, profile_out,
                                                geometry_type=gtype)
        results["TARGETS"] = bridge.write_output(self, parameters, self.TARGETS, context, targets_out,
                                                 geometry_type=gtype)
        feedback.pushInfo(f"{len(targets)} of {len(profile)} properties flagged by at least one rule")
        return results
