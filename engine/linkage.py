"""Link agency records to a reference gazetteer (UPRN): exact UPRN where a record has one,
otherwise normalised addresses and probabilistic matching.

The matcher for what the exact keys leave is ``uk_address_matcher`` (its deterministic
trigram stage, then a pretrained Splink model for UK addresses, run embedded on DuckDB,
offline: its model and token frequency tables ship inside the package). It is an optional
dependency: :func:`linkage_backend_missing` tells what to install; nothing here imports it at
module level.

Every record comes back, in input order, with ``SOURCE_ROW``, ``matched_uprn`` (null when
unmatched), ``match_status`` ('matched' / 'unmatched'), ``match_method`` ('review', 'uprn',
'exact', 'trigram', 'probabilistic', or '' when unmatched), ``match_level`` ('uprn': the
addressed unit; 'parent': its building, for a record naming no flat; 'street': unmatched, but the
one street of the gazetteer the record names is known; 'none'), ``matched_street`` and
``matched_usrn`` (the street of the matched address, or of a 'street' record), ``match_weight``
(Splink's log2 Bayes factor;
null for 'uprn', 'exact' and 'trigram'), ``match_probability``, ``weight_gap`` (best minus second-best candidate;
null when there was only one candidate), ``ambiguous``, ``candidate_uprn`` (the best candidate
even when it was not accepted), ``matched_address``, ``unmatched_reason`` and ``note``; the
geometry is the matched reference point.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import addresses as ad
from . import linkage_hierarchy as hierarchy
from . import linkage_review as rv
from .errors import EngineError, InputError, as_feedback
from .linkage_hierarchy import NOT_AN_ANSWER_CLASSES  # noqa: F401
from .linkage_keys import ReferenceKeys, deterministic_match
from .linkage_matcher import CACHE_KEEP, CACHE_PREFIX, GazetteerPreparation, match_ukam, quiet_matcher  # noqa: F401
from .linkage_streets import StreetIndex

# Default acceptance threshold on the match weight (log2 Bayes factor, prior included):
# 5 means the evidence favours "same address" 32:1 (probability 0.97). Chosen on the
# generated benchmark (docs/linkage.md): precision >= 99 % with recall >= 95 %.
DEFAULT_THRESHOLD = 5.0
# Best and second-best candidates closer than this (in match weight) are flagged ambiguous.
DEFAULT_AMBIGUITY_MARGIN = 5.0

BACKEND_PACKAGE = "uk_address_matcher"
BACKEND_PIP = "uk_address_matcher"

OUTPUT_FIELDS = ["SOURCE_ROW", "matched_uprn", "match_status", "match_method", "match_level", "matched_street",
                 "matched_usrn", "match_weight",
                 "match_probability", "weight_gap", "ambiguous", "candidate_uprn",
                 "matched_address", "unmatched_reason", "note"]


def linkage_backend_missing() -> str:
    """'' when the probabilistic matcher imports here, else a message saying how to install it."""
    try:
        import duckdb  # noqa: F401
        import uk_address_matcher  # noqa: F401
    except Exception as exc:  # ImportError, or a broken binary wheel
        return (f"Address linkage needs the Python package '{BACKEND_PIP}' (with splink and "
                f"duckdb), which this QGIS cannot import ({exc.__class__.__name__}: {exc}). "
                "Install it into QGIS's own Python, then restart QGIS:\n"
                f"- Windows: open the OSGeo4W Shell and run: python -m pip install {BACKEND_PIP}\n"
                f"- Debian/Ubuntu: pip install --user {BACKEND_PIP}\n"
                f"- macOS: /Applications/QGIS.app/Contents/MacOS/bin/pip3 install {BACKEND_PIP}\n"
                "It runs offline: its model and word frequencies ship inside the package.")
    return ""


@dataclass
class LinkReport:
    """What a linkage met, for the log and the results."""
    records: int = 0
    matched: int = 0
    by_method: dict = field(default_factory=dict)
    unmatched_by_reason: dict = field(default_factory=dict)
    ambiguous: int = 0
    reference_rows: int = 0
    reference_unusable: int = 0
    duplicate_uprns: int = 0
    duplicate_uprn_rows: int = 0
    duplicate_examples: list = field(default_factory=list)
    postcodes_not_uk: int = 0
    uprns_not_in_reference: int = 0
    reference_not_points: int = 0
    threshold: float = DEFAULT_THRESHOLD
    by_level: dict = field(default_factory=dict)
    decisions: dict = field(default_factory=dict)
    review: pd.DataFrame | None = None
    review_geometry: object = None
    gazetteer_version: str = ""
    reference_not_addresses: int = 0
    postcodes_disagree: int = 0
    postcodes_digits_read: int = 0

    def describe(self) -> list:
        lines = [f"{self.records} records: {self.matched} matched "
                 + ", ".join(f"{k} {v}" for k, v in self.by_method.items() if v)
                 + f"; {self.records - self.matched} unmatched"]
        for reason, count in self.unmatched_by_reason.items():
            lines.append(f"  unmatched, {reason}: {count}")
        if self.decisions.get("applied") or self.decisions.get("other_version") or self.decisions.get("unknown_uprn"):
            d = self.decisions
            lines.append(f"Review decisions: {d['applied']} applied first; {d['other_version']} taken against "
                         f"another gazetteer version (not applied); {d['unknown_uprn']} name a UPRN not in "
                         f"this gazetteer (not applied); {d['undecided']} rows left undecided")
        if self.review is not None:
            lines.append(f"Review band: {len(self.review)} records for a person to check (uncertain matches "
                         f"and near misses), gazetteer version {self.gazetteer_version}")
        if self.by_level.get("parent"):
            lines.append(f"  of which {self.by_level['parent']} linked to the building (match_level "
                         "parent): the record names no flat, or the gazetteer lists the building only")
        if self.by_level.get("street"):
            lines.append(f"{self.by_level['street']} unmatched records name a street of the gazetteer "
                         "unmistakably and are placed on it (match_level street, matched_street; no point)")
        if self.reference_not_addresses:
            lines.append(f"Reference: {self.reference_not_addresses} rows are street records or objects "
                         "without a postal address (by class code) and are never an answer")
        if self.ambiguous:
            lines.append(f"{self.ambiguous} records flagged ambiguous (best and second-best "
                         "candidates close; see weight_gap)")
        if self.duplicate_uprns:
            lines.append(f"Reference: {self.duplicate_uprns} UPRNs appear more than once "
                         f"({self.duplicate_uprn_rows} rows), e.g. {', '.join(map(str, self.duplicate_examples))}; "
                         "every row was used for matching and a record matched to either gets that UPRN, "
                         "with the point of its first row")
        if self.reference_unusable:
            lines.append(f"Reference: {self.reference_unusable} of {self.reference_rows} rows have "
                         "no UPRN or no address text and were not used")
        if self.postcodes_not_uk:
            lines.append(f"{self.postcodes_not_uk} records have a postcode that is not a UK postcode; "
                         "they were matched on their address text alone")
        if self.postcodes_digits_read:
            lines.append(f"{self.postcodes_digits_read} records have a postcode typed with a letter for a digit "
                         "(O for 0, I or l for 1); it was read with the digit")
        if self.postcodes_disagree:
            lines.append(f"{self.postcodes_disagree} records have one postcode in the postcode field and another "
                         "in the address text; they were matched with the one the gazetteer has, or on their "
                         "address alone where it has both or neither")
        if self.reference_not_points:
            lines.append(f"{self.reference_not_points} matched records got a point inside their gazetteer "
                         "feature, which is not a point (a property polygon, say)")
        if self.uprns_not_in_reference:
            lines.append(f"{self.uprns_not_in_reference} records carry a UPRN that is not in the "
                         "reference; they were matched on their address instead")
        return lines


def _join_fields(frame: pd.DataFrame, fields) -> pd.Series:
    """Address parts joined with ', ', skipping empty ones (vectorised)."""
    joined = None
    for name in fields:
        column = frame[name]
        if pd.api.types.is_float_dtype(column) and (column.dropna() % 1 == 0).all():
            column = column.astype("Int64")  # house numbers stored as 12.0 read as 12
        text = column.astype("string").str.strip()
        text = text.where(text.str.len() > 0)
        if joined is None:
            joined = text
        else:
            both = joined.notna() & text.notna()
            joined = joined.where(~both, joined + ", " + text).fillna(text)
    if joined is None:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return joined.astype(object).where(joined.notna(), "")


def _require_fields(frame, fields, what, layer):
    missing = [f for f in fields if f not in frame.columns]
    if missing:
        available = ", ".join(str(c) for c in frame.columns if c != getattr(frame, "_geometry_column_name", None))
        raise InputError(f"{layer}: no field named {', '.join(repr(m) for m in missing)} ({what}). "
                         f"Fields available: {available or 'none'}.")


def _uprn_key(series: pd.Series) -> pd.Series:
    """UPRNs as comparable text ('100090000001'), whether stored as integer, float or text."""
    text = series.astype("string").str.strip()
    text = text.str.replace(r"\.0+$", "", regex=True)
    return text.where(text.str.len() > 0)


def _whole_numbers(series: pd.Series) -> bool:
    """True for a UPRN or USRN column of whole numbers, stored as integer or float."""
    return bool(pd.api.types.is_integer_dtype(series) or (
        pd.api.types.is_float_dtype(series) and (series.dropna() % 1 == 0).all()))


def _whole_numbers_as_int(series: pd.Series) -> pd.Series:
    """Such a column as nullable integers, so a null row keeps the rest whole; others as they are."""
    return series.astype("Int64") if _whole_numbers(series) else series


def _matcher_quiet_during(func):
    """Run ``func`` with the matcher's warnings and logging quietened, and restored after."""
    @functools.wraps(func)
    def run(*args, **kwargs):
        with quiet_matcher():
            return func(*args, **kwargs)
    return run


