"""Deterministic matching on normalised keys for :func:`engine.linkage.link_addresses`: postcode,
flat and house numbers pointing at exactly one gazetteer address that holds every word of the
record (without a usable postcode, the numbers and the record's rarest word). Split from
``linkage.py`` (one concern per module)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import addresses as ad


def _parts(text: np.ndarray) -> pd.DataFrame:
    """Flat key, house key and word set of normalised address texts."""
    series = pd.Series(text, dtype=object)
    flats, houses = ad.number_parts(series)
    words = series.astype("string").fillna("").str.findall(r"\b[A-Z][A-Z']+\b")
    words = words.map(lambda ws: frozenset(w for w in ws if w != "FLAT") if isinstance(ws, list) else frozenset())
    return pd.DataFrame({"flat": flats.map(lambda f: " ".join(sorted(f))),
                         "house": houses.map(lambda h: " ".join(sorted(h))), "words": words})


def _unique_subset_match(rec: pd.DataFrame, ref: pd.DataFrame, keys: list,
                         no_more_than: set | None = None) -> pd.Series:
    """Per record row (index of ``rec``), the ``ref`` row (index) that is the only candidate
    sharing ``keys`` whose words include all the record's words (and, with ``no_more_than``, no
    other words but those); -1 when none or several."""
    pairs = rec.reset_index(names="r").merge(ref.reset_index(names="c"), on=keys, suffixes=("", "_c"))
    if pairs.empty:
        return pd.Series(-1, index=rec.index)
    if no_more_than is None:
        ok = np.fromiter((a <= b for a, b in zip(pairs["words"], pairs["words_c"], strict=False)), bool, len(pairs))
    else:
        ok = np.fromiter((a <= b and b - a <= no_more_than for a, b in zip(pairs["words"], pairs["words_c"],
                                                                             strict=False)), bool, len(pairs))
    pairs = pairs.loc[ok, ["r", "c", "key"]].drop_duplicates(subset=["r", "key"])  # one row per UPRN
    counts = pairs.groupby("r")["c"].transform("size")
    unique = pairs[counts == 1].set_index("r")["c"]
    return unique.reindex(rec.index).fillna(-1).astype(np.int64)


class ReferenceKeys:
    """The gazetteer's normalised keys for the deterministic step, computed once per run and
    used by every pass (first reading, other sub-unit readings, the building of a flat)."""

    def __init__(self, ref_text, ref_pc, ref_key=None):
        self.parts = _parts(ref_text)
        self.parts["key"] = np.arange(len(self.parts)) if ref_key is None else ref_key
        self.parts["pc"] = pd.Series(ref_pc, dtype=object).fillna("").to_numpy()
        self.with_pc = self.parts[self.parts["pc"] != ""]
        self._by_word = None
        self._freq = None

    def flats_of_unnumbered_blocks(self) -> pd.DataFrame:
        """The rows with a flat and no house number (a named block's flats, a shopping centre's
        units)."""
        return self.parts[(self.parts["house"] == "") & (self.parts["flat"] != "")]

    def by_word(self):
        """(word frequencies, one row per numbered address and word), built on first use."""
        if self._by_word is None:
            ref = self.parts
            self._freq = ref["words"].explode().value_counts().to_dict()
            exploded = ref[ref["house"] != ""].explode("words")
            exploded = exploded.assign(word=exploded["words"])[["flat", "house", "word", "key"]]
            exploded["words"] = ref.loc[exploded.index, "words"]
            self._by_word = exploded
        return self._freq, self._by_word


def deterministic_match(rec_text, rec_pc, ref: ReferenceKeys, house_optional: bool = False) -> np.ndarray:
    """Reference position for each record matched by a normalised key, else -1 (see step 2).
    Candidates are counted per UPRN (the reference's key): two rows of one UPRN are one candidate.
    ``house_optional``: a record with a flat but no house number may match an address that has
    one (a block's flat written without the block's street number), on its postcode or, without
    one, on its rarest word."""
    rec = _parts(rec_text)
    rec["pc"] = pd.Series(rec_pc, dtype=object).fillna("").to_numpy()
    out = np.full(len(rec), -1, dtype=np.int64)
    usable = rec["words"].map(len).to_numpy() > 0
    with_pc = usable & (rec["pc"].to_numpy() != "")
    if with_pc.any():
        found = _unique_subset_match(rec[with_pc], ref.with_pc, ["pc", "flat", "house"])
        out[np.flatnonzero(with_pc)] = found.to_numpy()
    if house_optional:
        open_house = with_pc & (out < 0) & (rec["house"].to_numpy() == "") & (rec["flat"].to_numpy() != "")
        if open_house.any():
            found = _unique_subset_match(rec[open_house], ref.with_pc, ["pc", "flat"])
            out[np.flatnonzero(open_house)] = found.to_numpy()
    rest = usable & (out < 0) & (rec["house"].to_numpy() != "")
    # block on the numbers and the record's rarest word
    _match_on_rarest_word(rec, rest, ref, ["flat", "house"], out)
    # a flat of a block the gazetteer numbers no house of ('UNIT 12, THE BROADWAY SHOPPING CENTRE,
    # HARBERTON ROAD', no postcode): the one such flat whose address has every word of the
    # record and no other but THE (the block named in full: FLAT 11 HADLEY STREET is no flat of
    # HADLEY HOUSE, HADLEY STREET)
    flat_only = usable & (out < 0) & (rec["house"].to_numpy() == "") & (rec["flat"].to_numpy() != "")
    if flat_only.any():
        found = _unique_subset_match(rec[flat_only], ref.flats_of_unnumbered_blocks(), ["flat", "house"],
                                     no_more_than={"THE"})
        out[np.flatnonzero(flat_only)] = found.to_numpy()
    if house_optional:
        # ... and without a postcode, a flat with no house number on the flat and that word
        open_house = usable & (out < 0) & (rec["pc"].to_numpy() == "") & (rec["house"].to_numpy() == "") \
            & (rec["flat"].to_numpy() != "")
        _match_on_rarest_word(rec, open_house, ref, ["flat"], out)
    return out


def _match_on_rarest_word(rec: pd.DataFrame, mask: np.ndarray, ref: ReferenceKeys, numbers: list,
                          out: np.ndarray) -> None:
    """Into ``out``, for the records where ``mask`` holds, the one reference address with the same
    ``numbers`` (flat, house) and the record's rarest word, holding all its words."""
    if not mask.any():
        return
    freq, exploded = ref.by_word()
    sub = rec[mask].copy()
    sub["word"] = [min(ws, key=lambda w: (freq.get(w, 0), w)) for ws in sub["words"]]
    out[np.flatnonzero(mask)] = _unique_subset_match(sub, exploded, [*numbers, "word"]).to_numpy()
