"""The clerical review of address linkage: records in the uncertain band go to a review table
with their candidate and what agreed or differed; a reviewer writes accept / reject / other
(with a UPRN) in it, in QGIS's attribute table; the next run reads that table and applies the
decisions before any matching.

Decisions are keyed by the record (a code of its normalised address and postcode, so the same
record in next month's extract finds its decision wherever it sits in the table) and by the
gazetteer's version (a code of its UPRNs, addresses and postcodes): a decision taken against
another version of the gazetteer is not applied, and counted. No QGIS here.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from . import addresses as ad
from .errors import InputError

DECISION_FIELDS = ["record_key", "gazetteer_version", "candidate_uprn", "decision", "decision_uprn"]
DECISIONS = ("accept", "reject", "other")
# Unmatched reasons that leave the answer open (a person can settle them); 'number not in
# street', 'flat not in building' and land or garage records are answers, not doubts.
UNCERTAIN_REASONS = ("best candidate's match weight", "tie:", "postcode disagrees", "street disagrees",
                     "street unclear", "name differs", "place disagrees", "flat above")


def record_keys(normalised_text, postcodes) -> np.ndarray:
    """A 16-hex-digit code per record from its normalised address and postcode."""
    return np.array([hashlib.sha256(f"{t}|{p or ''}".encode()).hexdigest()[:16]
                     for t, p in zip(normalised_text, postcodes, strict=False)], dtype=object)


def gazetteer_version(keys, texts, postcodes) -> str:
    """A 16-hex-digit code of the gazetteer's UPRNs, addresses and postcodes (order ignored)."""
    frame = pd.DataFrame({"k": pd.Series(keys, dtype=object).astype(str),
                          "t": pd.Series(texts, dtype=object).astype(str),
                          "p": pd.Series(postcodes, dtype=object).astype(str)})
    hashed = np.sort(pd.util.hash_pandas_object(frame, index=False).to_numpy())
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]


def apply_decisions(decisions: pd.DataFrame | None, keys: np.ndarray, version: str, row_of_uprn):
    """The reviewer's decisions for these records.

    Args:
        decisions: the review table of an earlier run, edited (``DECISION_FIELDS``).
        keys: :func:`record_keys` of this run's records.
        version: this gazetteer's :func:`gazetteer_version`.
        row_of_uprn: callable, UPRN text -> reference row or -1.

    Returns ``(rows, rejected, counts)``: per record the reference row to link (-1: none),
    whether the reviewer rejected every candidate, and counts for the log.

    Raises:
        InputError: the table lacks the decision fields, or holds a decision that is not
            accept / reject / other.
    """
    n = len(keys)
    rows = np.full(n, -1, dtype=np.int64)
    rejected = np.zeros(n, dtype=bool)
    counts = {"applied": 0, "other_version": 0, "unknown_uprn": 0, "undecided": 0}
    if decisions is None or len(decisions) == 0:
        return rows, rejected, counts
    missing = [f for f in DECISION_FIELDS if f not in decisions.columns]
    if missing:
        raise InputError(f"The decisions table has no field {', '.join(missing)}: give the REVIEW "
                         "layer of an earlier run, with its decision column filled in.")
    table = decisions[DECISION_FIELDS].copy()
    table["decision"] = table["decision"].astype("string").str.strip().str.lower().fillna("")
    bad = sorted(set(table["decision"]) - set(DECISIONS) - {""})
    if bad:
        raise InputError(f"The decisions table holds {', '.join(map(repr, bad))}: write accept, reject "
                         "or other (with decision_uprn), or leave it empty.")
    counts["undecided"] = int((table["decision"] == "").sum())
    table = table[table["decision"] != ""]
    same = table["gazetteer_version"].astype("string") == version
    counts["other_version"] = int((~same).sum())
    table = table[same.to_numpy()].drop_duplicates("record_key", keep="last").set_index("record_key")
    position = pd.Series(np.arange(n), index=pd.Index(keys, dtype=object))
    for key, d in table.iterrows():
        if key not in position.index:
            continue
        where = position.loc[[key]].to_numpy()
        if d["decision"] == "reject":
            rejected[where] = True
            counts["applied"] += len(where)
            continue
        uprn = d["candidate_uprn"] if d["decision"] == "accept" else d["decision_uprn"]
        row = row_of_uprn(uprn)
        if row < 0:
            counts["unknown_uprn"] += len(where)
            continue
        rows[where] = row
        counts["applied"] += len(where)
    return rows, rejected, counts


def comparison(record_text, record_pc, candidate_text, candidate_pc):
    """(what agreed, what differed) between each record and its candidate, as short lists of
    field names: postcode, house number, flat, street words."""
    rec_flat, rec_house = ad.number_parts(pd.Series(list(record_text), dtype=object))
    cand_flat, cand_house = ad.number_parts(pd.Series(list(candidate_text), dtype=object))
    rec_street = ad.street_keys(pd.Series(list(record_text), dtype=object))
    cand_street = ad.street_keys(pd.Series(list(candidate_text), dtype=object))
    agrees, differs = [], []
    for i in range(len(rec_flat)):
        yes, no = [], []
        if record_pc[i] and candidate_pc[i]:
            (yes if record_pc[i] == candidate_pc[i] else no).append("postcode")
        (yes if rec_house.iloc[i] == cand_house.iloc[i] else no).append("house number")
        if rec_flat.iloc[i] or cand_flat.iloc[i]:
            (yes if rec_flat.iloc[i] == cand_flat.iloc[i] else no).append("flat")
        rw, cw = set(str(rec_street.iloc[i]).split()), set(str(cand_street.iloc[i]).split())
        if rw:
            (yes if rw <= cw else no).append("street words")
        agrees.append(", ".join(yes))
        differs.append(", ".join(no))
    return agrees, differs
