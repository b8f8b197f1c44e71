"""Address linkage in partitions of whole postcode districts, for gazetteers of millions
(issue 21, national linkage): one process's memory follows the largest partition, not the
whole gazetteer.

The gazetteer's postcode districts (outward codes, ``JU1``, read with the engine's own postcode
formatting) are packed, in sorted order, into partitions of at most ``max_addresses`` gazetteer
rows (a district larger than that is a partition of its own). Each record goes to one partition
and is linked there by :func:`engine.linkage.link_addresses` against that partition's gazetteer
rows only, one partition after another:

- a record carrying a UPRN the gazetteer has goes to that UPRN's partition (so it links on it,
  as in the run without partitions);
- else the partition of its postcode's district, the postcode read as the engine reads it for
  matching (the postcode field, letters typed for digits mended, else a postcode in the address
  text; where the two differ, the one the gazetteer has; where it has both or neither, none);
- else (no usable postcode, or a district the gazetteer does not have) the record is left
  unmatched with a reason saying so (``REASON_NO_POSTCODE``, ``REASON_DISTRICT_UNKNOWN``) and
  counted in the log. Without a postcode there is no partition to look in, and linking such a
  record against every partition in turn would take the best of many separate runs, each
  blind to the others' candidates: the precision the engine keeps by leaving an unclear record
  unmatched (a street and number that recur in several towns) would be lost.

What differs from one run over the whole gazetteer, by construction:

- the matcher's word frequencies are those of the partition, not of the whole gazetteer, so
  match weights differ a little;
- a candidate in another district is never seen: a record whose postcode names the wrong
  district is matched within that district (the run without partitions may find the right
  address elsewhere on its words, or see two and leave it);
- gazetteer rows without a postcode are in no partition (counted in the log);
- the review band's ``gazetteer_version`` is a code of the whole gazetteer's UPRNs, addresses and
  postcodes as given (not the normalised text), the same for every partition, so decisions taken
  on a partitioned run's review apply to the next partitioned run against the same gazetteer; a
  decision naming a UPRN of another partition than the record's is counted as a UPRN not in the
  gazetteer.

Every record is in the output once, in input order, with the same fields as the run without
partitions. No QGIS here.
"""
from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import addresses as ad
from . import linkage_review as rv
from .errors import InputError, as_feedback
from .linkage import (
    OUTPUT_FIELDS,
    LinkReport,
    _join_fields,
    _require_fields,
    _uprn_key,
    _whole_numbers,
    link_addresses,
)

DEFAULT_PARTITION_MAX_ADDRESSES = 250_000

REASON_NO_POSTCODE = "no postcode (partitioned run): no usable postcode to choose the partition to search"
REASON_DISTRICT_UNKNOWN = "postcode district not in the gazetteer (partitioned run)"
REASON_NO_USABLE_ROW = "no usable gazetteer address in this postcode district (partitioned run)"


def districts(postcodes: pd.Series) -> pd.Series:
    """The outward code ('JU1') of formatted postcodes ('JU1 2AB'); None where there is none."""
    text = postcodes.astype("string")
    return text.str.split(" ").str[0].astype(object).where(text.notna(), None)


def pack_districts(rows_per_district: pd.Series, max_addresses: int) -> dict:
    """District -> partition number: districts in sorted order, packed while the partition holds
    at most ``max_addresses`` rows; a district larger than that is a partition of its own."""
    partition_of: dict = {}
    current, size = 0, 0
    for district in sorted(rows_per_district.index):
        count = int(rows_per_district[district])
        if size and size + count > max_addresses:
            current, size = current + 1, 0
        partition_of[district] = current
        size += count
    return partition_of


def record_postcodes(records: pd.DataFrame, raw_text: pd.Series, postcode_field: str | None,
                     known_postcodes: set) -> pd.Series:
    """Each record's postcode as :func:`engine.linkage.link_addresses` reads it for matching,
    against the postcodes of the whole gazetteer (None: no usable postcode)."""
    n = len(records)
    pc_given = records[postcode_field] if postcode_field else pd.Series([None] * n, index=records.index)
    pc = ad.format_postcodes(pc_given, typed_digits=True)
    pc_text = ad.postcode_in_text(raw_text)
    two = (pc.notna() & pc_text.notna() & (pc != pc_text)).to_numpy()
    field_known, text_known = pc.isin(known_postcodes).to_numpy(), pc_text.isin(known_postcodes).to_numpy()
    guess = two & (field_known == text_known)
    take_text = (two & text_known & ~field_known) | pc.isna().to_numpy()
    return pc.where(~take_text, pc_text).where(~guess, None)


