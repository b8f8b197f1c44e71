"""joinedup:linkaddresses — link agency records to a gazetteer's UPRNs."""
from __future__ import annotations

import functools

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
)

from ..base import JoinedUpAlgorithm, engine_feedback, profile_cache_folder
from ..text_params import ENCODING_KEYS, ENCODING_OPTIONS, read_agency_table
from ._identifiers import add_identifier_parameters, identifier_choice


def default_cache_folder() -> str:
    """Where prepared gazetteers are kept when CACHE_FOLDER is empty: inside the QGIS profile."""
    return profile_cache_folder("gazetteer_cache")


class LinkAddresses(JoinedUpAlgorithm):
    ALG_ID = "linkaddresses"
    INPUT = "INPUT"
    ADDRESS_FIELDS = "ADDRESS_FIELDS"
    POSTCODE_FIELD = "POSTCODE_FIELD"
    UPRN_FIELD = "UPRN_FIELD"
    ENCODING = "ENCODING"
    REFERENCE = "REFERENCE"
    REF_UPRN_FIELD = "REF_UPRN_FIELD"
    REF_ADDRESS_FIELDS = "REF_ADDRESS_FIELDS"
    REF_POSTCODE_FIELD = "REF_POSTCODE_FIELD"
    REF_PARENT_FIELD = "REF_PARENT_FIELD"
    REF_CLASS_FIELD = "REF_CLASS_FIELD"
    REF_USRN_FIELD = "REF_USRN_FIELD"
    THRESHOLD = "THRESHOLD"
    AMBIGUITY_MARGIN = "AMBIGUITY_MARGIN"
    IDENTIFIER_FIELDS = "IDENTIFIER_FIELDS"
    CACHE_FOLDER = "CACHE_FOLDER"
    DECISIONS = "DECISIONS"
    PARTITION_MAX_ADDRESSES = "PARTITION_MAX_ADDRESSES"
    OUTPUT = "OUTPUT"
    REVIEW = "REVIEW"
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
        "addresses fit it equally well (a tie). A house number the street does not have at all, "
        "within the street's numbers, is read as the one address of the record's postcode a slip "
        "of typing away (74 for 72 or 47, 6 for 16) that fits every other word of the record "
        "('number slip', with a note saying which number was read); two such addresses, or a "
        "number past the street's last (a new house at its end), stay unmatched.\n\n"
        "Output: every input record, in input order (SOURCE_ROW), with its fields and "
        "matched_uprn, match_status, match_method, match_level ('uprn': the addressed unit; "
        "'parent': the building, for a record naming no flat; 'street': not matched, but the "
        "record names one street of the gazetteer unmistakably; 'none'), matched_street and "
        "matched_usrn (the street of the matched address, or of a 'street' record; the USRN "
        "when REF_USRN_FIELD is given), match_weight (log2 Bayes factor), "
        "match_probability, weight_gap (best minus second-best candidate), ambiguous (gap below "
        "AMBIGUITY_MARGIN), candidate_uprn (the best candidate, also when not accepted), "
        "matched_address, unmatched_reason and note. The geometry is the gazetteer point of the "
        "matched UPRN; unmatched records (those at street level too: no point stands for a "
        "whole street) have no geometry and say why (empty address, no candidate, below "
        "threshold, 'number not in street' (e.g. infill 31A where only 31 is "
        "listed), 'flat not in building', 'street not in gazetteer' (a new street), land or "
        "garage beside an address, tie): these are "
        "addresses the gazetteer lacks, kept unmatched rather than linked to a neighbour. "
        "Records whose postcode, street, town or house name disagrees with the only candidate "
        "('postcode disagrees', 'street disagrees', 'place disagrees', 'name differs', 'street "
        "unclear') are not linked either; they wait in REVIEW with that candidate. "
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
        self.add_parameter(
            QgsProcessingParameterFeatureSource(
                self.INPUT, self.tr("Agency records"), [QgsProcessing.SourceType.TypeVector]),
            "The agency table: a CSV file, spreadsheet or layer, with or without geometry.")
        self.add_parameter(
            QgsProcessingParameterField(
                self.ADDRESS_FIELDS, self.tr("Address field(s), in reading order"), parentLayerParameterName=self.INPUT,
                allowMultiple=True),
            "One field with the whole address, or several (e.g. line1, line2, town) "
            "joined in the order given.")
        self.add_parameter(
            QgsProcessingParameterField(
                self.POSTCODE_FIELD, self.tr("Postcode field"), parentLayerParameterName=self.INPUT, optional=True),
            "Optional. A postcode written inside the address text is also found. "
            "Values that are not UK postcodes are ignored (noted per record).")
        self.add_parameter(
            QgsProcessingParameterField(
                self.UPRN_FIELD, self.tr("UPRN field (if the agency already holds some)"),
                parentLayerParameterName=self.INPUT, optional=True),
            "Optional. Records whose UPRN is in the gazetteer are linked on it; others "
            "are matched on their address.")
        self.add_parameter(
            QgsProcessingParameterEnum(self.ENCODING, self.tr("Text encoding of a CSV file"),
                                           options=ENCODING_OPTIONS, defaultValue=0),
            "Used when the records are a delimited text file (CSV, TSV) opened by OGR (a path, or a "
            "layer added from the file). Auto reads UTF-8 and falls back to Windows-1252. A MapInfo "
            ".TAB table, a spreadsheet or any other table OGR reads is read as that table, with its "
            "own fields (this setting does not apply).")
        self.add_parameter(
            QgsProcessingParameterFeatureSource(
                self.REFERENCE, self.tr("Address gazetteer (reference points)"),
                [QgsProcessing.SourceType.TypeVectorPoint]),
            "The council's gazetteer: one point per address with a UPRN and its address.")
        self.add_parameter(
            QgsProcessingParameterField(self.REF_UPRN_FIELD, self.tr("Gazetteer UPRN field"),
                                            parentLayerParameterName=self.REFERENCE),
            "The property reference copied to matched records.")
        self.add_parameter(
            QgsProcessingParameterField(self.REF_ADDRESS_FIELDS, self.tr("Gazetteer address field(s)"),
                                            parentLayerParameterName=self.REFERENCE, allowMultiple=True),
            "One field with the whole address, or several joined in the order given.")
        # the gazetteer's optional fields, each with what it changes
        for name, label, help_text in (
                (self.REF_POSTCODE_FIELD, "Gazetteer postcode field",
                 "Optional; a postcode inside the gazetteer's address text is also found."),
                (self.REF_PARENT_FIELD, "Gazetteer parent UPRN field",
                 "Optional (AddressBase / LLPG PARENT_UPRN): the building a flat belongs to. "
                 "A record that names no flat then links to the building (match_level "
                 "'parent'), never to one of its flats; a record whose flat is not in the "
                 "building stays unmatched ('flat not in building') with the building in "
                 "candidate_uprn."),
                (self.REF_CLASS_FIELD, "Gazetteer classification code field",
                 "Optional (AddressBase / LLPG CLASS, e.g. RD06 flat, PP property shell): "
                 "street records (PS) are never an answer; objects without a dwelling's address "
                 "(Z*, CU*, CZ*, L*, U*: a sub-station, a church) only for a record that names "
                 "one in full; a property shell is an answer only for a record that names no "
                 "flat (match_level 'parent')."),
                (self.REF_USRN_FIELD, "Gazetteer street reference (USRN) field",
                 "Optional (AddressBase / LLPG USRN): copied to matched_usrn, for every matched "
                 "record and for a record placed on its street only (match_level 'street': an "
                 "infill 31A, a flat or a shop the gazetteer lacks, land beside an address), so "
                 "records can be counted or joined by street (OS Open USRN). Two streets of one "
                 "name and place with different USRNs are then told apart by postcode, or not "
                 "placed. Empty: matched_usrn stays empty; matched_street is filled either way.")):
            self.add_parameter(
                QgsProcessingParameterField(name, self.tr(label), parentLayerParameterName=self.REFERENCE,
                                            optional=True), help_text)
        self.add_parameter(
            QgsProcessingParameterNumber(
                self.THRESHOLD, self.tr("Match weight threshold"), QgsProcessingParameterNumber.Type.Double,
                defaultValue=5.0, minValue=-30.0, maxValue=100.0),
            "Minimum match weight (log2 of how much likelier 'same address' is than "
            "'different address') to accept a probabilistic match. 5 is odds of 32:1 "
            "(probability 0.97); higher accepts fewer, surer matches.")
        self.add_parameter(
            QgsProcessingParameterNumber(
                self.AMBIGUITY_MARGIN, self.tr("Ambiguity margin (match weight)"),
                QgsProcessingParameterNumber.Type.Double, defaultValue=5.0, minValue=0.0),
            "A match whose best and second-best candidates differ by less than this "
            "is flagged ambiguous (it is still accepted): check it by hand.",
            advanced=True)
        self.add_parameter(
            QgsProcessingParameterField(
                self.IDENTIFIER_FIELDS, self.tr("Direct identifier fields"), parentLayerParameterName=self.INPUT,
                allowMultiple=True, optional=True),
            "Fields holding a person's identity. Empty: fields named like names, dates "
            "of birth, e-mail or phone (account_name, surname, dob ...).")
        add_identifier_parameters(self, "Direct identifiers in the output")
        self.add_parameter(
            QgsProcessingParameterFile(self.CACHE_FOLDER, self.tr("Folder to keep the prepared gazetteer in"),
                                           behavior=QgsProcessingParameterFile.Behavior.Folder, optional=True),
            "Preparing the gazetteer (cleaning, word frequencies, index) is a third of the "
            "matcher's work. It is kept in this folder, keyed by the gazetteer's content, and "
            "later runs against the same gazetteer reuse it; the four most recently used are "
            "kept, older ones removed. Empty: the folder 'joinedup/gazetteer_cache' in the "
            "QGIS profile. Holds gazetteer addresses only, never agency records.",
            advanced=True)
        self.add_parameter(
            QgsProcessingParameterNumber(
                self.PARTITION_MAX_ADDRESSES, self.tr("Link in partitions of at most this many gazetteer addresses"),
                QgsProcessingParameterNumber.Type.Integer, defaultValue=0, minValue=0),
            "For gazetteers of millions of addresses (a national address base), whose matching would "
            "not fit this computer's memory in one piece. 0 (default): off, one run over the whole "
            "gazetteer. Otherwise the gazetteer is split into partitions of whole postcode districts "
            "(the outward code, e.g. 'LS6'), each holding at most this many addresses (a district "
            "holding more is a partition of its own), e.g. 250000 (addresses, not records). Each record "
            "is linked within its postcode district's partition only (a record with a UPRN of the "
            "gazetteer, within that UPRN's), one partition after another, so memory follows the largest "
            "partition. What it costs: records with no usable postcode, or a postcode district the "
            "gazetteer lacks, are left unmatched (reason 'no postcode (partitioned run)' or 'postcode "
            "district not in the gazetteer (partitioned run)', counted in the log), where a run without "
            "partitions may match them on their words; a record whose postcode names the wrong district "
            "is searched for in that district only; gazetteer rows without a postcode are never a "
            "candidate; match weights use each partition's word frequencies; and the prepared gazetteer "
            "is not cached (CACHE_FOLDER is not used).",
            advanced=True)
        self.add_parameter(
            QgsProcessingParameterFeatureSource(
                self.DECISIONS, self.tr("Review decisions of an earlier run"), [QgsProcessing.SourceType.TypeVector],
                optional=True),
            "Optional: the REVIEW layer of an earlier run, with its 'decision' field filled "
            "in QGIS's attribute table: accept (link the candidate), reject (no link) or "
            "other (link the UPRN written in decision_uprn); empty rows are ignored. "
            "Decisions are applied before any matching, for records with the same address "
            "and postcode (record_key) and only against the same gazetteer version "
            "(gazetteer_version); others are counted in the log and not applied.")
        self.add_parameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Linked records"),
                                                  QgsProcessing.SourceType.TypeVectorPoint),
            "Every input record with its UPRN, match details and gazetteer point.")
        self.add_parameter(
            QgsProcessingParameterFeatureSink(self.REVIEW, self.tr("Records to review"),
                                                  QgsProcessing.SourceType.TypeVectorPoint, optional=True,
                                                  createByDefault=False),
            "Optional: the uncertain band for a person to check (matches flagged ambiguous, "
            "candidates below THRESHOLD, ties, a postcode, street, place or house name that "
            "disagrees with the candidate), one row per record "
            "with its address, the best candidate (UPRN, address, weight, at its point), "
            "the fields that agreed and differed, and empty 'decision' and "
            "'decision_uprn' fields to fill in, then give it as DECISIONS next time.")
        for name, text in (("MATCHED", "Records matched"), ("UNMATCHED", "Records not matched"),
                           ("AMBIGUOUS", "Matches flagged ambiguous"),
                           ("DUPLICATE_UPRNS", "UPRNs repeated in the gazetteer"),
                           ("REVIEW_BAND", "Records in the review band"),
                           ("DECISIONS_APPLIED", "Review decisions applied")):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(text)))

    def execute(self, parameters, context, feedback):
        from ...engine.linkage_duckdb import release_duckdb_default_connection

        try:
            return self._link(parameters, context, feedback)
        finally:
            release_duckdb_default_connection(feedback.pushWarning)

    def _link(self, parameters, context, feedback):
        from ...dependencies import optional_missing_message
        from ...engine.linkage import link_addresses, linkage_backend_missing
        from ...engine.linkage_output import linked_records, plain_table, review_layer
        from ...engine.linkage_partition import link_addresses_partitioned
        from .. import bridge

        problem = optional_missing_message(self.ALG_ID) or linkage_backend_missing()
        if problem:
            raise QgsProcessingException(problem)
        encoding = ENCODING_KEYS[self.parameterAsEnum(parameters, self.ENCODING, context)]
        records, note = read_agency_table(self, parameters, self.INPUT, context, feedback, encoding)
        feedback.pushInfo(note)
        reference, ref_report = bridge.read_source(self, parameters, self.REFERENCE, context, feedback)
        feedback.pushInfo(ref_report.describe())
        decisions, _ = bridge.read_source(self, parameters, self.DECISIONS, context, feedback, required=False)

        def field(name):
            return (self.parameterAsStrings(parameters, name, context) or [None])[0]

        partition = self.parameterAsInt(parameters, self.PARTITION_MAX_ADDRESSES, context)
        link = functools.partial(link_addresses_partitioned, max_addresses=partition) if partition else link_addresses
        result, report = link(
            records, reference, address_fields=self.parameterAsStrings(parameters, self.ADDRESS_FIELDS, context),
            postcode_field=field(self.POSTCODE_FIELD), uprn_field=field(self.UPRN_FIELD),
            ref_uprn_field=field(self.REF_UPRN_FIELD),
            ref_address_fields=self.parameterAsStrings(parameters, self.REF_ADDRESS_FIELDS, context),
            ref_postcode_field=field(self.REF_POSTCODE_FIELD), ref_parent_field=field(self.REF_PARENT_FIELD),
            ref_class_field=field(self.REF_CLASS_FIELD), ref_usrn_field=field(self.REF_USRN_FIELD),
            threshold=self.parameterAsDouble(parameters, self.THRESHOLD, context),
            ambiguity_margin=self.parameterAsDouble(parameters, self.AMBIGUITY_MARGIN, context),
            records_name=records.attrs.get("source_name", "records"),
            reference_name=reference.attrs.get("source_name", "gazetteer"),
            cache_dir=self.parameterAsFile(parameters, self.CACHE_FOLDER, context) or default_cache_folder(),
            decisions=plain_table(decisions), feedback=engine_feedback(feedback, 0.05, 0.9))
        for line in report.describe():
            feedback.pushInfo(line)
        action, salt, salt_note = identifier_choice(self, parameters, context)
        if salt_note:
            feedback.pushInfo(salt_note)
        out, id_note = linked_records(
            records, result, identifier_fields=self.parameterAsStrings(parameters, self.IDENTIFIER_FIELDS, context),
            identifier_action=action, salt=salt)
        feedback.pushInfo(id_note or "No field is named like a direct identifier (name, date of birth, "
                          "e-mail, phone, liable party ...); choose IDENTIFIER_FIELDS if one holds them")
        results = {"OUTPUT": bridge.write_output(self, parameters, self.OUTPUT, context, out, geometry_type="Point"),
                   "MATCHED": report.matched, "UNMATCHED": report.records - report.matched,
                   "AMBIGUOUS": report.ambiguous, "DUPLICATE_UPRNS": report.duplicate_uprns,
                   "REVIEW_BAND": len(report.review), "DECISIONS_APPLIED": report.decisions.get("applied", 0),
                   "REVIEW": bridge.write_output(self, parameters, self.REVIEW, context,
                                                 review_layer(report, result.crs), geometry_type="Point")}
        feedback.setProgress(100)
        return results
