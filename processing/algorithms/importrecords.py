"""joinedup:importrecords — an agency extract (CSV, .xlsx, .ods) becomes a point layer, with
every row placed or reported."""
from __future__ import annotations

import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterString,
)

from ..base import JoinedUpAlgorithm, engine_feedback, profile_cache_folder
from ..text_params import ENCODING_KEYS, ENCODING_OPTIONS
from ._identifiers import add_identifier_parameters, identifier_choice

# The terms the office holds the extract on, recorded in the catalogue (processing/lineage.py).
TERM_PARAMETERS = (
    ("OWNER_AGENCY", "owner_agency", "Owner agency", "The agency that shared the extract (e.g. 'Council tax')."),
    ("SHARING_AGREEMENT", "sharing_agreement", "Data-sharing agreement reference",
     "The reference of the agreement under which it was shared (e.g. 'DSA-2026-014')."),
    ("LICENCE", "licence", "Licence or terms of use", "The licence or terms it was shared under."),
    ("RETENTION_DATE", "retention_date", "Retention date (YYYY-MM-DD)",
     "The date after which the extract must be deleted; publishing from it after that date warns."),
)
SENSITIVITY_OPTIONS = ["OFFICIAL", "OFFICIAL-SENSITIVE"]

FIELD_PARAMETERS = (
    ("EASTING_FIELD", "Easting field (British National Grid, metres)", "easting"),
    ("NORTHING_FIELD", "Northing field (British National Grid, metres)", "northing"),
    ("LATITUDE_FIELD", "Latitude field (WGS84, decimal degrees)", "latitude"),
    ("LONGITUDE_FIELD", "Longitude field (WGS84, decimal degrees)", "longitude"),
    ("POSTCODE_FIELD", "Postcode field", "postcode"),
)


def default_cache_folder() -> str:
    """Where indexed postcode directories are kept when CACHE_FOLDER is empty: the QGIS profile."""
    return profile_cache_folder("postcode_cache")