@dataclass
class PartitionReport(LinkReport):
    """A :class:`LinkReport` summed over the partitions, with what the partitioning did."""
    partitions: int = 0
    max_addresses: int = 0
    largest_partition: int = 0
    oversized_districts: list = field(default_factory=list)
    reference_no_postcode: int = 0
    records_no_postcode: int = 0
    records_district_unknown: int = 0
    records_no_usable_row: int = 0
    seconds_per_partition: list = field(default_factory=list)

    def describe(self) -> list:
        lines = [f"Partitioned run: {self.partitions} partitions of whole postcode districts, at most "
                 f"{self.max_addresses} gazetteer addresses each (largest {self.largest_partition}); each "
                 "record was searched for in its own partition only"]
        if self.oversized_districts:
            lines.append(f"  {len(self.oversized_districts)} districts hold more addresses than that and are "
                         f"partitions of their own, e.g. {', '.join(self.oversized_districts[:3])}")
        if self.reference_no_postcode:
            lines.append(f"  {self.reference_no_postcode} gazetteer rows have no postcode and are in no partition "
                         "(never a candidate in a partitioned run)")
        if self.records_no_postcode:
            lines.append(f"  {self.records_no_postcode} records have no usable postcode and were left unmatched "
                         "(run without partitions to match them on their words)")
        if self.records_district_unknown:
            lines.append(f"  {self.records_district_unknown} records have a postcode whose district the gazetteer "
                         "does not have and were left unmatched")
        if self.records_no_usable_row:
            lines.append(f"  {self.records_no_usable_row} records fell in a partition with no usable gazetteer "
                         "address and were left unmatched")
        return lines + super().describe()


