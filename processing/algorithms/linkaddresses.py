"""joinedup:linkaddresses — link agency records to a gazetteer's UPRNs."""
from __future__ import annotations

import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingOutputNumber,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
)

from ..base import JoinedUpAlgorithm, engine_feedback, profile_cache_folder
from ..text_params import ENCODING_KEYS, ENCODING_OPTIONS
from ._identifiers import add_identifier_parameters, identifier_choice

TEXT_EXTENSIONS = (".csv", ".txt", ".tsv", ".tab")


def read_records(alg, parameters, name, context, feedback, encoding_key):
    """The agency table as a DataFrame, with a note for the log.

    A CSV/TXT file opened by OGR (a path, or a layer added from one) is read here with the
    chosen encoding, because OGR reads every CSV as UTF-8 and Windows-1252 text would arrive
    garbled. Any other source (a delimited-text layer, which decodes with the encoding set in
    its own properties, a spreadsheet, a GeoPackage, a selection or filtered layer) goes
    through the bridge as QGIS provides it.
    """
    from ...engine.identifiers import read_text_table
    from .. import bridge

    layer = alg.parameterAsVectorLayer(parameters, name, context)
    value = parameters.get(name)
    filtered = isinstance(value, QgsProcessingFeatureSourceDefinition) and (
        value.selectedFeaturesOnly or value.featureLimit != -1 or bool(value.filterExpression))
    if layer is not None and layer.providerType() == "ogr" and not filtered and not layer.subsetString():
        path = layer.source().split("|")[0]
        if path.lower().endswith(TEXT_EXTENSIONS) and os.path.isfile(path):
            frame, used = read_text_table(path, encoding=encoding_key)
            frame.attrs["source_name"] = layer.name()
            return frame, f"{layer.name()}: {len(frame)} records read from {os.path.basename(path)} as {used}"
    gdf, report = bridge.read_source(alg, parameters, name, context, feedback)
    note = report.describe()
    text_columns = [c for c in gdf.columns if c != gdf.geometry.name and gdf[c].dtype == object]
    garbled = sum(int(gdf[c].astype("string").str.contains("\ufffd", regex=False).sum()) for c in text_columns)
    if garbled:
        feedback.pushWarning(
            f"{gdf.attrs.get('source_name', name)}: {garbled} values hold characters that could not "
            "be decoded; set the layer's encoding (Layer Properties > Source, e.g. Windows-1252) "
            "or give the file's path with this algorithm's ENCODING.")
    return gdf, note


# The DuckDB release whose ``_clean_default_connection`` capsule was read and tested (the exact
# pin in requirements.lock; tests/test_linkage_duckdb.py checks the two agree). The capsule is
# private: in another release it may hold something else, and calling it could crash QGIS.
DUCKDB_EXIT_WORKAROUND_VERSION = "1.5.6"


def release_duckdb_default_connection(warn=None) -> str:
    """Run DuckDB's own clean-up of its module-level default connection, if DuckDB was imported.

    DuckDB's Python module keeps that connection in a C++ static. QGIS's programs (qgis_process,
    and the desktop) end without finalising Python, so the C runtime destroys it at exit without
    the GIL and the process aborts after its work is done, losing qgis_process's printed results
    (duckdb-python issue 531; merely importing duckdb is enough). The module's clean-up hook
    (``_clean_default_connection``: a capsule holding the function, or a function in newer
    releases) empties the static; a later use makes a new one, so this runs after each run.

    The capsule is called only in DUCKDB_EXIT_WORKAROUND_VERSION; in another release nothing is
    called and ``warn`` (a callable taking a message) says so. Returns what was done:
    "not imported", "no hook", "function", "capsule" or "skipped"."""
    import ctypes
    import sys

    duckdb = sys.modules.get("duckdb")
    if duckdb is None:
        return "not imported"
    hook = getattr(duckdb, "_clean_default_connection", None)
    if hook is None:
        return "no hook"
    if callable(hook):  # a plain function: calling it cannot corrupt memory
        try:
            hook()
        except Exception as exc:  # a private hook may change: a failed clean-up must not fail the run
            _warn(warn, f"DuckDB's exit clean-up failed ({exc.__class__.__name__}); "
                             "qgis_process may abort at exit after writing its results.")
            return "skipped"
        return "function"
    version = getattr(duckdb, "__version__", "unknown")
    if version != DUCKDB_EXIT_WORKAROUND_VERSION or type(hook).__name__ != "PyCapsule":
        _warn(warn, f"DuckDB {version} is installed; JoinedUp's exit clean-up for DuckDB was "
                         f"written for DuckDB {DUCKDB_EXIT_WORKAROUND_VERSION} and is skipped, so "
                         "qgis_process may abort at exit (after writing its results). Install "
                         f"duckdb=={DUCKDB_EXIT_WORKAROUND_VERSION} to avoid it.")
        return "skipped"
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    address = get_pointer(hook, get_name(hook))  # pybind11 keeps the void() function here
    if not address:
        return "skipped"
    ctypes.PYFUNCTYPE(None)(address)()  # called holding the GIL: the clean-up releases it itself
    return "capsule"


