"""joinedup:publishopendata — a layer standardised, anonymised and written as an open-data
package (CSV, GeoJSON, GeoPackage, datapackage.json with DCAT-style metadata, a data-quality
report)."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..base import JoinedUpAlgorithm, engine_feedback

METHOD_OPTIONS = ["Aggregate points to areas (disclosure control)", "Geomask points (donut masking)",
                  "Publish as they are (data about places, not people)"]
METHOD_KEYS = ["aggregate", "geomask", "none"]
LICENCE_KEYS = ["OGL-UK-3.0", "CC-BY-4.0", "ODbL-1.0", "CC0-1.0"]
FREQUENCY_KEYS = ["irregular", "daily", "weekly", "monthly", "quarterly", "annual", "never"]


class PublishOpenData(JoinedUpAlgorithm):
    ALG_ID = "publishopendata"
    DISPLAY_NAME = "Publish a layer as open data"
    GROUP = "workbench"
    ICON = "publishopendata"
    TAGS = "open data,publish,anonymise,geomask,donut,k-anonymity,disclosure,frictionless,datapackage,dcat,csv,geojson"
    HELP = (
        "Writes a layer as an open-data package in a new (or empty) folder, its files named after "
        "the TITLE: a CSV (attributes with longitude/latitude in WGS84 and easting/northing in British National Grid), "
        "a GeoJSON (WGS84), a GeoPackage (EPSG:27700), datapackage.json (a Frictionless data "
        "package with DCAT-style metadata: title, description, publisher, licence, temporal coverage "
        "from the date fields, spatial coverage as a WGS84 box, update frequency) and "
        "data_quality.json (what was changed, dropped, hidden and checked).\n\n"
        "Standardised: field names in snake_case; text trimmed (empty text is null); dates as ISO 8601 "
        "(read day-first unless year-first; unreadable dates left empty and counted); postcodes as "
        "'LS1 4AP' (anything else left empty and counted); text that is all numbers as numbers (codes "
        "with a leading zero stay text); area codes checked against a lookup (area_code_check: ok, "
        "not in lookup, empty).\n\n"
        "Anonymised: direct identifiers (fields named like a person's name, date of birth, e-mail or "
        "phone, and DROP_FIELDS) are always dropped. Then, by METHOD: aggregate the points to areas "
        "and publish counts with disclosure control (counts below THRESHOLD hidden, and the cells "
        "that would give them away; points outside every area or without a location are counted in "
        "the log, not published); or geomask them: each point moved in a random direction by between "
        "MIN_DISPLACEMENT and MAX_DISPLACEMENT metres, and its spatial k-anonymity measured against "
        "ADDRESSES (the address points at least as close to the true place as the masked point is; "
        "spatial_k field; a warning for points below K_TARGET); or publish as they are.\n\n"
        "Rows that are the only one with their QUASI_IDENTIFIERS (age band, sex, ward ...) are "
        "counted with a warning. The log holds counts only, never values. The package is written "
        "whole or not at all; the folder must be new or empty, so an input is never overwritten."
    )

    INPUT = "INPUT"
    TITLE = "TITLE"
    DESCRIPTION = "DESCRIPTION"
    PUBLISHER = "PUBLISHER"
    LICENCE = "LICENCE"
    UPDATE_FREQUENCY = "UPDATE_FREQUENCY"
    METHOD = "METHOD"
    AREAS = "AREAS"
    AREA_ID_FIELD = "AREA_ID_FIELD"
    CATEGORY_FIELD = "CATEGORY_FIELD"
    THRESHOLD = "THRESHOLD"
    ADDRESSES = "ADDRESSES"
    MIN_DISPLACEMENT = "MIN_DISPLACEMENT"
    MAX_DISPLACEMENT = "MAX_DISPLACEMENT"
    K_TARGET = "K_TARGET"
    DROP_FIELDS = "DROP_FIELDS"
    QUASI_IDENTIFIERS = "QUASI_IDENTIFIERS"
    DATE_FIELDS = "DATE_FIELDS"
    AREA_CODE_FIELD = "AREA_CODE_FIELD"
    AREA_LOOKUP = "AREA_LOOKUP"
    AREA_LOOKUP_FIELD = "AREA_LOOKUP_FIELD"
    SEED = "SEED"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        add = self.add_parameter
        any_layer = [QgsProcessing.SourceType.TypeVectorAnyGeometry]
        add(QgsProcessingParameterFeatureSource(self.INPUT, "Layer to publish", any_layer),
            "Points (records, incidents) or areas; a selection is honoured. Needs a CRS.")
        add(QgsProcessingParameterString(self.TITLE, "Title"), "The dataset's title (dct:title). Its "
            "snake_case form, with hyphens, names the package and its files.")
        add(QgsProcessingParameterString(self.DESCRIPTION, "Description", multiLine=True, optional=True),
            "What the data is, where it comes from, and how it was anonymised (dct:description).")
        add(QgsProcessingParameterString(self.PUBLISHER, "Publisher", optional=True),
            "The organisation publishing it (dct:publisher), e.g. 'City-region Office of Data Analytics'.")
        add(QgsProcessingParameterEnum(self.LICENCE, "Licence", options=LICENCE_KEYS, defaultValue=0),
            "The licence (dct:license); OGL-UK-3.0 is the UK public sector's usual one.")
        add(QgsProcessingParameterEnum(self.UPDATE_FREQUENCY, "Update frequency", options=FREQUENCY_KEYS,
                                       defaultValue=0), "How often it is republished (dct:accrualPeriodicity).")
        add(QgsProcessingParameterEnum(self.METHOD, "Anonymisation", options=METHOD_OPTIONS, defaultValue=0),
            "Aggregate (needs AREAS and AREA_ID_FIELD), geomask (needs ADDRESSES and a projected CRS), or "
            "as they are (only for data that holds no people). Direct identifiers are dropped in every case.")
        add(QgsProcessingParameterFeatureSource(self.AREAS, "Areas to aggregate to",
                                                [QgsProcessing.SourceType.TypeVectorPolygon], optional=True),
            "Polygons (LSOAs, wards), any CRS. Each published row is an area with its counts.")
        add(QgsProcessingParameterField(self.AREA_ID_FIELD, "Area id field", None, self.AREAS, optional=True),
            "The areas' code field, published with the counts.")
        add(QgsProcessingParameterField(self.CATEGORY_FIELD, "Count by category field", None, self.INPUT,
                                        optional=True),
            "Aggregate: one count column per value of this field (count_<value>), with row totals. Empty: one count.")
        add(QgsProcessingParameterNumber(self.THRESHOLD, "Disclosure threshold",
                                         QgsProcessingParameterNumber.Type.Integer, 10, False, 1),
            "Aggregate: counts from 1 to this minus one are hidden (with the cells that would reveal them).")
        add(QgsProcessingParameterFeatureSource(self.ADDRESSES, "Address points (for k-anonymity)",
                                                [QgsProcessing.SourceType.TypeVectorPoint], optional=True),
            "Geomask: every residential address point (e.g. the gazetteer); any CRS.")
        add(QgsProcessingParameterNumber(self.MIN_DISPLACEMENT, "Minimum displacement (metres)",
                                         QgsProcessingParameterNumber.Type.Double, 50, False, 0),
            "Geomask: no point moves less than this, so none stays on its own address.")
        add(QgsProcessingParameterNumber(self.MAX_DISPLACEMENT, "Maximum displacement (metres)",
                                         QgsProcessingParameterNumber.Type.Double, 250, False, 1),
            "Geomask: no point moves more than this, so the pattern survives.")
        add(QgsProcessingParameterNumber(self.K_TARGET, "k-anonymity wanted", QgsProcessingParameterNumber.Type.Integer,
                                         5, False, 1),
            "Geomask: points with fewer address points than this within their displacement of the true "
            "place are counted with a warning.")
        for name, label, text in (
                (self.DROP_FIELDS, "Other fields to drop",
                 "Fields removed besides those named like a person's name, birth date, e-mail or phone."),
                (self.QUASI_IDENTIFIERS, "Quasi-identifier fields",
                 "Fields that together could single a person out (age band, sex, ward); rows unique on them are "
                 "counted with a warning."),
                (self.DATE_FIELDS, "Date fields",
                 "Fields to write as ISO 8601 dates, besides date-typed fields and fields named like dates.")):
            add(QgsProcessingParameterField(name, label, None, self.INPUT, allowMultiple=True, optional=True), text)
        add(QgsProcessingParameterField(self.AREA_CODE_FIELD, "Area code field to check", None, self.INPUT,
                                        optional=True),
            "A field of GSS codes (ward, LSOA) checked against AREA_LOOKUP; the result is in area_code_check.")
        add(QgsProcessingParameterFeatureSource(self.AREA_LOOKUP, "Area code lookup",
                                                [QgsProcessing.SourceType.TypeVector], optional=True),
            "A table or layer listing the valid codes (e.g. the ONS ward lookup).")
        add(QgsProcessingParameterField(self.AREA_LOOKUP_FIELD, "Lookup code field", None, self.AREA_LOOKUP,
                                        optional=True), "The lookup's code field.")
        add(QgsProcessingParameterNumber(self.SEED, "Random seed (geomask)", QgsProcessingParameterNumber.Type.Integer,
                                         optional=True),
            "Geomask: a seed repeats the same displacement; empty gives a new one each run (safer: "
            "two releases masked alike cannot be averaged).", advanced=True)
        add(QgsProcessingParameterFolderDestination(self.OUTPUT, "Open-data package folder"),
            "A new or empty folder; the package is moved into it when complete.")
        self.addOutput(QgsProcessingOutputFile("DATAPACKAGE", "datapackage.json"))
        for name, text in (("ROWS_IN", "Input features"), ("ROWS_PUBLISHED", "Rows published"),
                           ("WARNINGS", "Warnings"), ("K_MIN", "Smallest spatial k (geomask)")):
            self.addOutput(QgsProcessingOutputNumber(name, text))

    def execute(self, parameters, context, feedback):
        from ...engine.publish import PackageMetadata, publish
        from .. import bridge

        def text(name):
            return self.parameterAsString(parameters, name, context).strip()

        def fields(name):
            return self.parameterAsStrings(parameters, name, context)

        def number(name):
            return self.parameterAsDouble(parameters, name, context)

        gdf, read = bridge.read_source(self, parameters, self.INPUT, context, feedback)
        feedback.pushInfo(read.describe())
        areas, _ = bridge.read_source(self, parameters, self.AREAS, context, feedback, required=False)
        addresses, _ = bridge.read_source(self, parameters, self.ADDRESSES, context, feedback, required=False)
        lookup, _ = bridge.read_source(self, parameters, self.AREA_LOOKUP, context, feedback, required=False)
        lookup_field = text(self.AREA_LOOKUP_FIELD)
        title = text(self.TITLE)
        metadata = PackageMetadata(
            name=title, title=title, description=text(self.DESCRIPTION), publisher=text(self.PUBLISHER),
            licence=LICENCE_KEYS[self.parameterAsEnum(parameters, self.LICENCE, context)],
            update_frequency=FREQUENCY_KEYS[self.parameterAsEnum(parameters, self.UPDATE_FREQUENCY, context)])
        seed = parameters.get(self.SEED)
        result = publish(
            gdf, self.parameterAsString(parameters, self.OUTPUT, context), metadata,
            method=METHOD_KEYS[self.parameterAsEnum(parameters, self.METHOD, context)], areas=areas,
            area_id_field=text(self.AREA_ID_FIELD) or None, category_field=text(self.CATEGORY_FIELD) or None,
            threshold=int(number(self.THRESHOLD)), addresses=addresses,
            min_distance_m=number(self.MIN_DISPLACEMENT), max_distance_m=number(self.MAX_DISPLACEMENT),
            k_target=int(number(self.K_TARGET)), seed=None if seed in (None, "") else int(seed),
            drop_fields=fields(self.DROP_FIELDS), quasi_identifiers=fields(self.QUASI_IDENTIFIERS),
            date_fields=fields(self.DATE_FIELDS) or None, area_code_field=text(self.AREA_CODE_FIELD) or None,
            area_codes=lookup[lookup_field].dropna().tolist() if lookup is not None and lookup_field else None,
            source_name=read.name, feedback=engine_feedback(feedback, 0.1, 1.0))
        for line in result.notes:
            feedback.pushInfo(line)
        for line in result.warnings:
            feedback.pushWarning(line)
        return {self.OUTPUT: result.folder, "DATAPACKAGE": result.files["datapackage"], "ROWS_IN": result.rows_in,
                "ROWS_PUBLISHED": result.rows_published, "WARNINGS": len(result.warnings),
                "K_MIN": result.quality.get("geomask", {}).get("k_min")}