def link_addresses_partitioned(records: pd.DataFrame, reference: pd.DataFrame, *, address_fields,
                               ref_uprn_field: str, ref_address_fields, postcode_field: str | None = None,
                               uprn_field: str | None = None, ref_postcode_field: str | None = None,
                               max_addresses: int = DEFAULT_PARTITION_MAX_ADDRESSES,
                               records_name: str = "records", reference_name: str = "reference",
                               decisions: pd.DataFrame | None = None, feedback=None, **options):
    """:func:`engine.linkage.link_addresses` in partitions of whole postcode districts (see the
    module docstring). ``options`` are passed on to it (``ref_parent_field``, ``ref_class_field``,
    ``threshold``, ``ambiguity_margin``, ``cache_dir``). ``cache_dir`` is not used: each
    partition's prepared gazetteer is made afresh and removed (a cache keeps four gazetteers,
    and a national run would push the user's own out of it).

    Returns ``(GeoDataFrame, PartitionReport)`` as :func:`link_addresses` does.

    Raises:
        InputError: a named field is missing, ``max_addresses`` is not positive, or the
            gazetteer has no postcode at all.
        EngineError, EngineCancelled: as :func:`link_addresses`.
    """
    import geopandas as gpd

    fb = as_feedback(feedback)
    started = time.perf_counter()
    options.pop("cache_dir", None)
    if max_addresses < 1:
        raise InputError(f"The partition size must be at least one gazetteer address (got {max_addresses}).")
    address_fields = [address_fields] if isinstance(address_fields, str) else list(address_fields)
    ref_address_fields = [ref_address_fields] if isinstance(ref_address_fields, str) else list(ref_address_fields)
    if not address_fields or not ref_address_fields:
        raise InputError("Choose at least one address field for the records and for the gazetteer.")
    _require_fields(records, address_fields + [f for f in (postcode_field, uprn_field) if f],
                    "address, postcode or UPRN field", records_name)
    _require_fields(reference, [ref_uprn_field] + ref_address_fields + ([ref_postcode_field] if ref_postcode_field
                                                                        else []),
                    "UPRN, address or postcode field", reference_name)
    n = len(records)

    # --- the gazetteer's districts -------------------------------------------------------
    ref_raw = _join_fields(reference, ref_address_fields)
    ref_pc = ad.format_postcodes(reference[ref_postcode_field]) if ref_postcode_field \
        else pd.Series([None] * len(reference), index=reference.index, dtype=object)
    missing = ref_pc.isna().to_numpy()
    if missing.any():
        ref_pc = ref_pc.copy()
        ref_pc[missing] = ad.postcode_in_text(ref_raw[missing]).to_numpy()
    ref_district = districts(ref_pc).to_numpy()
    has_district = pd.notna(ref_district)
    if not has_district.any():
        raise InputError(f"{reference_name}: no row has a postcode, so the gazetteer cannot be split by "
                         "postcode district; run without partitions.")
    ref_key = _uprn_key(reference[ref_uprn_field])
    version = rv.gazetteer_version(ref_key.to_numpy(), ref_raw.to_numpy(), ref_pc.to_numpy())
    rows_per_district = pd.Series(ref_district[has_district]).value_counts()
    partition_of = pack_districts(rows_per_district, max_addresses)
    ref_partition = np.array([partition_of.get(d, -1) if isinstance(d, str) else -1 for d in ref_district],
                             dtype=np.int64)
    n_parts = max(partition_of.values()) + 1
    sizes = np.bincount(ref_partition[ref_partition >= 0], minlength=n_parts)
    known_postcodes = set(ref_pc.dropna())
    del ref_raw
    fb.log(f"Gazetteer split into {n_parts} partitions of whole postcode districts "
           f"({len(rows_per_district)} districts; largest partition {int(sizes.max())} addresses) "
           f"in {time.perf_counter() - started:.1f} s")

    # --- each record's partition ---------------------------------------------------------
    raw_text = _join_fields(records, address_fields)
    rec_pc = record_postcodes(records, raw_text, postcode_field, known_postcodes)
    del known_postcodes
    rec_partition = np.array([partition_of.get(d, -2) if isinstance(d, str) else -1
                              for d in districts(rec_pc)], dtype=np.int64)
    if uprn_field:
        # a record holding a UPRN of the gazetteer goes where that UPRN is
        first = pd.Series(ref_partition, index=ref_key.to_numpy())
        first = first[first.index.notna() & (first.to_numpy() >= 0)]
        first = first[~first.index.duplicated()]
        by_uprn = _uprn_key(records[uprn_field]).map(first).to_numpy(dtype=float, na_value=np.nan)
        known = ~np.isnan(by_uprn)
        rec_partition[known] = by_uprn[known].astype(np.int64)
    no_postcode = rec_partition == -1
    district_unknown = rec_partition == -2
    report = PartitionReport(records=n, threshold=float(options.get("threshold", 5.0)), partitions=n_parts,
                             max_addresses=int(max_addresses), largest_partition=int(sizes.max()),
                             oversized_districts=sorted(rows_per_district[rows_per_district > max_addresses].index),
                             reference_no_postcode=int((~has_district).sum()),
                             records_no_postcode=int(no_postcode.sum()),
                             records_district_unknown=int(district_unknown.sum()),
                             reference_rows=len(reference), gazetteer_version=version)

    rv.apply_decisions(decisions, np.array([], dtype=object), version, lambda uprn: -1)  # a bad table fails now

    # --- one partition at a time ---------------------------------------------------------
    pieces, reviews, review_geometry = [], [], []
    no_usable = np.zeros(n, dtype=bool)
    order = np.argsort(rec_partition, kind="stable")
    bounds = np.searchsorted(rec_partition[order], np.arange(n_parts + 1))
    for part in range(n_parts):
        fb.check()
        positions = np.sort(order[bounds[part]:bounds[part + 1]])
        if positions.size == 0:
            continue
        t0 = time.perf_counter()
        sub = fb.sub(part / n_parts, (part + 1) / n_parts)
        sub.info = None  # the per-partition log is summed below, not repeated per partition
        ref_rows = np.flatnonzero(ref_partition == part)
        try:
            result, rep = link_addresses(records.iloc[positions], reference.iloc[ref_rows],
                                         address_fields=address_fields, ref_uprn_field=ref_uprn_field,
                                         ref_address_fields=ref_address_fields, postcode_field=postcode_field,
                                         uprn_field=uprn_field, ref_postcode_field=ref_postcode_field,
                                         records_name=records_name, reference_name=reference_name,
                                         cache_dir=None, decisions=decisions, gazetteer_version=version,
                                         feedback=sub, **options)
        except InputError:  # the decisions were checked above: this partition has no usable address
            no_usable[positions] = True
            continue
        result["SOURCE_ROW"] = positions
        result.index = positions
        pieces.append(result)
        _add(report, rep)
        if rep.review is not None and len(rep.review):
            review = rep.review.copy()
            review["SOURCE_ROW"] = positions[review["SOURCE_ROW"].to_numpy()]
            reviews.append(review)
            review_geometry.append(np.asarray(rep.review_geometry, dtype=object))
        report.seconds_per_partition.append(time.perf_counter() - t0)
        fb.log(f"Partition {part + 1} of {n_parts}: {positions.size} records against {ref_rows.size} addresses, "
               f"{rep.matched} matched, in {time.perf_counter() - t0:.1f} s")
        del result, rep
        gc.collect()
    report.records_no_usable_row = int(no_usable.sum())

    # --- the records left out, and the whole in input order ------------------------------
    left = np.flatnonzero(no_postcode | district_unknown | no_usable)
    reason = np.where(no_postcode[left], REASON_NO_POSTCODE,
                      np.where(district_unknown[left], REASON_DISTRICT_UNKNOWN, REASON_NO_USABLE_ROW))
    uprn_dtype = "Int64" if _whole_numbers(reference[ref_uprn_field]) else object
    usrn_field = options.get("ref_usrn_field")
    usrn_dtype = "Int64" if usrn_field and _whole_numbers(reference[usrn_field]) else object
    unmatched = pd.DataFrame({
        "SOURCE_ROW": left.astype(np.int64), "matched_uprn": pd.array([None] * left.size, dtype=uprn_dtype),
        "match_status": "unmatched", "match_method": "", "match_level": "none", "matched_street": None,
        "matched_usrn": pd.array([None] * left.size, dtype=usrn_dtype), "match_weight": np.nan,
        "match_probability": np.nan, "weight_gap": np.nan, "ambiguous": False,
        "candidate_uprn": pd.array([None] * left.size, dtype=uprn_dtype), "matched_address": None,
        "unmatched_reason": reason, "note": ""}, index=left)
    crs = getattr(reference, "crs", None)
    pieces.append(gpd.GeoDataFrame(unmatched, geometry=gpd.GeoSeries([None] * left.size, index=left, crs=crs),
                                   crs=crs))
    text_dtypes = {name: pieces[0][name].dtype for name in ("match_status", "match_method", "match_level",
                                                            "unmatched_reason", "note", "matched_address",
                                                            "matched_street")}
    whole = pd.concat([p.astype({"matched_uprn": uprn_dtype, "candidate_uprn": uprn_dtype,
                                 "matched_usrn": usrn_dtype}) for p in pieces])
    whole = whole.sort_index().astype(text_dtypes)  # the dtypes of the run without partitions
    whole["ambiguous"] = whole["ambiguous"].astype(bool)
    whole = gpd.GeoDataFrame(whole[OUTPUT_FIELDS], geometry=whole.geometry.to_numpy(), crs=crs)
    whole.index = records.index
    if whole["SOURCE_ROW"].tolist() != list(range(n)):  # every record once, in order
        raise AssertionError("partitioned linkage lost or repeated a record")

    report.records = n
    report.matched = int((whole["match_status"] == "matched").sum())
    report.by_level = {lv: int((whole["match_level"] == lv).sum()) for lv in ("uprn", "parent", "street")}
    report.ambiguous = int(whole["ambiguous"].sum())
    for why, count in ((REASON_NO_POSTCODE, report.records_no_postcode),
                       (REASON_DISTRICT_UNKNOWN, report.records_district_unknown),
                       (REASON_NO_USABLE_ROW, report.records_no_usable_row)):
        if count:
            report.unmatched_by_reason[why] = count
    report.unmatched_by_reason = dict(sorted(report.unmatched_by_reason.items(), key=lambda kv: -kv[1]))
    if reviews:
        report.review = pd.concat(reviews, ignore_index=True)
        keep = np.argsort(report.review["SOURCE_ROW"].to_numpy(), kind="stable")
        report.review = report.review.iloc[keep].reset_index(drop=True)
        report.review_geometry = np.concatenate(review_geometry)[keep]
    else:
        report.review = pd.DataFrame(columns=["record_key", "gazetteer_version", "SOURCE_ROW", "address", "postcode",
                                              "status", "reason", "candidate_uprn", "candidate_address",
                                              "match_weight", "weight_gap", "agrees", "differs", "decision",
                                              "decision_uprn"])
        report.review_geometry = np.full(0, None, dtype=object)
    fb.set_progress(1.0)
    fb.log(f"Partitioned linkage done in {time.perf_counter() - started:.1f} s")
    return whole, report