def _warn(warn, message: str) -> None:
    if warn is not None:
        warn(message)


def default_cache_folder() -> str:
    """Where prepared gazetteers are kept when CACHE_FOLDER is empty: inside the QGIS profile."""
    return profile_cache_folder("gazetteer_cache")


class LinkAddresses(JoinedUpAlgorithm):
    ALG_ID = "linkaddresses"
    DISPLAY_NAME = "Link addresses to UPRNs"
    GROUP = "linkage"
    ICON = "linkaddresses"
    TAGS = "address,uprn,gazetteer,record linkage,match,splink,postcode,property,llpg"
    HELP = (
        "Links each record of an agency table (council tax, electoral register, benefits, "
        "planning ...) to a property reference (UPRN) in the council's address gazetteer.\n\n"
        "A record that carries a UPRN found in the gazetteer is linked on it (method 'uprn'). "
        "Otherwise its address is normalised (UK postcode parsed and formatted; Flat, Apartment, "
        "Apt, Unit, F3 and 3/12 read as flat numbers; St, Rd, Ave ... spelled out; case, accents "
        "and punctuation ignored) and matched: first exactly on address and postcode ('exact'), "
        "then with uk_address_matcher, which runs offline inside QGIS: its trigram stage links a "
        "record when three of its words in a row, with the same postcode and numbers, occur in "
        "exactly one gazetteer address ('trigram'), and its Splink model trained on UK addresses "
        "scores the rest ('probabilistic'). A probabilistic match is "
        "accepted when its match weight reaches THRESHOLD, and never when a house or flat "
        "number of the record is missing from the candidate's address, nor when two gazetteer "
        "addresses fit it equally well (a tie).\n\n"
        "Output: every input record, in input order (SOURCE_ROW), with its fields and "
        "matched_uprn, match_status, match_method, match_level ('uprn': the addressed unit; "
        "'parent': the building, for a record naming no flat; 'none'), match_weight (log2 Bayes "
        "factor), "
        "match_probability, weight_gap (best minus second-best candidate), ambiguous (gap below "
        "AMBIGUITY_MARGIN), candidate_uprn (the best candidate, also when not accepted), "
        "matched_address, unmatched_reason and note. The geometry is the gazetteer point of the "
        "matched UPRN; unmatched records have no geometry and say why (empty address, no "
        "candidate, below threshold, 'number not in street' (e.g. infill 31A where only 31 is "
        "listed), 'flat not in building', land or garage beside an address, tie): these are "
        "addresses the gazetteer lacks, kept unmatched rather than linked to a neighbour. "
        "Duplicate UPRNs in the gazetteer are "
        "reported in the log; records linked to them get the point of the first.\n\n"
        "CSV files: give the file (or a layer added from it) and choose ENCODING; Windows-1252 "
        "files from Excel are read correctly. A delimited-text layer uses the encoding set in "
        "its own properties.\n\n"
        "Privacy: fields named like a person's name, date of birth, e-mail, phone or liable party "
        "(any case and spacing: 'Elector Name', 'Date of Birth', 'Forename(s)'), or chosen in "
        "IDENTIFIER_FIELDS, are dropped by default (or hashed with a salt set outside the "
        "algorithm's parameters, see IDENTIFIER_ACTION); the log names them. Nothing leaves this "
        "computer.\n\n"
        "Speed: the gazetteer is prepared for the matcher once and kept (CACHE_FOLDER, by default "
        "in the QGIS profile), so later runs against the same gazetteer start sooner. The matcher's "
        "database (DuckDB) uses at most a quarter of this computer's memory (spilling the rest to "
        "a temporary folder) and all processor cores but one, so QGIS stays responsive; the log "
        "gives both.\n\n"
        "Needs the Python package uk_address_matcher (pip install uk_address_matcher)."
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        p = QgsProcessingParameterFeatureSource(
            "INPUT", self.tr("Agency records"), [QgsProcessing.SourceType.TypeVector])
        p.setHelp(self.tr("The agency table: a CSV file, spreadsheet or layer, with or without geometry."))
        self.addParameter(p)
        p = QgsProcessingParameterField(
            "ADDRESS_FIELDS", self.tr("Address field(s), in reading order"), parentLayerParameterName="INPUT",
            allowMultiple=True)
        p.setHelp(self.tr("One field with the whole address, or several (e.g. line1, line2, town) "
                          "joined in the order given."))
        self.addParameter(p)
        p = QgsProcessingParameterField(
            "POSTCODE_FIELD", self.tr("Postcode field"), parentLayerParameterName="INPUT", optional=True)
        p.setHelp(self.tr("Optional. A postcode written inside the address text is also found. "
                          "Values that are not UK postcodes are ignored (noted per record)."))
        self.addParameter(p)
        p = QgsProcessingParameterField(
            "UPRN_FIELD", self.tr("UPRN field (if the agency already holds some)"),
            parentLayerParameterName="INPUT", optional=True)
        p.setHelp(self.tr("Optional. Records whose UPRN is in the gazetteer are linked on it; others "
                          "are matched on their address."))
        self.addParameter(p)
        p = QgsProcessingParameterEnum("ENCODING", self.tr("Text encoding of a CSV file"),
                                       options=ENCODING_OPTIONS, defaultValue=0)
        p.setHelp(self.tr("Used when the records are a CSV/TXT file read by OGR (a path, or a layer "
                          "added from the file). Auto reads UTF-8 and falls back to Windows-1252."))
        self.addParameter(p)
        p = QgsProcessingParameterFeatureSource(
            "REFERENCE", self.tr("Address gazetteer (reference points)"),
            [QgsProcessing.SourceType.TypeVectorPoint])
        p.setHelp(self.tr("The council's gazetteer: one point per address with a UPRN and its address."))
        self.addParameter(p)
        p = QgsProcessingParameterField("REF_UPRN_FIELD", self.tr("Gazetteer UPRN field"),
                                        parentLayerParameterName="REFERENCE")
        p.setHelp(self.tr("The property reference copied to matched records."))
        self.addParameter(p)
        p = QgsProcessingParameterField("REF_ADDRESS_FIELDS", self.tr("Gazetteer address field(s)"),
                                        parentLayerParameterName="REFERENCE", allowMultiple=True)
        p.setHelp(self.tr("One field with the whole address, or several joined in the order given."))
        self.addParameter(p)
        p = QgsProcessingParameterField("REF_POSTCODE_FIELD", self.tr("Gazetteer postcode field"),
                                        parentLayerParameterName="REFERENCE", optional=True)
        p.setHelp(self.tr("Optional; a postcode inside the gazetteer's address text is also found."))
        self.addParameter(p)
        p = QgsProcessingParameterField("REF_PARENT_FIELD", self.tr("Gazetteer parent UPRN field"),
                                        parentLayerParameterName="REFERENCE", optional=True)
        p.setHelp(self.tr("Optional (AddressBase / LLPG PARENT_UPRN): the building a flat belongs to. "
                          "A record that names no flat then links to the building (match_level "
                          "'parent'), never to one of its flats; a record whose flat is not in the "
                          "building stays unmatched ('flat not in building') with the building in "
                          "candidate_uprn."))
        self.addParameter(p)
        p = QgsProcessingParameterField("REF_CLASS_FIELD", self.tr("Gazetteer classification code field"),
                                        parentLayerParameterName="REFERENCE", optional=True)
        p.setHelp(self.tr("Optional (AddressBase / LLPG CLASS, e.g. RD06 flat, PP property shell): "
                          "street records (PS) and objects without a postal address (Z*, CU*, CZ*, "
                          "L*, U*) are never an answer; a property shell is an answer only for a "
                          "record that names no flat (match_level 'parent')."))
        self.addParameter(p)
        p = QgsProcessingParameterNumber(
            "THRESHOLD", self.tr("Match weight threshold"), QgsProcessingParameterNumber.Type.Double,
            defaultValue=5.0, minValue=-30.0, maxValue=100.0)
        p.setHelp(self.tr("Minimum match weight (log2 of how much likelier 'same address' is than "
                          "'different address') to accept a probabilistic match. 5 is odds of 32:1 "
                          "(probability 0.97); higher accepts fewer, surer matches."))
        self.addParameter(p)
        p = QgsProcessingParameterNumber(
            "AMBIGUITY_MARGIN", self.tr("Ambiguity margin (match weight)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=5.0, minValue=0.0)
        p.setHelp(self.tr("A match whose best and second-best candidates differ by less than this "
                          "is flagged ambiguous (it is still accepted): check it by hand."))
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(p)
        p = QgsProcessingParameterField(
            "IDENTIFIER_FIELDS", self.tr("Direct identifier fields"), parentLayerParameterName="INPUT",
            allowMultiple=True, optional=True)
        p.setHelp(self.tr("Fields holding a person's identity. Empty: fields named like names, dates "
                          "of birth, e-mail or phone (account_name, surname, dob ...)."))
        self.addParameter(p)
        add_identifier_parameters(self, "Direct identifiers in the output")
        p = QgsProcessingParameterFile("CACHE_FOLDER", self.tr("Folder to keep the prepared gazetteer in"),
                                       behavior=QgsProcessingParameterFile.Behavior.Folder, optional=True)
        p.setHelp(self.tr("Preparing the gazetteer (cleaning, word frequencies, index) is a third of the "
                          "matcher's work. It is kept in this folder, keyed by the gazetteer's content, and "
                          "later runs against the same gazetteer reuse it; the four most recently used are "
                          "kept, older ones removed. Empty: the folder 'joinedup/gazetteer_cache' in the "
                          "QGIS profile. Holds gazetteer addresses only, never agency records."))
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(p)
        p = QgsProcessingParameterFeatureSource(
            "DECISIONS", self.tr("Review decisions of an earlier run"), [QgsProcessing.SourceType.TypeVector],
            optional=True)
        p.setHelp(self.tr("Optional: the REVIEW layer of an earlier run, with its 'decision' field filled "
                          "in QGIS's attribute table: accept (link the candidate), reject (no link) or "
                          "other (link the UPRN written in decision_uprn); empty rows are ignored. "
                          "Decisions are applied before any matching, for records with the same address "
                          "and postcode (record_key) and only against the same gazetteer version "
                          "(gazetteer_version); others are counted in the log and not applied."))
        self.addParameter(p)
        p = QgsProcessingParameterFeatureSink("OUTPUT", self.tr("Linked records"),
                                              QgsProcessing.SourceType.TypeVectorPoint)
        p.setHelp(self.tr("Every input record with its UPRN, match details and gazetteer point."))
        self.addParameter(p)
        p = QgsProcessingParameterFeatureSink("REVIEW", self.tr("Records to review"),
                                              QgsProcessing.SourceType.TypeVectorPoint, optional=True,
                                              createByDefault=False)
        p.setHelp(self.tr("Optional: the uncertain band for a person to check (matches flagged ambiguous, "
                          "candidates below THRESHOLD, ties, postcodes that disagree), one row per record "
                          "with its address, the best candidate (UPRN, address, weight, at its point), "
                          "the fields that agreed and differed, and empty 'decision' and "
                          "'decision_uprn' fields to fill in, then give it as DECISIONS next time."))
        self.addParameter(p)
        for name, text in (("MATCHED", "Records matched"), ("UNMATCHED", "Records not matched"),
                           ("AMBIGUOUS", "Matches flagged ambiguous"),
                           ("DUPLICATE_UPRNS", "UPRNs repeated in the gazetteer"),
                           ("REVIEW_BAND", "Records in the review band"),
                           ("DECISIONS_APPLIED", "Review decisions applied")):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(text)))

    def execute(self, parameters, context, feedback):
        try:
            return self._link(parameters, context, feedback)
        finally:
            release_duckdb_default_connection(feedback.pushWarning)

    def _link(self, parameters, context, feedback):
        import geopandas as gpd
        import pandas as pd

        from ...engine.identifiers import guess_identifier_fields, protect_identifiers
        from ...engine.linkage import OUTPUT_FIELDS, link_addresses, linkage_backend_missing
        from ...plugin.dependencies import optional_missing_message
        from .. import bridge

        problem = optional_missing_message(self.ALG_ID) or linkage_backend_missing()
        if problem:
            raise QgsProcessingException(problem)
        encoding = ENCODING_KEYS[self.parameterAsEnum(parameters, "ENCODING", context)]
        records, note = read_records(self, parameters, "INPUT", context, feedback, encoding)
        feedback.pushInfo(note)
        reference, ref_report = bridge.read_source(self, parameters, "REFERENCE", context, feedback)
        feedback.pushInfo(ref_report.describe())
        address_fields = self.parameterAsStrings(parameters, "ADDRESS_FIELDS", context)
        postcode = (self.parameterAsStrings(parameters, "POSTCODE_FIELD", context) or [None])[0]
        uprn = (self.parameterAsStrings(parameters, "UPRN_FIELD", context) or [None])[0]
        decisions, _ = bridge.read_source(self, parameters, "DECISIONS", context, feedback, required=False)
        result, report = link_addresses(
            records, reference,
            address_fields=address_fields, postcode_field=postcode, uprn_field=uprn,
            ref_uprn_field=self.parameterAsStrings(parameters, "REF_UPRN_FIELD", context)[0],
            ref_address_fields=self.parameterAsStrings(parameters, "REF_ADDRESS_FIELDS", context),
            ref_postcode_field=(self.parameterAsStrings(parameters, "REF_POSTCODE_FIELD", context) or [None])[0],
            ref_parent_field=(self.parameterAsStrings(parameters, "REF_PARENT_FIELD", context) or [None])[0],
            ref_class_field=(self.parameterAsStrings(parameters, "REF_CLASS_FIELD", context) or [None])[0],
            threshold=self.parameterAsDouble(parameters, "THRESHOLD", context),
            ambiguity_margin=self.parameterAsDouble(parameters, "AMBIGUITY_MARGIN", context),
            records_name=records.attrs.get("source_name", "records"),
            reference_name=reference.attrs.get("source_name", "gazetteer"),
            cache_dir=self.parameterAsFile(parameters, "CACHE_FOLDER", context) or default_cache_folder(),
            decisions=None if decisions is None else pd.DataFrame(decisions.drop(columns=[decisions.geometry.name])
                                                                   if isinstance(decisions, gpd.GeoDataFrame)
                                                                   else decisions),
            feedback=engine_feedback(feedback, 0.05, 0.9))
        for line in report.describe():
            feedback.pushInfo(line)

        attributes = pd.DataFrame(records.drop(columns=[records.geometry.name])
                                  if isinstance(records, gpd.GeoDataFrame) else records)
        ids = self.parameterAsStrings(parameters, "IDENTIFIER_FIELDS", context) or \
            guess_identifier_fields(attributes.columns)
        action, salt, salt_note = identifier_choice(self, parameters, context)
        if salt_note:
            feedback.pushInfo(salt_note)
        attributes, id_note = protect_identifiers(attributes, ids, action=action, salt=salt)
        feedback.pushInfo(id_note or "No field is named like a direct identifier (name, date of birth, "
                          "e-mail, phone, liable party ...); choose IDENTIFIER_FIELDS if one holds them")
        clash = {c: f"{c}_input" for c in attributes.columns if c in OUTPUT_FIELDS or c == "geometry"}
        attributes = attributes.rename(columns=clash).reset_index(drop=True)
        linked = result.drop(columns=["geometry"]).reset_index(drop=True)
        out = gpd.GeoDataFrame(pd.concat([attributes, linked], axis=1),
                               geometry=result.geometry.reset_index(drop=True), crs=result.crs)
        value = bridge.write_output(self, parameters, "OUTPUT", context, out, geometry_type="Point")
        results = {"OUTPUT": value, "MATCHED": report.matched, "UNMATCHED": report.records - report.matched,
                   "AMBIGUOUS": report.ambiguous, "DUPLICATE_UPRNS": report.duplicate_uprns,
                   "REVIEW_BAND": len(report.review), "DECISIONS_APPLIED": report.decisions.get("applied", 0)}
        review = gpd.GeoDataFrame(report.review, geometry=gpd.GeoSeries(
            report.review_geometry, crs=result.crs), crs=result.crs)
        results["REVIEW"] = bridge.write_output(self, parameters, "REVIEW", context, review, geometry_type="Point")
        feedback.setProgress(100)
        return results