@_matcher_quiet_during
@ad.texts_read_once()  # (the checks read the same texts' streets and numbers: once a run)
def link_addresses(records: pd.DataFrame, reference: pd.DataFrame, *, address_fields,
                   ref_uprn_field: str, ref_address_fields, postcode_field: str | None = None,
                   uprn_field: str | None = None, ref_postcode_field: str | None = None,
                   ref_parent_field: str | None = None, ref_class_field: str | None = None,
                   ref_usrn_field: str | None = None, threshold: float = DEFAULT_THRESHOLD,
                   ambiguity_margin: float = DEFAULT_AMBIGUITY_MARGIN,
                   records_name: str = "records", reference_name: str = "reference",
                   cache_dir: str | None = None, decisions: pd.DataFrame | None = None, feedback=None,
                   gazetteer_version: str | None = None):
    """Link ``records`` to ``reference`` (a GeoDataFrame of address points with UPRNs).

    Args:
        records: the agency table (any columns; geometry, if any, is not used).
        reference: the gazetteer; its geometry becomes the output geometry.
        address_fields: record fields that together hold the address, in reading order.
        ref_uprn_field, ref_address_fields, ref_postcode_field: the same in the reference.
        ref_parent_field: the gazetteer's parent UPRN (a flat's building), optional: a record
            without its flat then links to the building (``match_level`` 'parent'), never to a
            sibling flat.
        ref_class_field: the gazetteer's classification code (AddressBase / LLPG), optional:
            street records (PS) and objects without a postal address are never an answer, and a
            property shell (PP) is only a building-level answer.
        ref_usrn_field: the gazetteer's street reference (USRN), optional: copied to
            ``matched_usrn``; streets that share a name and place but not a USRN are then told apart.
        postcode_field: record field with the postcode (optional; a postcode inside the
            address text is also found).
        uprn_field: record field with a UPRN already known (optional); used when it is in the
            reference.
        threshold: minimum match weight to accept a probabilistic match.
        ambiguity_margin: best minus second-best weight under which a match is flagged
            ambiguous (it is still accepted when above the threshold).
        cache_dir: a folder where the matcher's prepared gazetteer is kept for later runs
            (None: prepared afresh each run).
        decisions: the review table of an earlier run with its ``decision`` column filled in
            (see :mod:`engine.linkage_review`); applied before any matching, for the same
            gazetteer version only.
        gazetteer_version: the version decisions are keyed by, when the caller knows it for a
            larger gazetteer than ``reference`` (a partition of it, see
            :mod:`engine.linkage_partition`); None: computed from ``reference``.

    Returns:
        ``(GeoDataFrame, LinkReport)``: every record, in input order, with the fields listed in
        the module docstring; ``report.review`` is the review table (records in the uncertain
        band, with their candidate and what agreed or differed).

    Raises:
        InputError: a named field is missing, or the reference has no usable address.
        EngineError: the matcher is not installed (with how to install it).
        EngineCancelled: the user cancelled.
    """
    import time

    import geopandas as gpd

    fb = as_feedback(feedback)
    started = time.perf_counter()
    address_fields = [address_fields] if isinstance(address_fields, str) else list(address_fields)
    ref_address_fields = [ref_address_fields] if isinstance(ref_address_fields, str) else list(ref_address_fields)
    if not address_fields:
        raise InputError(f"{records_name}: choose at least one address field.")
    if not ref_address_fields:
        raise InputError(f"{reference_name}: choose at least one address field.")
    _require_fields(records, address_fields + [f for f in (postcode_field, uprn_field) if f],
                    "address, postcode or UPRN field", records_name)
    _require_fields(reference, [ref_uprn_field] + ref_address_fields
                    + [f for f in (ref_postcode_field, ref_parent_field, ref_class_field, ref_usrn_field) if f],
                    "UPRN, address or postcode field", reference_name)
    report = LinkReport(records=len(records), threshold=float(threshold))
    n = len(records)

    # --- the reference ------------------------------------------------------------------
    ref = pd.DataFrame(index=reference.index)
    ref["key"] = _uprn_key(reference[ref_uprn_field])
    ref_text_raw = _join_fields(reference, ref_address_fields)
    ref_pc = ad.format_postcodes(reference[ref_postcode_field]) if ref_postcode_field \
        else pd.Series([None] * len(reference), index=reference.index, dtype=object)
    ref_normalised, ref_pc_in_text = ad.normalised_with_postcodes(ref_text_raw)
    ref_pc = ref_pc.where(ref_pc.notna(), ref_pc_in_text.to_numpy())
    ref["text"] = ref_normalised.to_numpy()
    ref["postcode"] = ref_pc
    ref["raw"] = ref_text_raw
    usable = ref["key"].notna() & ad.has_letters(ref["text"]).to_numpy()
    ref_class = (reference[ref_class_field].astype("string").str.strip().str.upper().fillna("")
                 if ref_class_field else pd.Series("", index=reference.index, dtype="string"))
    not_an_answer = hierarchy.not_an_answer(ref_class).to_numpy()
    report.reference_not_addresses = int((usable.to_numpy() & not_an_answer).sum())
    report.reference_rows = len(ref)
    report.reference_unusable = int((~usable).sum())
    object_positions = np.flatnonzero(usable.to_numpy() & hierarchy.named_objects(ref_class).to_numpy())
    usable = usable & ~not_an_answer
    dup = ref.loc[usable, "key"]
    counts = dup.value_counts()
    many = counts[counts > 1]
    report.duplicate_uprns = int(len(many))
    report.duplicate_uprn_rows = int(many.sum())
    report.duplicate_examples = list(many.index[:3])
    if not usable.any():
        raise InputError(f"{reference_name}: no row has both a UPRN ({ref_uprn_field}) and address "
                         f"text ({', '.join(ref_address_fields)}); nothing to match against.")
    # rows repeating an earlier row's UPRN, address and postcode add nothing to matching
    repeat = ref.duplicated(subset=["key", "text", "postcode"]).to_numpy()
    ref_positions = np.flatnonzero(usable.to_numpy() & ~repeat)
    # first reference row per UPRN: where a matched UPRN's point and address come from
    first_row = pd.Series(np.arange(len(ref)), index=ref["key"]).groupby(level=0).first()
    # the building of each reference row (its parent, else itself), and which rows have units
    parent_row = hierarchy.parent_rows(_uprn_key(reference[ref_parent_field]) if ref_parent_field else None,
                                       len(ref), first_row)
    is_unit = parent_row != np.arange(len(ref))
    has_units = np.zeros(len(ref), dtype=bool)
    has_units[parent_row[is_unit]] = True
    # a unit written as its number and its building's address (secondary number fields without
    # secondary text, joined: '3, KESTREL COURT, 12, HIGH STREET') is read as the flat it is
    ref["text"] = ad.unit_numbers_as_flats(
        ref["text"], np.where(is_unit, ref["text"].to_numpy()[parent_row], None)).to_numpy()
    fb.set_progress(0.05)
    fb.check()

    # The matcher's gazetteer preparation (most of its work) starts now, in DuckDB on a
    # background thread, while the records are normalised and matched on exact keys here.
    backend_problem = linkage_backend_missing()
    preparation = None
    if not backend_problem:
        preparation = GazetteerPreparation(
            pd.DataFrame({"unique_id": ref_positions.astype(str),
                          "address_concat": ref["text"].to_numpy()[ref_positions],
                          "postcode": ref["postcode"].to_numpy()[ref_positions]}),
            cache_dir=cache_dir, feedback=fb)
    try:
        # --- the reference's streets and numbers (while the preparation runs) --------------
        # each row's street (the words after its last number), street name and places after it
        # (locality, town): read by the object pass and the acceptance checks
        ref_street_keys = ad.street_keys(ref["text"])
        gazetteer_street_names = ad.street_names(ref["text"])
        ref_places = ad.place_words(ref_street_keys, gazetteer_street_names)
        ref_flats, ref_houses = ad.number_parts(ref["text"])
        gazetteer_heads = set(ad.street_heads(ref["text"], ref_street_keys)) - {None}
        gazetteer_places = frozenset().union(*ref_places)
        # the building names of each street ('KINGS HEAD' on CORNHILL ...) and an address bearing each
        names_on: dict = {}
        # ... and, of a house (no flat) with a name and a number, its street and number by its name
        numbered_names: dict = {}
        for key, name, address, flats, houses in zip(ref_street_keys, ad.building_names(ref["text"]), ref["text"],
                                                     ref_flats, ref_houses, strict=True):
            if name is not None:
                names_on.setdefault((key, name), address)
                if not flats and len(houses) == 1:
                    numbered_names.setdefault(name, set()).add((key, next(iter(houses))))
        # the gazetteer's streets (StreetIndex): their typed names ('HIGH STREET'), those it numbers
        # houses on and those it lists only named houses on, are what records' streets are read as
        # and compared by; and the streets records are placed on (match_level 'street')
        ref_usrn = (_whole_numbers_as_int(reference[ref_usrn_field].reset_index(drop=True)) if ref_usrn_field
                    else pd.Series([None] * len(ref), dtype=object))
        ref_numbered = (ref_houses.map(len) > 0).to_numpy()
        streets = StreetIndex(ref_street_keys, gazetteer_street_names, ref_numbered, ref["postcode"], ref_usrn,
                              ref["text"], ref["raw"], usable.to_numpy())
        gazetteer_streets = streets.typed_names

        # --- the records --------------------------------------------------------------------
        raw_text = _join_fields(records, address_fields)
        text, pc_text = ad.normalised_with_postcodes(ad.without_repeated_parts(raw_text))
        pc_given = records[postcode_field] if postcode_field else pd.Series([None] * n, index=records.index)
        pc = ad.format_postcodes(pc_given, typed_digits=True)
        digits_read = (pc.notna() & ad.format_postcodes(pc_given).isna()).to_numpy()  # 'LWI 1AB'
        report.postcodes_digits_read = int(digits_read.sum())
        given_text = pc_given.astype("string").str.strip()
        not_uk = given_text.notna() & (given_text.str.len() > 0) & pc.isna()
        # a postcode in the field and another in the address text: the one the gazetteer has when
        # the other is no postcode of it; else which is right is a guess, and the record is matched
        # as one without a postcode (on its words)
        two_postcodes = (pc.notna() & pc_text.notna() & (pc != pc_text)).to_numpy()
        known_pc = set(ref["postcode"].dropna())
        field_known, text_known = pc.isin(known_pc).to_numpy(), pc_text.isin(known_pc).to_numpy()
        guess = two_postcodes & (field_known == text_known)
        take_text = (two_postcodes & text_known & ~field_known) | pc.isna().to_numpy()
        pc = pc.where(~take_text, pc_text).where(~guess, None)
        report.postcodes_not_uk = int(not_uk.sum())
        report.postcodes_disagree = int(two_postcodes.sum())

        out = pd.DataFrame(index=records.index)
        out["SOURCE_ROW"] = np.arange(n, dtype=np.int64)
        ref_row = np.full(n, -1, dtype=np.int64)      # accepted reference row
        cand_row = np.full(n, -1, dtype=np.int64)     # best candidate row
        method = np.array([""] * n, dtype=object)
        reason = np.array([""] * n, dtype=object)
        note = np.array([""] * n, dtype=object)
        weight = np.full(n, np.nan)
        gap = np.full(n, np.nan)
        named_alike = np.zeros(n, dtype=bool)  # a house's name alone, which several houses have
        note[not_uk.to_numpy()] = "postcode is not a UK postcode; matched on the address alone"
        note[digits_read] = "postcode typed with a letter for a digit (O for 0, I or l for 1); read with the digit"
        note[two_postcodes] = np.where(guess[two_postcodes], "the postcode field and the postcode in the address "
                                       "differ; matched on the address alone", "the postcode field and the postcode "
                                       "in the address differ; matched with the one the gazetteer has")

        # 0. the reviewer's decisions of an earlier run, for this gazetteer version
        record_key = rv.record_keys(text.to_numpy(), pc.to_numpy())
        version = gazetteer_version or rv.gazetteer_version(
            ref["key"].to_numpy()[ref_positions], ref["text"].to_numpy()[ref_positions],
            ref["postcode"].to_numpy()[ref_positions])

        def row_of_uprn(uprn):
            key_text = _uprn_key(pd.Series([uprn], dtype=object)).iloc[0]
            row = first_row.get(key_text, -1) if isinstance(key_text, str) else -1
            return int(row) if row is not None and row >= 0 and usable.iloc[int(row)] else -1

        decided_row, rejected_in_review, report.decisions = rv.apply_decisions(
            decisions, record_key, version, row_of_uprn)
        decided = decided_row >= 0
        ref_row[decided] = cand_row[decided] = decided_row[decided]
        method[decided] = "review"
        reason[rejected_in_review] = "rejected in review: not any candidate the reviewer saw"

        # 1. exact UPRN
        if uprn_field:
            key = _uprn_key(records[uprn_field])
            known = key.isin(first_row.index).to_numpy() & ~decided & ~rejected_in_review
            has_key = key.notna().to_numpy()
            rows = first_row.reindex(key[known]).to_numpy()
            ref_row[known] = rows
            cand_row[known] = rows
            method[known] = "uprn"
            stray = has_key & ~known
            report.uprns_not_in_reference = int(stray.sum())
            note[stray] = np.where(note[stray] == "", "UPRN not in the reference; matched on the address",
                                   note[stray] + "; UPRN not in the reference")
        empty = ~ad.has_letters(text).to_numpy() & (ref_row < 0) & ~rejected_in_review
        reason[empty] = "empty address (no street or building name)"
        todo = np.flatnonzero((ref_row < 0) & ~empty & ~rejected_in_review)
        fb.set_progress(0.1)
        fb.check()

        @functools.cache
        def gazetteer_keys() -> ReferenceKeys:
            """The gazetteer's exact keys, built once, on first use (steps 2 and 4)."""
            return ReferenceKeys(ref["text"].to_numpy()[ref_positions], ref["postcode"].to_numpy()[ref_positions],
                                 ref["key"].to_numpy()[ref_positions])

        def without_county(texts, places_only: bool = False) -> np.ndarray:
            """Normalised texts read without a county: without the words after the town
            ('MARCHFORD, MERCIA', 'MARCHFORD TOWN') and the words no gazetteer address has ('N
            WESSEX', GREATER of 'GREATER LONDON'); with ``places_only``, only those after the
            first place named (a street's name mistyped, 'DEVONSOIRE TERRACE', is kept). Numbers,
            flats' letters and FLAT, which are no words of the keys' vocabulary, are kept."""
            vocabulary = gazetteer_keys().by_word()[0]
            out = []
            for t in texts:
                words = ad.words_to_the_town(str(t), gazetteer_places)
                first = next((k for k, w in enumerate(words) if w in gazetteer_places), len(words)) \
                    if places_only else 0
                out.append(" ".join(words[:first] + [w for w in words[first:] if w in vocabulary or not w.isalpha()
                                                     or len(w) == 1 or w == "FLAT"]))
            return np.array(out, dtype=object)

        # 2. deterministic: postcode + flat + house numbers (or, without a usable postcode, the
        # numbers and a rare word) pointing at exactly one address that holds all the record's words
        if todo.size:
            ref_keys = gazetteer_keys()
            det = deterministic_match(text.to_numpy()[todo], pc.to_numpy()[todo], ref_keys)
            hit = det >= 0
            rows = ref_positions[det[hit]]
            ref_row[todo[hit]] = rows
            cand_row[todo[hit]] = rows
            method[todo[hit]] = "exact"
            todo = todo[~hit]
            exact_hits = int(hit.sum())
            # other readings of the sub-unit ('12/3' as flat 3 of 12; '3 Umbria Court, 50 X Road'
            # as flat 3 of the block at 50; see ad.other_subunit_readings), tried only where the
            # first reading found nothing ('17 Cavendish House, 17 Cavendish Street' first found
            # the block: flat 17 is likelier), one kind after another, each where those before it
            # found nothing; a top floor flat is read from the floors the gazetteer lists there
            to_building_with_units = np.flatnonzero((method == "exact") & (ref_row >= 0)
                                                    & has_units[np.maximum(ref_row, 0)])
            # ... and those found on their numbers and rarest word at another postcode than the
            # one they give ('1/4 WESTERN HARBOUR, EH6 6AT' found as flat 1 of 4 at EH6 6SD, where
            # FLAT 4, 1 WESTERN HARBOUR is at EH6 6AT): another reading at their own postcode
            # is taken instead
            record_pc = pc.to_numpy()
            off_postcode = np.flatnonzero((method == "exact") & (ref_row >= 0) & pd.notna(record_pc)
                                          & (ref["postcode"].to_numpy()[np.maximum(ref_row, 0)] != record_pc))
            # ... and those naming a tenement flat by floor and side ('FLAT 4/R, 1 CRANWORTH STREET'
            # found FLAT 4/1, its door read as the house number 1): the floor-and-side reading, where
            # the gazetteer lists the building by floor and door, is taken instead
            side_written = np.flatnonzero((method == "exact") & (ref_row >= 0))
            side_written = side_written[ad.floor_side_written(text.to_numpy()[side_written],
                                                                  raw_text.to_numpy()[side_written])]
            retry = np.union1d(np.union1d(np.union1d(todo, to_building_with_units), off_postcode), side_written)
            # (first the record as written, found below without its county: '1A, FORTESS VILLAS,
            # ..., GREATER LONDON' is 1A where the gazetteer has it, before any flat A of 1)
            readings = {"as written": np.where(np.isin(retry, todo), text.to_numpy()[retry], "")}
            # a tenement flat by its floor and side ('SECOND FLOOR LEFT', Glasgow's '2/R'), where
            # the gazetteer lists the building's flats by floor and door, before other readings of
            # its numbers ('1ST FLR FLAT 2, 1 ESSLEMONT AVENUE' is 1/2, not 2/1 read the other way)
            # (the gazetteer's stairs read only where some record names a floor and side)
            readings["floor_side"] = ad.floor_side_readings(
                text.to_numpy()[retry], lambda: ad.stairs_by_building(ref["raw"].to_numpy()[ref_positions],
                                                                      ref["text"].to_numpy()[ref_positions]),
                raw_text.to_numpy()[retry])
            readings.update(ad.other_subunit_readings(raw_text.to_numpy()[retry], text.to_numpy()[retry]))
            # the record at its own postcode without its places ('8 MAES Y DERW, WHITEMILL' at a
            # postcode of MAES Y DERW, LLANGYNFAEL: a wrong post town, found first through its
            # words on the MAES Y DERW of WHITEMILL): taken only at that postcode
            # (its parts after the street's, as written between commas, whose words are all places;
            # every part read in one pass)
            with_pc = pd.notna(pc.to_numpy()[retry])
            split = [[p.strip().upper() for p in str(r).split(",") if p.strip()] if k else []
                     for r, k in zip(raw_text.to_numpy()[retry], with_pc, strict=True)]
            distinct = sorted({p for parts in split for p in parts[1:]})
            places_only = dict(zip(distinct, [not any(ch.isdigit() for ch in p) and bool(n) and all(
                w in gazetteer_places for w in n.split()) for p, n in zip(
                distinct, ad.normalise_addresses(pd.Series(distinct, dtype=object)), strict=True)], strict=True))
            cut = []
            for parts in split:
                while len(parts) > 1 and places_only[parts[-1]]:
                    parts = parts[:-1]
                cut.append(",".join(parts))
            placeless = ad.normalise_addresses(pd.Series(cut, dtype=object)).to_numpy()
            # ... and with its street named in the gazetteer's language ('15 HEOL Y PARC' for 15 PARK
            # ROAD at that postcode), likewise taken only there
            readings["other_language"] = ad.other_language_readings(
                raw_text.to_numpy()[retry], pc.to_numpy()[retry], ref["raw"].to_numpy(), ref["postcode"].to_numpy())
            readings["at_postcode"] = np.array(
                [p if isinstance(c, str) and c and p != t else "" for p, t, c
                 in zip(placeless, text.to_numpy()[retry], pc.to_numpy()[retry], strict=True)], dtype=object)
            flats_of_building = ad.flats_by_building(ref_flats.to_numpy()[ref_positions],
                                                     ref_houses.to_numpy()[ref_positions],
                                                     ref_street_keys.to_numpy()[ref_positions])
            readings["top_floor"] = ad.top_floor_readings(text.to_numpy()[retry], flats_of_building)
            # Edinburgh's '11/8' (flat 8 of 11, the building first) or 'FLAT 4, 13 X ROAD' where the
            # gazetteer lists that building's flats by floor and door (GF1 ... 2F2): the 8th up the stair
            stair = ad.stair_order_readings(text.to_numpy()[retry], flats_of_building)
            swapped_stair = ad.stair_order_readings(readings["swapped"], flats_of_building)
            # ('3/5' read both ways finds a flat up each stair: which is meant is a guess)
            readings["stair"] = np.where(swapped_stair == "", stair, np.where(stair == "", swapped_stair, ""))
            still_open = np.ones(len(retry), dtype=bool)
            for kind, alt in readings.items():
                has_alt = np.flatnonzero((alt != "") & still_open)
                if not has_alt.size:
                    continue
                # a block's flat may be written without the block's street number
                house_optional = kind in ("block", "name_first")
                det = deterministic_match(alt[has_alt], pc.to_numpy()[retry[has_alt]], ref_keys,
                                          house_optional=house_optional)
                # ... and a reading may be found without its county ('1C, HADLEY STREET, HAMWELL
                # GREEN, LONDON, HAMWELL, GREATER LONDON', as Price Paid writes district and county)
                again = np.flatnonzero(det < 0)
                if again.size:
                    det[again] = deterministic_match(without_county(alt[has_alt[again]], places_only=True),
                                                     pc.to_numpy()[retry[has_alt[again]]], ref_keys,
                                                     house_optional=house_optional)
                hit = det >= 0
                if kind == "block" and hit.any():
                    found_text = ref["text"].to_numpy()[ref_positions[det[hit]]]
                    # (without a postcode, the block's whole name: '11 HAWTHORN TERRACE' is no flat
                    # of HAWTHORN HOUSE, 5 CHAPEL TERRACE)
                    no_pc = pd.isna(pc.to_numpy()[retry[has_alt[hit]]]) | (pc.to_numpy()[retry[has_alt[hit]]] == "")
                    named = np.array([ad.block_named_after_flat(a, c, whole_name=w) for a, c, w
                                      in zip(alt[has_alt[hit]], found_text, no_pc, strict=True)], dtype=bool)
                    hit[np.flatnonzero(hit)[~named]] = False
                # (a record already linked at another postcode: only the other order of its two
                # numbers, at its own postcode)
                moved = np.flatnonzero(hit)[np.isin(retry[has_alt[hit]], off_postcode)]
                at_own = ref["postcode"].to_numpy()[ref_positions[det[moved]]] == record_pc[retry[has_alt[moved]]]
                hit[moved] = at_own & (kind in ("swapped", "stair", "at_postcode", "other_language"))
                if kind in ("at_postcode", "other_language"):
                    hit[hit] = ref["postcode"].to_numpy()[ref_positions[det[hit]]] == record_pc[retry[has_alt[hit]]]
                # (one found on its numbers alone, its side read as nothing: only its floor and side)
                side_only = np.setdiff1d(side_written, np.union1d(to_building_with_units, off_postcode))
                hit[np.flatnonzero(hit)[np.isin(retry[has_alt[hit]], side_only)]] = kind == "floor_side"
                rows = ref_positions[det[hit]]
                hit_rows = retry[has_alt[hit]]
                ref_row[hit_rows] = rows
                cand_row[hit_rows] = rows
                method[hit_rows] = "exact"
                text.iloc[hit_rows] = alt[has_alt[hit]]  # the reading that matched, for the checks below
                still_open[has_alt[hit]] = False
                todo = np.setdiff1d(todo, hit_rows)
                relinked = np.union1d(np.union1d(to_building_with_units, off_postcode), side_written)
                exact_hits += int(np.isin(hit_rows, relinked, invert=True).sum())
            def exact_on(reading):
                """Link the records of ``todo`` whose ``reading`` ('' where none) an exact key finds;
                returns (positions in todo with a reading, which of them were found)."""
                has = np.flatnonzero(reading != "")
                det = deterministic_match(reading[has], pc.to_numpy()[todo[has]], ref_keys) if has.size \
                    else np.zeros(0, dtype=np.int64)
                read = todo[has[det >= 0]]
                ref_row[read] = cand_row[read] = ref_positions[det[det >= 0]]
                method[read] = "exact"
                text.iloc[read] = reading[has[det >= 0]]
                return has, det >= 0

            # a house number's letter joined to the street ('21AVictoria Place'): 21A VICTORIA
            joined = ad.letter_joined_readings(text.to_numpy()[todo])
            has, found = exact_on(joined)
            # not found: still 21A where VICTORIA is a word of the gazetteer and AVICTORIA is not
            # (an infill 21A the gazetteer lacks is then no link to 21), nor, run into the next
            # word, one ('11 BROAD WAY' is 11 BROADWAY, no 11B ROAD WAY)
            words = ref_keys.by_word()[0]
            rest = [i for i in has[~found] if all(
                w in words or w.isdigit() for w in set(joined[i].split()) - set(text.iloc[todo[i]].split())
                if not w[:-1].isdigit()) and not ad.letter_word_known(text.iloc[todo[i]], words)]
            text.iloc[todo[rest]] = joined[rest]
            exact_hits += int(found.sum())
            with_joined_letter = todo[rest]  # (every "N WORD" has a joined reading: only those taken)
            todo = np.setdiff1d(todo, todo[has[found]])
            # a slip of one letter in the street's name ('3 CHSETNUT DRIVE', no postcode): read as
            # the gazetteer's one street that close (ad.streets_meant), where an exact key then
            # finds the address; the matcher, too, sees the street so read
            names = ad.street_names(pd.Series(text.to_numpy()[todo])).to_numpy()
            meant = ad.streets_meant(names, gazetteer_streets)
            # (not '21AVICTORIA PLACE', a letter joined to the number and no slip: read as 21A above)
            mended = np.array([t.replace(a, next(iter(m)), 1) if m is not None and len(m) == 1 and a not in m
                               and not j else "" for t, a, m, j in zip(text.to_numpy()[todo], names, meant,
                                                                       np.isin(todo, with_joined_letter),
                                                                       strict=True)], dtype=object)
            has, found = exact_on(mended)
            text.iloc[todo[has]] = mended[has]
            exact_hits += int(found.sum())
            todo = np.setdiff1d(todo, todo[has[found]])
            # a slip of one letter in any other word ('FLAT 4, ENNERDAOE POINT, 9 SANDRINGHAM STREET',
            # no postcode, whose rarest word was the slip): each such word read as the one word of
            # the gazetteer that close, where an exact key then finds the address
            # ('1, UBRIA HEIGHTS, 1 SALISBURY AVENUE' read as flat 1 of the block, as the matcher would)
            flat_first = ad.flat_before_block_readings(text.to_numpy()[todo])
            has, found = exact_on(ad.mended_word_readings(np.where(flat_first != "", flat_first, text.to_numpy()[todo]),
                                                          ref_keys.by_word()[0]))
            exact_hits += int(found.sum())
            todo = np.setdiff1d(todo, todo[has[found]])
            # a house written by its name and street, its number left out ('CHURCH VIEW, MILL LANE'
            # where the gazetteer has CHURCH VIEW, 17 MILL LANE), or its street left out too ('THE
            # SWAN, KINGSMERE'): read with that number (and street)
            has, found = exact_on(ad.named_house_readings(text.to_numpy()[todo], numbered_names,
                                                          frozenset(streets.houses_named)))
            exact_hits += int(found.sum())
            todo = np.setdiff1d(todo, todo[has[found]])
            # a house known by its name, no number, its street perhaps left out ('MANOR FARM,
            # TILFORD'; 'THE GRANARY' with its postcode, where THE GRANARY COTTAGE has it too): the
            # one house of that name at the record's postcode, or without one in the places it
            # names; where several fit, whichever the matcher picks is a guess (step 4: a tie)
            if todo.size:
                no_flat = todo[(ad.number_parts(pd.Series(text.to_numpy()[todo]))[0].map(len) == 0).to_numpy()]
                rows, fitting = ad.houses_by_name_alone(
                    text.to_numpy()[no_flat], pc.to_numpy()[no_flat], streets.houses_named,
                    ref["postcode"].to_numpy(), ref["key"].to_numpy(),
                    (parent_row == np.arange(len(ref))) & (ref_flats.map(len) == 0).to_numpy(),
                    places=gazetteer_places, vocabulary=ref_keys.by_word()[0], numbered_names=numbered_names)
                named_alike[no_flat[fitting > 1]] = True
                named = no_flat[rows >= 0]
                ref_row[named] = cand_row[named] = rows[rows >= 0]
                method[named] = "exact"
                exact_hits += named.size
                todo = np.setdiff1d(todo, named)
            # a record naming in full an object that is no dwelling's answer ('ELECTRICITY SUB
            # STATION ADJACENT TO 4 SCHOOL LANE', 'ST PETERS CHURCH, FRIARGATE'): that object
            # (read without a county: the words no gazetteer address has, 'N WESSEX', and the words
            # after the town, 'MARCHFORD, MERCIA', 'MARCHFORD TOWN')
            if todo.size and object_positions.size:
                det = deterministic_match(without_county(text.to_numpy()[todo]), pc.to_numpy()[todo], ReferenceKeys(
                    ref["text"].to_numpy()[object_positions], ref["postcode"].to_numpy()[object_positions],
                    ref["key"].to_numpy()[object_positions]))
                found = np.flatnonzero(det >= 0)
                rows = object_positions[det[found]]
                in_full = ad.names_in_full(text.to_numpy()[todo[found]], ref["text"].to_numpy()[rows],
                                           gazetteer_places)
                naming = todo[found[in_full]]
                ref_row[naming] = cand_row[naming] = rows[in_full]
                method[naming] = "exact"
                exact_hits += naming.size
                todo = np.setdiff1d(todo, naming)
            def named_in_full(readings) -> np.ndarray:
                """The records of ``todo`` an exact key finds by their reading (none where it is
                ''), to an address naming every word of it but its town or locality ('CHERRY TREE
                HOUSE, ST PETERS AVENUE' is no reading of 'IVY HOUSE, ST PETERS AVENUE': a house
                the gazetteer lacks); those records are linked there."""
                has = np.flatnonzero(readings != "")
                det = deterministic_match(readings[has], pc.to_numpy()[todo[has]], ref_keys) if has.size \
                    else np.zeros(0, dtype=np.int64)
                found = np.flatnonzero(det >= 0)
                det[found[[not set(ref["text"].iloc[ref_positions[det[f]]].split())
                           - set(readings[has[f]].split()) <= gazetteer_places for f in found]]] = -1
                named = todo[has[det >= 0]]
                ref_row[named] = cand_row[named] = ref_positions[det[det >= 0]]
                method[named] = "exact"
                return named

            # a business's name before a building the gazetteer names, no number ('NOWAK UPHOLSTERY,
            # FOUNDRY ENTERPRISE CENTRE, FOUNDRY WAY', with its postcode): read without the words no
            # gazetteer address has; the record's own text is kept for the checks of step 4
            if todo.size:
                vocabulary = ref_keys.by_word()[0]
                flats_todo, houses_todo = ad.number_parts(pd.Series(text.to_numpy()[todo]))
                known_only = np.array(["" if f or h or not isinstance(code, str) else
                                       " ".join(w for w in t.split() if w in vocabulary or not w.isalpha())
                                       for t, f, h, code in zip(text.to_numpy()[todo], flats_todo, houses_todo,
                                                                pc.to_numpy()[todo], strict=True)], dtype=object)
                shorter = np.array([len(k.split()) >= 2 and k != t for k, t in zip(known_only, text.to_numpy()[todo],
                                                                                     strict=True)], dtype=bool)
                known_only[~shorter] = ""
                named = named_in_full(known_only)
                exact_hits += named.size
                todo = np.setdiff1d(todo, named)
            # a business's name before its address, with its number ('HAPPY GARDEN, GROUND FLOOR,
            # 26 NORTHMOOR BROADWAY' without its postcode, whose unknown words weigh against the
            # matcher's score): read from its first flat or number
            # ... and with a slip of one letter in a word of the rest ('SPICE GARDEN, GROUND FLOOR,
            # 11 NORTHMOOR BROSDWAY')
            for mend in (False, True):
                if todo.size:
                    unnamed = ad.without_a_name_before(text.to_numpy()[todo], ref_keys.by_word()[0])
                    if mend and (unnamed != "").any():
                        unnamed[unnamed != ""] = ad.mended_word_readings(unnamed[unnamed != ""], ref_keys.by_word()[0])
                    named = named_in_full(unnamed)
                    exact_hits += named.size
                    todo = np.setdiff1d(todo, named)
            fb.log(f"Normalised exact keys matched {exact_hits} records; {todo.size} go to the "
                   f"probabilistic matcher ({time.perf_counter() - started:.1f} s so far)")
        fb.set_progress(0.2)
        fb.check()

        # 3. probabilistic matching, on the gazetteer prepared meanwhile
        if todo.size:
            if preparation is None:
                raise EngineError(backend_problem)
            # '1, NEWLAND POINT, 6 ENNRDALE PLACE' that no exact key found either way (a slip in a
            # name): the matcher sees flat 1 of the block at 6, not two house numbers
            flat_first = ad.flat_before_block_readings(text.to_numpy()[todo])
            text.iloc[todo[flat_first != ""]] = flat_first[flat_first != ""]
            folder = preparation.wait(fb)
            res = match_ukam(pd.DataFrame({"unique_id": todo.astype(str),
                                            "address_concat": text.to_numpy()[todo],
                                            "postcode": pc.to_numpy()[todo]}),
                              folder, feedback=fb)
            fb.check()
            pos = res["unique_id"].astype(np.int64).to_numpy()
            cid = pd.to_numeric(res["resolved_canonical_id"], errors="coerce")
            found = cid.notna().to_numpy()
            cand_row[pos[found]] = cid[found].astype(np.int64).to_numpy()
            reason_text = res["match_reason"].astype("string").fillna("").to_numpy()
            is_exact = np.array([r.startswith(("exact", "peeled")) for r in reason_text], dtype=bool)
            is_trigram = np.array([r.startswith("unique_trigram") for r in reason_text], dtype=bool)
            weight[pos] = pd.to_numeric(res["match_weight"], errors="coerce").to_numpy()
            gap[pos] = pd.to_numeric(res["distinguishability"], errors="coerce").to_numpy()
            method[pos[found & is_exact]] = "exact"
            method[pos[found & is_trigram]] = "trigram"
            method[pos[found & ~is_exact & ~is_trigram]] = "probabilistic"
            reason[pos[~found]] = NO_CANDIDATE
            fb.log(f"Probabilistic matcher done ({time.perf_counter() - started:.1f} s so far)")
    finally:
        if preparation is not None:
            preparation.close()
    fb.set_progress(0.9)

    # 4. acceptance: threshold, and house/flat numbers that must agree
    probabilistic = method == "probabilistic"
    below = probabilistic & ~(weight >= threshold)
    has_cand = cand_row >= 0
    cand_text = pd.Series(np.where(has_cand, ref["text"].to_numpy()[np.maximum(cand_row, 0)], ""))
    rec_flat, _ = ad.number_parts(pd.Series(text.to_numpy()))
    rec_has_flat = (rec_flat.map(len) > 0).to_numpy()
    # a record without a flat whose candidate is a flat: the building, never a sibling flat
    cand_is_sub_unit = has_cand & (parent_row[np.maximum(cand_row, 0)] != np.maximum(cand_row, 0))
    by_person = np.isin(method, ["uprn", "review"])  # a UPRN given, or a reviewer's decision
    to_building = has_cand & ~rec_has_flat & cand_is_sub_unit & ~by_person
    # ... unless the record names the unit by the words its address adds to its building's ('THE
    # GRANARY, HOME FARM' is the granary, 'SUITE 3' and 'GROUND FLOOR' the suite and the shop)
    lift = np.flatnonzero(to_building)
    to_building[lift] = ~ad.names_the_unit(text.to_numpy()[lift], ref["text"].to_numpy()[cand_row[lift]],
                                           ref["text"].to_numpy()[parent_row[cand_row[lift]]])
    # ... or by a word that one unit of the building has and no other ('MAISONETTE, 30 PARK ROAD'
    # where 30 has a GROUND FLOOR FLAT and a FIRST AND SECOND FLOOR MAISONETTE)

    @functools.cache
    def units_of() -> dict:
        """Each building's usable units (rows), built once, on first use."""
        return hierarchy.units_by_building(parent_row, usable.to_numpy())

    def take_unit(i: int, unit: int) -> None:
        """Record ``i``'s candidate (and its link, where it has one) becomes ``unit``."""
        cand_row[i] = unit
        if ref_row[i] >= 0:
            ref_row[i] = unit

    for i in lift[to_building[lift]]:
        units = units_of().get(int(parent_row[cand_row[i]]), [])
        k = ad.unit_named_by_its_words(text.iloc[i], ref["text"].iloc[parent_row[cand_row[i]]],
                                       ref["text"].iloc[units])
        if k >= 0:
            to_building[i] = False
            take_unit(i, units[k])
    cand_row[to_building] = parent_row[cand_row[to_building]]
    ref_row[to_building & (ref_row >= 0)] = cand_row[to_building & (ref_row >= 0)]
    cand_text = pd.Series(np.where(has_cand, ref["text"].to_numpy()[np.maximum(cand_row, 0)], ""))
    why = ad.number_conflicts(pd.Series(text.to_numpy()), cand_text).to_numpy().copy()
    reject_conflict = (why != "") & np.isin(method, ["probabilistic", "exact", "trigram"])
    # ... but a block's flat written as PAF writes it, found by the matcher where the exact
    # reading was not (a postcode typed wrong, a town's name in the block's): that flat
    paf = np.flatnonzero(reject_conflict)
    if paf.size:
        as_paf = ad.block_flats_as_paf_writes(pd.Series(text.to_numpy()[paf]), cand_text.iloc[paf], gazetteer_places)
        reject_conflict[paf[as_paf]] = False
        why[paf[as_paf]] = ""
    # 'LAND ADJACENT TO 38 X ROAD', 'GARAGE 3 REAR OF 9 X ROAD': not the address they name
    other_thing = ad.describes_something_else(pd.Series(text.to_numpy()), cand_text).to_numpy() \
        & ~by_person & ~empty
    # ... unless the building lists a unit that is that thing ('REAR OF 41 CORNHILL' where the
    # gazetteer has 'REAR WORKSHOP, 41 CORNHILL'): the one unit of the candidate's building whose
    # address holds the record's words for it
    things = np.flatnonzero(other_thing)
    if things.size:
        for i, words in zip(things, ad.something_else_words(pd.Series(text.to_numpy()[things])), strict=True):
            units = units_of().get(int(parent_row[cand_row[i]]), [])
            that_thing = [u for u, w in zip(units, ad.something_else_words(ref["text"].iloc[units]), strict=True)
                          if words <= w]
            if len({ref["key"].iloc[u] for u in that_thing}) == 1:
                take_unit(i, that_thing[0])
                cand_text.iloc[i] = ref["text"].iloc[that_thing[0]]
                other_thing[i] = False
    reason[other_thing] = REASON_NOT_THE_ADDRESS
    reject_conflict = reject_conflict & ~other_thing
    house_conflict = np.array([w.startswith("house number") for w in why], dtype=bool) & reject_conflict
    flat_conflict = reject_conflict & ~house_conflict
    # ... but where the record's flat is another unit of the candidate's building ('HAPPY GARDEN,
    # GROUND FLOOR, 36 X ROAD' scored nearest the FIRST FLOOR FLAT of 36), that unit
    for i in np.flatnonzero(flat_conflict & ~by_person):
        fits = [u for u in units_of().get(int(parent_row[cand_row[i]]), []) if ref_flats.iloc[u] == rec_flat.iloc[i]]
        if rec_flat.iloc[i] and len({ref["key"].iloc[u] for u in fits}) == 1:
            take_unit(i, fits[0])
            cand_text.iloc[i] = ref["text"].iloc[fits[0]]
            flat_conflict[i] = reject_conflict[i] = False
    # ... and a room of a care home, a hall or a house let in rooms, where the gazetteer lists no
    # room there ('ROOM 11, MILLBANK CARE HOME, 1 SOUTHPARK AVENUE'; 'RM 3, FLAT 4/1, ...'; a
    # hall's 'FLAT 4A', bedroom A of its flat 4): the home (a building it lists no unit of) or the
    # flat the room is in; a room has no address of its own
    # (a home, hall or house let in rooms by its class: residential institution RI, house in
    # multiple occupation RH; a room in a house, RD, is a sub-unit the gazetteer lacks)
    for i, room in ad.rooms_named(raw_text.to_numpy(), rec_flat, np.flatnonzero(flat_conflict & ~by_person)):
        building = int(parent_row[cand_row[i]])
        units = units_of().get(building, [])
        if not ref_class.iloc[building].startswith(("RI", "RH")) and not any(
                ref_class.iloc[u].startswith("RH") for u in units):
            continue
        rest = rec_flat.iloc[i] - {room}
        if not units and not rest:
            fits = [building]
        elif room[-1].isalpha() and not rest:  # a hall's or HMO's lettered room
            fits = [u for u in units if ref_flats.iloc[u] == {room[:-1]}]
        else:
            fits = [u for u in units if rest and ref_flats.iloc[u] == rest]
        if len({ref["key"].iloc[u] for u in fits}) == 1:
            take_unit(i, fits[0])
            cand_text.iloc[i] = ref["text"].iloc[fits[0]]
            flat_conflict[i] = reject_conflict[i] = False
    # ... and a main-door flat (a flat with its own number and door, the gazetteer's lone RD06
    # with no units: '17 POLWARTH STREET'), written by its ground floor ('Gf, 17 Polwarth Street',
    # 'GF1, 11A GREAT KING STREET', 'Main Door Flat, 33 Dundas Street'): that flat
    for i in np.flatnonzero(flat_conflict & ~by_person):
        flat_row = int(cand_row[i])
        if (ref_class.iloc[flat_row] == "RD06" and parent_row[flat_row] == flat_row
                and not units_of().get(flat_row) and rec_flat.iloc[i]
                and all(re.fullmatch(r"GF\d?", f) for f in rec_flat.iloc[i])):
            flat_conflict[i] = reject_conflict[i] = False
    reason[house_conflict] = [f"number not in street: {w} not in the best candidate's address"
                              for w in why[house_conflict]]
    # the record's flat is not in the building: the building (not a flat of it) is the candidate
    cand_row[flat_conflict] = parent_row[cand_row[flat_conflict]]
    reason[flat_conflict] = [f"flat not in building: {w} not in the gazetteer at this address "
                             "(candidate_uprn is the building)" for w in why[flat_conflict]]
    reject_conflict = reject_conflict | other_thing
    guessed = np.isin(method, ["probabilistic", "trigram"]) & named_alike  # a name several houses have
    tie = (((method == "probabilistic") & (gap < 0.01)) | guessed) & ~reject_conflict
    reason[tie] = "tie: two or more gazetteer addresses fit equally well (see candidate_uprn)"
    # the record's postcode is not the candidate's but another of the same sector with addresses
    # on the candidate's street: the number was typed wrong (12 -> 21) or is a neighbour's as
    # likely as the postcode is, and no text can tell which, so no link: the review decides
    rec_pc = pc.to_numpy().astype(object)
    cand_pc = ref["postcode"].to_numpy()[np.maximum(cand_row, 0)]
    same_sector = np.array([isinstance(a, str) and isinstance(b, str) and a != b and a[:-2] == b[:-2]
                            for a, b in zip(rec_pc, cand_pc, strict=False)], dtype=bool)
    # ... and that postcode holds, on the candidate's street, a number a slip away from the record's
    # (12 typed 21 or 14): without one the postcode is the likelier error (a neighbouring unit's),
    # and the number, which the candidate has, is kept
    houses_at: dict = {}
    for key, houses in zip(zip(ref["postcode"], ref_street_keys, strict=True), ref_houses, strict=True):
        houses_at.setdefault(key, set()).update("".join(ch for ch in h if ch.isdigit()).lstrip("0") for h in houses)
    cand_street = ad.street_keys(cand_text).to_numpy()
    rec_houses = ad.number_parts(pd.Series(text.to_numpy()))[1].to_numpy()
    pc_disagrees = has_cand & same_sector & ~reject_conflict & ~tie & ~by_person
    pc_disagrees[pc_disagrees] = [
        (a, b) in houses_at and any(ad.number_slips(h) & houses_at[(a, b)] for h in hs)
        for a, b, hs in zip(rec_pc[pc_disagrees], cand_street[pc_disagrees], rec_houses[pc_disagrees], strict=True)]
    reason[pc_disagrees] = [f"postcode disagrees: the best candidate's postcode is {b}; {a} is another "
                            "postcode of the same street, with a number a slip away from the record's "
                            "(house number or postcode wrong; check by hand)"
                            for a, b in zip(rec_pc[pc_disagrees], cand_pc[pc_disagrees], strict=False)]
    reject_conflict = reject_conflict | tie | pc_disagrees
    # the record names a street the gazetteer has, and the candidate is on another street
    # ('FLAT 2, 1 KELSO TERRACE' found 'FLAT 2, KELSO COURT, 1 CHESTNUT TERRACE' through the
    # block's name; '9 ROSEBERY ROAD' found '9 ROSEBERY GROVE'): the address written is not the
    # candidate's, whatever the weight says
    # (read as streets the gazetteer numbers houses on: 'LOCK KEEPERS COTTAGE, BLACKTHORN ROAD' names
    # BLACKTHORN ROAD; a locality ending in a street's word, ABBOTS GREEN, is no street)
    rec_street = ad.known_street_names(pd.Series(text.to_numpy()), gazetteer_streets)
    cand_street_name = ad.known_street_names(cand_text, gazetteer_streets)
    # a street name several places share ('1 HIGH STREET' with a postcode of the HIGH STREET of
    # HAYFIELD END found 1 HIGH STREET, MOSSLEY VALE through its words): the record's postcode is
    # on the other street of that name, and nothing in the record names the candidate's place, so
    # the record is as likely on the street its postcode gives (where the gazetteer may lack it)
    keys_at: dict = {}
    for a, k in zip(ref["postcode"], ref_street_keys, strict=True):
        if isinstance(a, str):
            keys_at.setdefault(a, set()).add(k)
    cand_key = ad.street_keys(cand_text).to_numpy()
    elsewhere = np.flatnonzero(has_cand & ~reject_conflict & ~by_person & (cand_street_name != None)  # noqa: E711
                               & np.array([isinstance(a, str) and a in keys_at and a != b
                                           for a, b in zip(rec_pc, cand_pc, strict=False)], dtype=bool))
    same_name_elsewhere = np.zeros(n, dtype=bool)
    for i in elsewhere:
        name, key = cand_street_name[i], cand_key[i]
        # (the street's name anywhere in the other key: a unit of an estate on it has no number)
        # (the places after the street's name in each key at the record's postcode: the same as the
        # candidate's, the postcode is on its street)
        places_at = {f" {k} ".split(f" {name} ", 1)[1].strip() for k in keys_at[rec_pc[i]] if f" {name} " in f" {k} "}
        if not places_at or not str(key).startswith(name):
            continue
        own = str(key)[len(name):].strip()
        if own in places_at:
            continue
        words = set(str(text.iloc[i]).split())
        # (the record naming a place of the candidate's that the other street lacks keeps it)
        same_name_elsewhere[i] = not any((set(own.split()) - set(p.split())) & words for p in places_at)
    reason[same_name_elsewhere] = [
        f"postcode disagrees: the record's postcode {rec_pc[i]} is on another {cand_street_name[i]} than the best "
        f"candidate's ({cand_pc[i]}); check by hand" for i in np.flatnonzero(same_name_elsewhere)]
    reject_conflict = reject_conflict | same_name_elsewhere
    # a street name the gazetteer lacks is read through a slip of one letter per word ('14
    # ROSEBREY ROAD' with another street's postcode found '14 ROSEBERY CRESCENT')
    meant = ad.streets_meant(rec_street, gazetteer_streets)
    # (a candidate on a street named without a street type, NORTHGATE or WATERSIDE: the record's
    # street is not among its words)
    street_disagrees = has_cand & ~reject_conflict & ~by_person & np.array(
        [m is not None and (b not in m if b is not None else not any(f" {a} " in f" {c} " for a in m))
         for m, b, c in zip(meant, cand_street_name, cand_text, strict=True)], dtype=bool)
    reason[street_disagrees] = [
        f"street disagrees: the record names {a}" + (", a street of the gazetteer" if a in m else
                                                     f", read as {' or '.join(sorted(m))}")
        + f"; the best candidate is on {b or 'another street'}"
        for a, m, b in zip(rec_street[street_disagrees], np.array(meant, dtype=object)[street_disagrees],
                           cand_street_name[street_disagrees], strict=True)]
    reject_conflict = reject_conflict | street_disagrees
    # streets that share no word, whatever their type ('4 NORTHGATE' found '4 THIRLESTANE ROAD',
    # '14 THE PADDOCKS' '14 THE CRESCENT'): a street the gazetteer lacks is an answer (a new
    # street); one it has, another address than the candidate's, for a person to settle
    open_rows = np.flatnonzero(has_cand & ~reject_conflict & ~by_person)
    apart = np.zeros(n, dtype=bool)
    apart[open_rows] = ad.heads_disagree(pd.Series(text.to_numpy()[open_rows]), cand_text.iloc[open_rows],
                                         gazetteer_places)
    rec_heads = np.full(n, None, dtype=object)
    rec_heads[apart] = ad.street_heads(pd.Series(text.to_numpy()[apart]))
    new_street = apart.copy()
    new_street[apart] = ~ad.heads_known(rec_heads[apart], gazetteer_heads)
    reason[new_street] = [f"street not in gazetteer: no street of the gazetteer begins {h} (or a slip of it); "
                          "the best candidate is on another street" for h in rec_heads[new_street]]
    reason[apart & ~new_street] = [
        f"street disagrees: the record's street begins {h}, the best candidate's "
        f"{' '.join(str(k).split()[:3])}" for h, k in zip(rec_heads[apart & ~new_street],
                                                           ad.street_keys(cand_text[apart & ~new_street]), strict=True)]
    reject_conflict = reject_conflict | apart
    # a street the gazetteer lacks found, through its postcode sector and a word they share, on
    # another ('4 HARBOUR GREEN' on WESTERN HARBOUR)
    open_rows = np.flatnonzero(has_cand & ~reject_conflict & ~by_person & np.isin(method, ["probabilistic", "trigram"]))
    other_street = np.zeros(n, dtype=bool)

    def street_name(key):
        return " ".join(w for w in str(key).split() if w not in gazetteer_places) or str(key)

    other_street[open_rows] = ad.street_words_disagree(pd.Series(text.to_numpy()[open_rows]),
                                                       cand_text.iloc[open_rows], gazetteer_places)
    reason[other_street] = [
        f"street not in gazetteer: the record's street {street_name(k)} is not the best candidate's "
        f"{street_name(c)}"
        for k, c in zip(ad.street_keys(pd.Series(text.to_numpy()[other_street])),
                        ad.street_keys(cand_text[other_street]), strict=True)]
    reject_conflict = reject_conflict | other_street
    # a house known by its name only, written with another name than its candidate's ('CHERRY
    # TREE HOUSE, ST PETERS AVENUE' found 'IVY HOUSE, ST PETERS AVENUE' through the street)
    named = np.flatnonzero(has_cand & ~reject_conflict & ~by_person & np.isin(method, ["probabilistic", "trigram"]))
    name_differs = np.zeros(n, dtype=bool)
    name_differs[named] = ad.building_name_differs(pd.Series(text.to_numpy()[named]), cand_text.iloc[named])
    # ... and a home named first, before its farm or house, that its candidate (a home) lacks
    # ('Y GRANAR, GREEN FARM' found GREEN FARM; 'BARN COTTAGE, UPPER HOUSE FARM'): a conversion
    # the gazetteer may lack
    homes = named[ref_class.iloc[np.maximum(cand_row[named], 0)].str.startswith("R").to_numpy(dtype=bool)]
    name_differs[homes] |= ad.first_name_missing(raw_text.to_numpy()[homes], cand_text.iloc[homes])
    reason[name_differs] = ("name differs: the record names a building by a name the best candidate does not "
                            "have (a house the gazetteer may lack; see candidate_uprn)")
    # a numbered record naming its building by the name the gazetteer gives another address of the
    # candidate's street ('THE KINGS HEAD, 7 CORNHILL' found 7 CORNHILL; the KINGS HEAD is 9; 'ROSE
    # COTTAGE, 5 CHURCH LANE' found 5 CHURCH LANE, and ROSE COTTAGE is a house of the lane without
    # a number): the number or the name is wrong, and no text can tell which
    open_rows = np.flatnonzero(has_cand & ~reject_conflict & ~by_person & ~name_differs)
    rec_names = ad.building_names(pd.Series(text.to_numpy()[open_rows]))
    cand_keys = ad.street_keys(cand_text.iloc[open_rows]).to_numpy()
    for i, name, key, cand in zip(open_rows, rec_names, cand_keys, cand_text.iloc[open_rows], strict=True):
        other = names_on.get((key, name)) if name is not None else None
        if other is None and (key, name) in streets.buildings_on:
            other = ref["text"].iloc[streets.buildings_on[(key, name)]]
        if other is not None and f" {name} " not in f" {cand} ":
            name_differs[i] = True
            reason[i] = (f"name differs: the record names {name}, which the gazetteer gives to {other}; the "
                         "best candidate does not have it (number or name wrong; see candidate_uprn)")
    # a record naming, without a house number, a building the gazetteer lists by that name on the
    # candidate's street, and a candidate with a number and no name ('FLAT 30, WHARFSIDE,
    # YELLOWHAMMER MEWS' found 'FLAT 30, 4 YELLOWHAMMER MEWS'; WHARFSIDE's flats end at 29): the
    # candidate is another building
    open_rows = np.flatnonzero(has_cand & ~reject_conflict & ~by_person & ~name_differs)
    listed = ad.names_a_listed_building(pd.Series(text.to_numpy()[open_rows]), cand_text.iloc[open_rows],
                                        streets.buildings_on)
    for i, name in zip(open_rows[pd.notna(listed)], listed[pd.notna(listed)], strict=True):
        name_differs[i] = True
        reason[i] = (f"name differs: the record names {name}, a building the gazetteer lists on this street; "
                     "the best candidate is another building (a flat or house it may lack; see candidate_uprn)")
    reject_conflict = reject_conflict | name_differs
    # the record leaves part of the street's name out, its postcode does not settle the street,
    # and another street fits it as well ('31 WESTBOURNE': LANE or DRIVE, both with a 31): the
    # matcher's choice is a guess
    pc_settles = np.array([isinstance(a, str) and a == b for a, b in zip(rec_pc, cand_pc, strict=True)], dtype=bool)
    # one street name in two towns or localities ('52 FAIRFAX GARDENS, LINDWORTH' found 52 in the
    # FAIRFAX GARDENS of CASTLEBRIDGE): the record names the place of the other, and no postcode
    # settles it
    street_places = {(name, word) for name, words in zip(gazetteer_street_names, ref_places, strict=True)
                     for word in words}
    rec_places = ad.place_words(ad.street_keys(pd.Series(text.to_numpy())), pd.Series(rec_street))
    cand_places = ad.place_words(ad.street_keys(cand_text), pd.Series(cand_street_name))
    place_disagrees = has_cand & ~reject_conflict & ~by_person & ~pc_settles & np.array(
        [b is not None and any((b, w) in street_places for w in r - c)
         for b, r, c in zip(cand_street_name, rec_places, cand_places, strict=True)], dtype=bool)
    reason[place_disagrees] = [
        f"place disagrees: the record names {b} in {' '.join(sorted(r - c))}; the best candidate is the {b} "
        f"in {' '.join(sorted(c)) or 'another place'}"
        for b, r, c in zip(cand_street_name[place_disagrees], np.array(rec_places, dtype=object)[place_disagrees],
                           np.array(cand_places, dtype=object)[place_disagrees], strict=True)]
    # ... and where those names cannot read the street (one named without a type, NORTHGATE; a
    # house known by its name): the one street the record names by its name and places, read as
    # the street level reads it, is another town's than the candidate's ('49 NORTHGATE, MARCHFORD'
    # found 49 NORTHGATE, TILFORD; Marchford's NORTHGATE ends at 45: a house the gazetteer lacks)
    open_rows = np.flatnonzero(has_cand & ~reject_conflict & ~by_person & ~pc_settles & ~place_disagrees
                               & np.isin(method, ["probabilistic", "trigram"]))
    if open_rows.size:
        named_key = streets.find_all(text.to_numpy()[open_rows], rec_pc[open_rows])[0]
        cand_key = streets.keys_of_rows(cand_row[open_rows])
        elsewhere = pd.notna(named_key) & pd.notna(cand_key) & (named_key != cand_key)
        place_disagrees[open_rows[elsewhere]] = True
        reason[open_rows[elsewhere]] = [
            f"place disagrees: the record names {streets.label(a)}; the best candidate is on {streets.label(b)}"
            for a, b in zip(named_key[elsewhere], cand_key[elsewhere], strict=True)]
    reject_conflict = reject_conflict | place_disagrees
    fuzzy = np.flatnonzero(np.isin(method, ["probabilistic", "trigram"]) & has_cand & ~reject_conflict & ~by_person
                           & ~pc_settles)
    street_open = np.zeros(n, dtype=bool)
    street_open[fuzzy] = ad.street_left_open(pd.Series(text.to_numpy()[fuzzy]), cand_text.iloc[fuzzy],
                                             ref["text"].iloc[ref_positions])
    reason[street_open] = ("street unclear: part of the street's name is missing and another street of the "
                           "gazetteer fits the record too (see candidate_uprn)")
    reject_conflict = reject_conflict | street_open
    # the flat above a shop, written without its number ('FLAT ABOVE, 19 FRIARGATE'): the one
    # dwelling unit of the building where the gazetteer lists one; the building where it lists
    # several (the flat is missing: match_level parent) or none; but with no unit and a lettered
    # neighbour ('19A', often the flat above) which is meant is for a person
    above = np.flatnonzero(has_cand & ~reject_conflict & ~by_person & ~rec_has_flat
                           & ad.names_a_flat_above(pd.Series(text.to_numpy())))
    if above.size:
        dwelling = ref_class.str.startswith("R").to_numpy() if ref_class_field else (ref_flats.map(len) > 0).to_numpy()
        dwellings_of = hierarchy.units_by_building(parent_row, dwelling & usable.to_numpy())
        rows_at: dict = {}  # (street, house number) -> usable rows
        for row in np.flatnonzero(usable.to_numpy()):
            for house in ref_houses.iloc[row]:
                rows_at.setdefault((ref_street_keys.iloc[row], house), []).append(row)
        for i in above:
            found = dwellings_of.get(int(cand_row[i]), [])
            street = ref_street_keys.iloc[cand_row[i]]
            lettered = {f"{h}{letter}" for h in ref_houses.iloc[cand_row[i]] if h.isdigit() for letter in "ABC"}
            lettered = {h for h in lettered if (street, h) in rows_at}
            # ... a shop (the class says so) with one lettered dwelling beside it: that is its flat
            beside = [r for h in lettered for r in rows_at[(street, h)] if dwelling[r]]
            if not found and ref_class.iloc[cand_row[i]].startswith("C") and len(lettered) == 1 \
                    and len({ref["key"].iloc[r] for r in beside}) == 1:
                found = beside[:1]
            if len({ref["key"].iloc[u] for u in found}) == 1:
                cand_row[i] = found[0]
                if ref_row[i] >= 0:
                    ref_row[i] = found[0]
            elif not found and lettered:
                reason[i] = ("flat above: the record names the flat above the building without its number, and "
                             f"the gazetteer lists {', '.join(sorted(lettered))} beside it, which may be that flat "
                             "(candidate_uprn is the building)")
                reject_conflict[i] = True
    reject_below = below & ~reject_conflict
    reason[reject_below] = [f"best candidate's match weight {w:.1f} is below the threshold {threshold:g}"
                            for w in weight[reject_below]]
    accepted = (method != "") & ~reject_conflict & ~reject_below
    ref_row[accepted & (ref_row < 0)] = cand_row[accepted & (ref_row < 0)]
    method[~accepted] = ""
    ambiguous = (accepted | tie) & (gap < ambiguity_margin)
    is_building = accepted & ~rec_has_flat & hierarchy.is_building(ref_row, parent_row, ref_class.to_numpy())
    # a record naming a flat the gazetteer lacks, whose building it does list ('FLAT 1, 31 X
    # ROAD' where 31 is one dwelling): say so, with the building as the candidate
    look = np.flatnonzero(~accepted & rec_has_flat & ~other_thing & ~flat_conflict & ~pc_disagrees
                          & ~rejected_in_review)
    if look.size:
        building_text = pd.Series(text.to_numpy()[look]).str.replace(ad.FLAT_KEY, " ", regex=True)
        ref_keys = gazetteer_keys()
        det = deterministic_match(building_text.str.strip().to_numpy(), pc.to_numpy()[look], ref_keys)
        hit = det >= 0
        # ... and only when no address of that building (same numbers and street) has the flat
        flats_at = {(h, st, f) for fs, h, st in zip(ref_flats, ref_houses, ref_street_keys, strict=False) for f in fs}
        building = ref_positions[det[hit]]
        flat_there = np.array([any((ref_houses.iloc[b], ref_street_keys.iloc[b], f) in flats_at for f in fs)
                               for b, fs in zip(building, rec_flat.to_numpy()[look[hit]], strict=False)], dtype=bool)
        hit[np.flatnonzero(hit)[flat_there]] = False
        found = look[hit]
        cand_row[found] = parent_row[ref_positions[det[hit]]]
        reason[found] = [f"flat not in building: flat {', '.join(sorted(f))} not in the gazetteer at this "
                         "address (candidate_uprn is the building)" for f in rec_flat.to_numpy()[found]]
        weight[found] = np.nan
        has_cand = cand_row >= 0
    # 'SHOP, 12 HIGH STREET' where the gazetteer lists the shop by its floor ('GROUND FLOOR, 12
    # HIGH STREET'): the building's one commercial unit, or its one retail unit, where it lists
    # exactly one; and 'GRD FLR, 12 HIGH STREET' (a rating list's) where it lists that shop as
    # SHOP, and its other units are all on upper floors, or the FLAT ABOVE (a FLAT A might be the
    # ground floor's)
    shop = np.flatnonzero(~accepted & has_cand & np.array([f in ({"SHOP"}, {"GF"}) for f in rec_flat], dtype=bool)
                          & pd.Series(reason).str.startswith("flat not in building").to_numpy())
    if shop.size and ref_class_field:
        commercial = ref_class.str.startswith("C").to_numpy() & usable.to_numpy()
        shops_of = hierarchy.units_by_building(parent_row, commercial)
        # (a SHOP is the building's one retail unit (class CR) where it has offices or a workshop
        # too: CR08 GROUND FLOOR beside CO01 FIRST FLOOR)
        retail_of = hierarchy.units_by_building(parent_row, ref_class.str.startswith("CR").to_numpy()
                                                & usable.to_numpy())

        def one_unit(units: list) -> bool:
            return len({ref["key"].iloc[u] for u in units}) == 1

        def shops_in(i: int) -> list:
            retail = retail_of.get(int(cand_row[i]), [])
            return retail if rec_flat.iloc[i] == {"SHOP"} and one_unit(retail) else shops_of.get(int(cand_row[i]), [])
        upper_of = hierarchy.units_by_building(parent_row, ~commercial & usable.to_numpy())
        # (the FLAT ABOVE read of the units of the buildings asked about only, not every row)
        asked = sorted({u for i in shop if rec_flat.iloc[i] == {"GF"} for u in upper_of.get(int(cand_row[i]), [])})
        flat_above = dict(zip(asked, ad.names_a_flat_above(ref["text"].iloc[asked]), strict=True))

        def upstairs(u: int) -> bool:
            return bool(ref_flats.iloc[u]) and ref_flats.iloc[u] <= ad.UPPER_FLOORS or bool(flat_above[u])
        one = [i for i in shop if one_unit(shops_in(i))
               and (rec_flat.iloc[i] == {"SHOP"} or all(upstairs(u) for u in upper_of.get(int(cand_row[i]), [])))]
        for i in one:
            ref_row[i] = cand_row[i] = shops_in(i)[0]
        accepted[one], method[one], reason[one] = True, "exact", ""

    # a house number the street does not have, a slip away from one address that fits every other
    # word of the record ('74 FORE STREET, EB14 8BE' where FORE STREET has no 74 and that postcode
    # holds 72 and no other slip of 74): typed wrong, and that address is meant. Not past the
    # street's last number (a new house at its end), never a lettered number (an infill 31A)
    slipped = np.flatnonzero(~accepted & ~by_person & ~rejected_in_review & ~empty & ~other_thing
                             & pd.Series(reason).str.startswith(("number not in street", "no candidate")).to_numpy())
    if slipped.size:
        ref_keys = gazetteer_keys()
        # (with a postcode, only the slips that postcode holds are read: a few, not thirty)
        numbers_at: dict = {}
        for code, houses in zip(ref["postcode"], ref_houses, strict=True):
            if isinstance(code, str):
                numbers_at.setdefault(code, set()).update(houses)
        record_pc = pc.to_numpy()
        written_of = {i: number for i in slipped if (number := ad.plain_house_number(text.iloc[i])) is not None}
        slip_readings = [(i, reading, slip) for i in written_of
                         for reading, slip in ad.house_number_slip_readings(text.iloc[i])
                         if not isinstance(record_pc[i], str) or slip in numbers_at.get(record_pc[i], ())]
        if slip_readings:
            rows_of, texts, _ = (np.array(col, dtype=object) for col in zip(*slip_readings, strict=True))
            slip_pc = pc.to_numpy()[rows_of.astype(np.int64)]
            # (read without a county, as the readings of the sub-unit are: 'APARTMENT 13, HERON
            # COURT, 488, EGREMONT WAY, KINGSMERE, SOUTH MERCIA, WESTSHIRE')
            det = deterministic_match(without_county(texts, places_only=True), slip_pc, ref_keys)
            # a record with a postcode reads its slips in that postcode only (the rare-word key the
            # exact step falls back to would find a slip on every stretch of the street)
            found_pc = ref["postcode"].to_numpy()[ref_positions[np.maximum(det, 0)]]
            det[np.array([isinstance(a, str) and a != b for a, b in zip(slip_pc, found_pc, strict=True)],
                         dtype=bool)] = -1
            numbers_on: dict = {}  # street -> its house numbers (digits), whatever the postcode
            postcodes_of: dict = {}  # (street, number) -> the postcodes it has
            for (code, street), numbers in houses_at.items():
                numbers_on.setdefault(street, set()).update(int(d) for d in numbers if d)
                for d in numbers:
                    if d:
                        postcodes_of.setdefault((street, int(d)), set()).add(code)

            def end_postcodes(street, written: int) -> set:
                """Postcodes of the street's last number, and its last on the written number's side."""
                numbers = numbers_on.get(street, set())
                ends = {max(numbers, default=0), max((x for x in numbers if x % 2 == written % 2), default=0)}
                return set().union(*(postcodes_of.get((street, x), set()) for x in ends))
            found_by_row: dict = {}
            for i, position in zip(rows_of[det >= 0], det[det >= 0], strict=True):
                found_by_row.setdefault(int(i), set()).add(int(ref_positions[position]))
            for i, rows in found_by_row.items():
                if len({ref["key"].iloc[r] for r in rows}) != 1:
                    continue  # two addresses a slip away: which is meant is a guess
                row = next(iter(rows))
                written = int(written_of[i])
                street = ref_street_keys.iloc[row]
                on_street = numbers_on.get(street, set())
                # (past the street's last number only a flat the gazetteer has there: a new house
                # at the end of a street is likelier than a typo, a new block with that flat is not;
                # or two digits swapped, with a postcode of the street's middle, not its end: '73
                # INGRAM CRESCENT, LW7 2ES' where the crescent ends at 60 in LW7 2EX and LW7 2ES
                # holds 37. A new house at the end takes the end's postcode or a new one; and other
                # slips stay out: a postcode copied from a neighbour's record with a new number
                # finds 7 for 37 or 15 for 25 as readily)
                past_end = not on_street or written > max(on_street)
                swapped = any(sorted(h) == sorted(str(written)) for h in ref_houses.iloc[row])
                mid_street = (swapped and isinstance(record_pc[i], str)
                              and record_pc[i] not in end_postcodes(street, written))
                # (nor where the record names the house as well, by the name the gazetteer gives
                # it: 'GWELFOR, 400 HEOL Y GARTH' where GWELFOR is 40, the last)
                names_house = bool(set(text.iloc[i].split()) - set(street.split()) - gazetteer_places - {"FLAT"}
                                   - {w for w in text.iloc[i].split() if not w.isalpha()})
                if written in on_street or (past_end and not rec_has_flat[i] and not mid_street and not names_house):
                    continue
                ref_row[i] = cand_row[i] = row
                accepted[i], method[i], reason[i] = True, "number slip", ""
                weight[i] = gap[i] = np.nan  # (the matcher's, for the number written: not this address's)
                note[i] = (f"house number {written} is not on the street; read as "
                           f"{', '.join(sorted(ref_houses.iloc[row]))}, the one address a slip away that fits "
                           "the rest of the record")
                is_building[i] = not rec_has_flat[i] and hierarchy.is_building(
                    np.array([row]), parent_row, ref_class.to_numpy())[0]
        has_cand = cand_row >= 0

    # the street: of each matched record, its address's; of a record left unmatched that names a
    # street the gazetteer holds, unmistakably by its name, postcode and places, that street
    # (match_level 'street': infill 31A, a house or shop known by a name the gazetteer lacks,
    # land beside an address), for counts by street and a person's search
    street_key = np.full(n, None, dtype=object)
    street_usrn = np.full(n, None, dtype=object)
    placeable = np.flatnonzero(~accepted & ~empty & ~pd.Series(reason).str.startswith(
        ("street not in gazetteer", "street unclear")).to_numpy())
    street_key[placeable], street_usrn[placeable] = streets.find_all(text.to_numpy()[placeable],
                                                                     pc.to_numpy()[placeable])
    on_street = pd.notna(street_key)
    # (a shop or house known by a name the gazetteer lacks, with no number: the matcher found no
    # candidate, but the record is no stranger to the gazetteer; say what it lacks)
    # nor, with a house number the street lacks (an infill 31A on a street of few addresses),
    # a stranger: that number is not in the street
    nameless = np.flatnonzero(on_street & (reason == NO_CANDIDATE))
    flats_of, houses_of = ad.number_parts(pd.Series(text.to_numpy()[nameless]))
    no_flat = (flats_of.map(len) == 0).to_numpy()
    reason[nameless[no_flat & (houses_of.map(len) == 0).to_numpy()]] = REASON_NO_NUMBER_ON_STREET
    numbered = np.flatnonzero(no_flat & (houses_of.map(len) > 0).to_numpy())
    if numbered.size:
        def unpadded(houses) -> set:  # (01 is 1)
            return {h.lstrip("0") for h in houses}
        houses_on: dict = {}
        for key, houses in zip(ref_street_keys, ref_houses, strict=True):
            houses_on.setdefault(key, set()).update(unpadded(houses))
        for k in numbered:
            i = nameless[k]
            if not unpadded(houses_of.iloc[k]) & houses_on.get(street_key[i], set()):
                reason[i] = (f"number not in street: house number {', '.join(sorted(houses_of.iloc[k]))} is not on "
                             f"{streets.label(street_key[i])} (placed on the street)")
    # (a matched address: its row's USRN, and its street read as a record's would be)
    matched_rows = np.flatnonzero(accepted)
    row_of = ref_row[matched_rows]
    street_key[matched_rows] = streets.keys_of_rows(row_of)
    street_usrn[matched_rows] = ref_usrn.to_numpy()[row_of]

    # --- the output ---------------------------------------------------------------------
    ref_uprn = _whole_numbers_as_int(reference[ref_uprn_field].reset_index(drop=True))
    take = np.maximum(ref_row, 0)
    matched_uprn = ref_uprn.iloc[take].reset_index(drop=True)
    matched_uprn = matched_uprn.where(pd.Series(accepted), None)
    cand_uprn = ref_uprn.iloc[np.maximum(cand_row, 0)].reset_index(drop=True).where(pd.Series(has_cand), None)
    # the point of a matched UPRN is the point of its first reference row
    point_row = np.where(accepted, first_row.reindex(ref["key"].to_numpy()[take]).to_numpy(), -1)
    point_row = np.where(np.isnan(point_row.astype(float)), take, point_row).astype(np.int64)
    out["matched_uprn"] = matched_uprn.array
    out["match_status"] = np.where(accepted, "matched", "unmatched")
    out["match_method"] = method
    out["match_level"] = np.where(accepted, np.where(is_building, "parent", "uprn"),
                                  np.where(on_street, "street", "none"))
    out["matched_street"] = [streets.label(k) if isinstance(k, str) else None for k in street_key]
    out["matched_usrn"] = pd.Series(street_usrn, index=out.index, dtype=ref_usrn.dtype)
    out["match_weight"] = np.where(accepted | has_cand, weight, np.nan)
    with np.errstate(over="ignore"):
        prob = 1.0 / (1.0 + np.power(2.0, -weight))
    prob = np.where(np.isin(method, ["review", "uprn", "exact", "trigram"]), 1.0, prob)
    out["match_probability"] = np.round(prob, 6)
    out["weight_gap"] = gap
    out["ambiguous"] = ambiguous
    out["candidate_uprn"] = cand_uprn.array
    out["matched_address"] = np.where(accepted, ref_text_raw.to_numpy()[take], None)
    out["unmatched_reason"] = np.where(accepted, "", reason)
    out["note"] = note
    geometry = reference.geometry.to_numpy()[np.maximum(point_row, 0)] if hasattr(reference, "geometry") \
        else np.full(n, None, dtype=object)
    geometry = np.where(accepted, geometry, None)
    geometry, report.reference_not_points = _as_points(geometry)
    crs = getattr(reference, "crs", None)
    result = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geometry, index=out.index, crs=crs), crs=crs)

    report.matched = int(accepted.sum())
    report.by_method = {m: int((method == m).sum())
                        for m in ("review", "uprn", "exact", "trigram", "probabilistic", "number slip")}
    # the review band: open questions a person can settle
    uncertain = (~accepted & has_cand & pd.Series(reason).str.startswith(rv.UNCERTAIN_REASONS).to_numpy()) \
        | (accepted & ambiguous & (method == "probabilistic"))
    band = np.flatnonzero(uncertain)
    cand_pc_band = ref["postcode"].to_numpy()[cand_row[band]]
    agrees, differs = rv.comparison(text.to_numpy()[band], pc.to_numpy()[band],
                                    ref["text"].to_numpy()[cand_row[band]], cand_pc_band)
    report.review = pd.DataFrame({
        "record_key": record_key[band], "gazetteer_version": version, "SOURCE_ROW": band.astype(np.int64),
        "address": raw_text.to_numpy()[band], "postcode": pc.to_numpy()[band],
        "status": np.where(accepted[band], "matched", "unmatched"), "reason": reason[band],
        "candidate_uprn": cand_uprn.to_numpy()[band], "candidate_address": ref_text_raw.to_numpy()[cand_row[band]],
        "match_weight": weight[band], "weight_gap": gap[band], "agrees": agrees, "differs": differs,
        "decision": "", "decision_uprn": pd.array([None] * len(band), dtype="Int64")})
    report.review_geometry = _as_points(reference.geometry.to_numpy()[cand_row[band]])[0] \
        if hasattr(reference, "geometry") else np.full(len(band), None, dtype=object)
    report.gazetteer_version = version
    report.by_level = {lv: int((out["match_level"] == lv).sum()) for lv in ("uprn", "parent", "street")}
    reasons = pd.Series(out["unmatched_reason"][~accepted]).str.replace(r"-?\d+(\.\d+)?", "#", regex=True)
    reasons = reasons.str.replace(r"(house number|flat) [#A-Z, ]*(?= and| not)", r"\1", regex=True)
    reasons = reasons.str.replace(
        r"^(number not in street|flat not in building|street not in gazetteer|postcode disagrees|street disagrees"
        r"|street unclear|name differs|place disagrees|flat above|no house number):.*",
        r"\1", regex=True)
    report.unmatched_by_reason = reasons.value_counts().to_dict()
    report.ambiguous = int(ambiguous.sum())
    fb.set_progress(1.0)
    return result, report


# Unmatched because the matcher found no address sharing the record's postcode or words.
NO_CANDIDATE = "no candidate with this postcode or these address words"
# Unmatched, placed on its street (match_level 'street'), and naming no house number.
REASON_NO_NUMBER_ON_STREET = ("no house number: the record names its street but no number, and no building "
                              "the gazetteer lists there (placed on the street)")
# Unmatched because the record describes something beside an address (land, a garage, a plot).
REASON_NOT_THE_ADDRESS = ("land, garage or plot described by a nearby address, not the address "
                          "itself (not in the gazetteer)")
def _as_points(geometry: np.ndarray):
    """Matched geometries as points: a gazetteer of property polygons (or lines, or multipoints)
    gives a point inside each property (shapely's point on surface). Returns (points, how many
    were not points)."""
    import shapely

    geometry = np.asarray(geometry, dtype=object)
    present = np.array([g is not None for g in geometry], dtype=bool)
    if not present.any():
        return geometry, 0
    kinds = shapely.get_type_id(geometry[present])
    other = kinds != 0  # 0: Point
    if other.any():
        fixed = geometry[present]
        fixed[other] = shapely.point_on_surface(fixed[other])
        geometry = geometry.copy()
        geometry[present] = fixed
    return geometry, int(other.sum())