_SUMMED = ("reference_unusable", "duplicate_uprns", "duplicate_uprn_rows", "postcodes_not_uk",
           "uprns_not_in_reference", "reference_not_points", "reference_not_addresses", "postcodes_disagree",
           "postcodes_digits_read")


def _add(total: PartitionReport, part: LinkReport) -> None:
    """Add one partition's report to the total (counts summed, per-method and per-reason
    counts merged; the decision table's own counts, the same in every partition, taken once)."""
    for name in _SUMMED:
        setattr(total, name, getattr(total, name) + getattr(part, name))
    for mapping in ("by_method", "unmatched_by_reason"):
        merged = getattr(total, mapping)
        for k, v in getattr(part, mapping).items():
            merged[k] = merged.get(k, 0) + v
    if len(total.duplicate_examples) < 3:
        total.duplicate_examples.extend(part.duplicate_examples[:3 - len(total.duplicate_examples)])
    d = total.decisions or {"applied": 0, "other_version": 0, "unknown_uprn": 0, "undecided": 0}
    pd_ = part.decisions or {}
    d["applied"] = d.get("applied", 0) + pd_.get("applied", 0)
    d["unknown_uprn"] = d.get("unknown_uprn", 0) + pd_.get("unknown_uprn", 0)
    d["other_version"] = max(d.get("other_version", 0), pd_.get("other_version", 0))
    d["undecided"] = max(d.get("undecided", 0), pd_.get("undecided", 0))
    total.decisions = d