class ImportRecords(JoinedUpAlgorithm):
    ALG_ID = "importrecords"
    DISPLAY_NAME = "Import agency records as points"
    GROUP = "workbench"
    ICON = "importrecords"
    TAGS = "import,extract,csv,excel,xlsx,ods,spreadsheet,postcode,onspd,code-point,easting,northing," \
           "latitude,longitude,geocode,place,date"
    HELP = (
        "Turns an agency extract (CSV, Excel .xlsx or LibreOffice .ods) into a point layer. Every "
        "row is placed or says why not: nothing is dropped silently.\n\n"
        "Reading: a CSV's encoding (UTF-8, UTF-8 with a byte-order mark, Windows-1252 as Excel "
        "saves it) and delimiter (comma, semicolon, tab, pipe) are sniffed. Every value is kept as "
        "text as written (reference numbers keep their leading zeros). Rows with every cell empty "
        "are skipped and counted (BLANK_ROWS); empty lines in a CSV are not rows.\n\n"
        "Placing, per row, in this order: British National Grid easting and northing (metres); "
        "else latitude and longitude (WGS84 degrees); else, when you give ADDRESS_FIELDS and a "
        "GAZETTEER, the address, linked to a UPRN of the gazetteer by the address linkage of "
        "'Link addresses to UPRNs' (with the row's postcode) and placed at that UPRN's point; "
        "else the postcode, looked up in the "
        "postcode directory you give (ONS Postcode Directory CSV, or OS Code-Point Open CSV, or a "
        "folder of them). The address comes before the postcode because a gazetteer point is the "
        "property, a postcode's point the middle of some 15 addresses. Postcodes are matched in any "
        "case and spacing ('sw1a2aa', ' SW1A  2AA '). "
        "Fields left empty are found by their usual names (easting, northing, latitude, lat, "
        "longitude, lon, postcode ...); address fields are never guessed.\n\n"
        "Placing by address adds matched_uprn, match_method ('exact', 'trigram', 'probabilistic') "
        "and match_level ('uprn': the addressed unit; 'parent': its building; 'none'), as the "
        "linkage gives them, and address_problem: for a row whose address was not linked, "
        "'not linked: ' and the linkage's reason. Such a row goes on to its postcode; with none, "
        "or none the directory places, place_status is 'address not linked: ' and the reason's "
        "heading ('address not linked: number not in street', '... flat not in building', "
        "'... no candidate with this postcode or these address words', '... below threshold', "
        "'... tie') when the address was its last try, else the postcode's reason.\n\n"
        "place_status says what happened to each row: 'placed'; 'unparseable date' (placed, but a "
        "date could not be read: its text is kept in date_problem); or, with no point: 'no "
        "coordinates' (no coordinates, address or postcode to place it with), 'address not linked: "
        "...' (see above), 'invalid coordinates' (not numbers, or latitude "
        "beyond 90 / longitude beyond 180 degrees), 'invalid postcode' (not a UK postcode), "
        "'unknown postcode' (not in the directory), 'terminated postcode' (the directory gives a "
        "termination date, doterm), 'postcode has no grid reference', 'outside the area' (outside "
        "AREA, or without AREA outside the British National Grid's 0-700 km by 0-1300 km). The log "
        "gives the count of each with the first row numbers (source_row, 1 = the first row after "
        "the header), never values. place_method says what placed the row.\n\n"
        "Dates (DATE_FIELDS, or fields named like dates) are read day-first: 03/04/2025 is 3 April "
        "2025; year-first dates (2025-04-03, 2025/04/03) are read year-month-day. They are written "
        "as date-times (midnight when only a date is given).\n\n"
        "Output CRS: EPSG:27700 when any row is placed from a grid reference; otherwise OUTPUT_CRS "
        "(EPSG:27700 by default).\n\n"
        "Privacy: fields named like a person's name, date of birth, e-mail or phone are dropped by "
        "default (IDENTIFIER_ACTION). Values are never written to the log.\n\n"
        "Catalogue: the run is recorded in the office's catalogue with the extract's SHA-256, and "
        "the terms given under Advanced (owner agency, data-sharing agreement, licence, sensitivity, "
        "personal data, retention date) are recorded against the extract."
    )

    INPUT = "INPUT"
    ENCODING = "ENCODING"
    SHEET = "SHEET"
    POSTCODE_DIRECTORY = "POSTCODE_DIRECTORY"
    DATE_FIELDS = "DATE_FIELDS"
    AREA = "AREA"
    OUTPUT_CRS = "OUTPUT_CRS"
    CACHE_FOLDER = "CACHE_FOLDER"
    ADDRESS_FIELDS = "ADDRESS_FIELDS"
    GAZETTEER = "GAZETTEER"
    GAZETTEER_UPRN_FIELD = "GAZETTEER_UPRN_FIELD"
    GAZETTEER_ADDRESS_FIELDS = "GAZETTEER_ADDRESS_FIELDS"
    GAZETTEER_POSTCODE_FIELD = "GAZETTEER_POSTCODE_FIELD"
    SENSITIVITY = "SENSITIVITY"
    PERSONAL_DATA = "PERSONAL_DATA"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.add_parameter(
            QgsProcessingParameterFile(self.INPUT, self.tr("Agency extract (CSV, .xlsx or .ods)"),
                                       behavior=QgsProcessingParameterFile.Behavior.File,
                                       fileFilter="Extracts (*.csv *.txt *.tsv *.xlsx *.ods)"),
            "The extract file. The first row holds the column names.")
        self.add_parameter(
            QgsProcessingParameterEnum(self.ENCODING, self.tr("Text encoding of a CSV"), options=ENCODING_OPTIONS,
                                       defaultValue=0),
            "Sniff reads UTF-8 (with or without a byte-order mark) and falls back to Windows-1252. "
            "Spreadsheets ignore this.", advanced=True)
        self.add_parameter(
            QgsProcessingParameterString(self.SHEET, self.tr("Sheet (spreadsheets)"), optional=True),
            "The sheet of an .xlsx or .ods file to read. Empty: the first sheet.", advanced=True)
        for name, label, role in FIELD_PARAMETERS:
            self.add_parameter(
                QgsProcessingParameterString(name, self.tr(label), optional=True),
                f"The column holding the {role}, as named in the extract's header. Empty: a column "
                f"with a usual name for it, if there is one.")
        self.add_parameter(
            QgsProcessingParameterFile(self.POSTCODE_DIRECTORY,
                                       self.tr("Postcode directory (ONSPD or Code-Point Open CSV)"),
                                       behavior=QgsProcessingParameterFile.Behavior.File, optional=True,
                                       fileFilter="CSV (*.csv)"),
            "Needed to place rows by postcode: the ONS Postcode Directory (columns pcds or pcd, "
            "oseast1m, osnrth1m, doterm, osgrdind) or an OS Code-Point Open CSV (with or without its "
            "header). Terminated postcodes (doterm set) are reported, not placed.")
        self.add_parameter(
            QgsProcessingParameterString(self.ADDRESS_FIELDS, self.tr("Address field(s) (comma-separated)"),
                                         optional=True),
            "Columns of the extract holding the address, in reading order (e.g. 'address' or "
            "'line1, line2, town'), joined as 'Link addresses to UPRNs' joins them. With a GAZETTEER, "
            "rows not placed by coordinates are placed at the gazetteer point of the UPRN their "
            "address links to. Empty: rows are not placed by address.")
        self.add_parameter(
            QgsProcessingParameterFeatureSource(self.GAZETTEER, self.tr("Address gazetteer (for placing by address)"),
                                                [QgsProcessing.SourceType.TypeVectorPoint], optional=True),
            "The council's gazetteer (LLPG, AddressBase): one point per address with its UPRN and "
            "address, in any CRS (points are transformed to the output CRS). Needs the Python package "
            "uk_address_matcher, as 'Link addresses to UPRNs' does. Holds no agency records.")
        self.add_parameter(
            QgsProcessingParameterField(self.GAZETTEER_UPRN_FIELD, self.tr("Gazetteer UPRN field"),
                                        parentLayerParameterName=self.GAZETTEER, optional=True),
            "The gazetteer's property reference, copied to matched_uprn. Needed with a gazetteer.")
        self.add_parameter(
            QgsProcessingParameterField(self.GAZETTEER_ADDRESS_FIELDS, self.tr("Gazetteer address field(s)"),
                                        parentLayerParameterName=self.GAZETTEER, allowMultiple=True,
                                        optional=True),
            "One field with the whole address, or several joined in the order given. Needed with a gazetteer.")
        self.add_parameter(
            QgsProcessingParameterField(self.GAZETTEER_POSTCODE_FIELD, self.tr("Gazetteer postcode field"),
                                        parentLayerParameterName=self.GAZETTEER, optional=True),
            "Optional; a postcode inside the gazetteer's address text is also found. The extract's "
            "postcode field, when there is one, is used by the linkage too.")
        self.add_parameter(
            QgsProcessingParameterString(self.DATE_FIELDS, self.tr("Date fields (comma-separated)"), optional=True),
            "Columns to read as dates, day-first unless year-first. Empty: columns named like dates "
            "(date, received, reported, dob ...). Unreadable dates are kept as text in date_problem "
            "and the row is marked 'unparseable date'.")
        self.add_parameter(
            QgsProcessingParameterFeatureSource(self.AREA, self.tr("Area the records should fall in"),
                                                [QgsProcessing.SourceType.TypeVectorPolygon], optional=True),
            "Optional polygons (e.g. the city-region boundary), in any CRS. Rows placed outside every "
            "polygon are marked 'outside the area' and get no point.")
        self.add_parameter(
            QgsProcessingParameterCrs(self.OUTPUT_CRS, self.tr("Output CRS (when no grid references)"),
                                      defaultValue="EPSG:27700", optional=True),
            "CRS of the points when rows are placed from latitude/longitude or postcodes only. Rows "
            "placed from British National Grid references always give EPSG:27700.")
        self.add_parameter(
            QgsProcessingParameterFile(self.CACHE_FOLDER, self.tr("Folder to keep the indexed postcode directory in"),
                                       behavior=QgsProcessingParameterFile.Behavior.Folder, optional=True),
            "The postcode directory is indexed once (only postcode, easting, northing and whether "
            "terminated, as a GeoPackage) and read from the index while the directory file is "
            "unchanged: about 4 times faster than parsing the CSV. The three most recently used "
            "indexes are kept. Empty: the folder 'joinedup/postcode_cache' in the QGIS profile. "
            "Holds no agency records.", advanced=True)
        add_identifier_parameters(self, "Direct identifiers in the output")
        for name, _, label, text in TERM_PARAMETERS:
            self.add_parameter(QgsProcessingParameterString(name, self.tr(label), optional=True),
                               text + " Recorded with the extract in the office's catalogue.", advanced=True)
        self.add_parameter(
            QgsProcessingParameterEnum(self.SENSITIVITY, self.tr("Sensitivity"), options=SENSITIVITY_OPTIONS,
                                       defaultValue=1),
            "The Government Security Classification the extract is handled at; recorded in the catalogue.",
            advanced=True)
        self.add_parameter(
            QgsProcessingParameterBoolean(self.PERSONAL_DATA, self.tr("The extract holds personal data"), True),
            "Recorded in the catalogue; publishing anything made from it then warns.", advanced=True)
        self.add_parameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Placed records"),
                                              QgsProcessing.SourceType.TypeVectorPoint),
            "Every non-blank row with its fields, source_row, place_status, place_method and "
            "date_problem (and, placing by address, matched_uprn, match_method, match_level and "
            "address_problem); rows not placed have no geometry.")
        for name, text in (("PLACED", "Rows placed"), ("NOT_PLACED", "Rows not placed"),
                           ("BLANK_ROWS", "Blank rows skipped")):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(text)))

    def execute(self, parameters, context, feedback):
        from ...engine.linkage_duckdb import release_duckdb_default_connection

        try:
            return self._import(parameters, context, feedback)
        finally:  # the address linkage's DuckDB, as linkaddresses releases it
            release_duckdb_default_connection(feedback.pushWarning)

    def _address_placing(self, parameters, context, feedback):
        """Placing by address, or None when neither address fields nor a gazetteer is given."""
        from ...engine.records import AddressPlacing
        from .. import bridge

        names = [n.strip() for n in self.parameterAsString(parameters, self.ADDRESS_FIELDS, context).split(",")
                 if n.strip()]
        gazetteer, report = bridge.read_source(self, parameters, self.GAZETTEER, context, feedback, required=False)
        if not names and gazetteer is None:
            return None
        if report is not None:
            feedback.pushInfo(report.describe())
        postcode = self.parameterAsStrings(parameters, self.GAZETTEER_POSTCODE_FIELD, context)
        uprn = self.parameterAsStrings(parameters, self.GAZETTEER_UPRN_FIELD, context)
        return AddressPlacing(
            names, gazetteer, uprn[0] if uprn else "",
            self.parameterAsStrings(parameters, self.GAZETTEER_ADDRESS_FIELDS, context),
            postcode[0] if postcode else None, cache_dir=profile_cache_folder("gazetteer_cache"))

    def _import(self, parameters, context, feedback):
        from shapely import union_all

        from ...engine.catalogue import checked_terms
        from ...engine.errors import EngineCancelled
        from ...engine.identifiers import guess_identifier_fields, protect_identifiers
        from ...engine.records import load_postcode_directory, place_records, read_extract
        from .. import bridge
        from ..lineage import record_terms

        path = self.parameterAsFile(parameters, self.INPUT, context)
        directory_path = self.parameterAsFile(parameters, self.POSTCODE_DIRECTORY, context)
        self._refuse_overwriting_inputs(parameters, context, [path, directory_path])
        terms = checked_terms(  # before any work: a mistyped date stops here
            **{key: self.parameterAsString(parameters, name, context).strip() for name, key, _, _ in TERM_PARAMETERS},
            sensitivity=SENSITIVITY_OPTIONS[self.parameterAsEnum(parameters, self.SENSITIVITY, context)],
            personal_data=self.parameterAsBool(parameters, self.PERSONAL_DATA, context))
        encoding = ENCODING_KEYS[self.parameterAsEnum(parameters, self.ENCODING, context)]
        frame, note = read_extract(path, encoding=encoding,
                                   sheet=self.parameterAsString(parameters, self.SHEET, context) or None)
        feedback.pushInfo(note)
        directory = None
        if directory_path:
            feedback.setProgressText(self.tr("Reading the postcode directory"))
            directory, directory_note = load_postcode_directory(
                directory_path, cache_dir=self.parameterAsFile(parameters, self.CACHE_FOLDER, context)
                or default_cache_folder(), feedback=engine_feedback(feedback, 0.05, 0.6))
            feedback.pushInfo(directory_note)
        if feedback.isCanceled():
            raise EngineCancelled("Cancelled by the user.")  # base.py says the one cancel message
        area, area_crs = None, None
        areas, area_report = bridge.read_source(self, parameters, self.AREA, context, feedback, required=False)
        if areas is not None:
            feedback.pushInfo(area_report.describe())
            area, area_crs = union_all(areas.geometry.dropna().to_numpy()), areas.crs
        dates = self.parameterAsString(parameters, self.DATE_FIELDS, context)
        crs = self.parameterAsCrs(parameters, self.OUTPUT_CRS, context)
        fields = {role: self.parameterAsString(parameters, name, context).strip() or None
                  for name, _, role in FIELD_PARAMETERS}
        action, salt, salt_note = identifier_choice(self, parameters, context)
        if salt_note:
            feedback.pushInfo(salt_note)
        identifiers = guess_identifier_fields(frame.columns)
        placed, report = place_records(
            frame, easting_field=fields["easting"], northing_field=fields["northing"],
            latitude_field=fields["latitude"], longitude_field=fields["longitude"],
            postcode_field=fields["postcode"], directory=directory,
            date_fields=[d.strip() for d in dates.split(",") if d.strip()] if dates.strip() else None,
            area=area, area_crs=area_crs,
            output_crs=bridge.crs_to_engine(crs) if crs.isValid() else None,
            identifier_fields=identifiers if action != "keep" else (),
            address=self._address_placing(parameters, context, feedback),
            feedback=engine_feedback(feedback, 0.6, 0.95))
        for line in report.describe():
            feedback.pushInfo(line)
        placed, id_note = protect_identifiers(placed, identifiers, action=action, salt=salt)
        if id_note:
            feedback.pushInfo(id_note)
        value = bridge.write_output(self, parameters, self.OUTPUT, context, placed, geometry_type="Point",
                                    feedback=feedback)
        record_terms(path, terms, feedback)
        feedback.setProgress(100)
        return {self.OUTPUT: value, "PLACED": report.placed, "NOT_PLACED": report.rows - report.placed,
                "BLANK_ROWS": report.blank_rows}

    def _refuse_overwriting_inputs(self, parameters, context, paths):
        """The input files are plain files, which the bridge's own check does not see."""
        destination = self.parameterAsOutputLayer(parameters, self.OUTPUT, context) or ""
        target = os.path.realpath(destination.split("|")[0]) if destination else ""
        if target and any(p and os.path.realpath(p) == target for p in paths):
            raise QgsProcessingException(
                f"The output {destination} is one of this run's inputs; JoinedUp never overwrites an "
                "input. Choose another file name.")
