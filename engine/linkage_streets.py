"""The street a record names, for :func:`engine.linkage.link_addresses`' ``match_level``
'street': a record whose property the gazetteer lacks (or cannot tell) but whose street it
holds, unmistakably, is placed on that street (``matched_street``, and ``matched_usrn`` when the
gazetteer has a USRN field). Split from ``linkage.py`` (one concern per module).

A street here is what the gazetteer's numbered addresses write after their last house number:
its name ('HIGH STREET', 'FRIARGATE', 'THE SHAMBLES') and the places after it (locality,
town). A record names one when that name is a run of its words; which street of that name is
meant is settled by the record's postcode (the street's rows holding it), else by the places it
writes; a name left with two streets (or two USRNs) is no answer.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import addresses as ad

# A street's name is seldom longer than this many words ('SIR JOHN MOORE GARDENS').
_LONGEST_NAME = 6


class StreetIndex:
    """The gazetteer's streets: each name, and per street of that name its key (name and
    places), postcodes and USRNs.

    Args:
        street_keys: per gazetteer row, the words after its last house number (``ad.street_keys``).
        street_names: per row, the name :func:`ad.street_names` reads (None without a street type).
        numbered: per row, whether it has a house number (only those say where a street's name ends).
        postcodes: per row, the formatted postcode or None.
        usrns: per row, the USRN, or null (null in every row: no USRN field).
    """

    def __init__(self, street_keys: pd.Series, street_names: pd.Series, numbered: np.ndarray,
                 postcodes: pd.Series, usrns: pd.Series):
        rows = pd.DataFrame({"key": street_keys.to_numpy(), "name": street_names.to_numpy(),
                             "pc": postcodes.to_numpy(), "usrn": usrns.to_numpy()})[numbered]
        rows = rows[rows["key"].map(lambda k: isinstance(k, str) and k != "")]
        # a key without a street type ('FRIARGATE MARCHFORD'): its name is what precedes the places
        # (locality and town, as the typed streets' keys end: 'FENNY BRIDGE MARCHFORD') it ends in
        typed = rows["name"].notna()
        self._places = {key[len(name):].strip() for key, name in zip(rows.loc[typed, "key"], rows.loc[typed, "name"],
                                                                     strict=True) if key.startswith(name)} - {""}
        untyped = ~typed
        names_of = {k: self._name_before_places(k) for k in rows.loc[untyped, "key"].unique()}
        rows.loc[untyped, "name"] = rows.loc[untyped, "key"].map(names_of)
        rows = rows[np.array([isinstance(name, str) and key.startswith(name)
                              for key, name in zip(rows["key"], rows["name"], strict=True)], dtype=bool)]
        rows = rows.drop_duplicates(["key", "name", "pc", "usrn"])
        self.name_of_key = dict(zip(rows["key"], rows["name"], strict=True))
        self.streets_named: dict = {}
        for key, name, code, usrn in zip(rows["key"], rows["name"], rows["pc"], rows["usrn"], strict=True):
            self.streets_named.setdefault(name, []).append((key, code if isinstance(code, str) else None,
                                                            usrn if pd.notna(usrn) else None))
        self._typed_names = {n for n in self.streets_named if n.split()[-1] in ad.STREET_TYPE_WORDS}

    def _name_before_places(self, key: str) -> str | None:
        words = key.split()
        if key in self._places:
            return None  # nothing but a place ('12 MARCHFORD', '3 FENNY BRIDGE'): no street
        for start in range(1, len(words)):  # the longest place it ends in
            if " ".join(words[start:]) in self._places:
                return " ".join(words[:start])
        return key

    def label(self, key: str) -> str:
        """'HIGH STREET, LINDWORTH' for the key 'HIGH STREET LINDWORTH'."""
        name = self.name_of_key.get(key, key)
        rest = key[len(name):].strip()
        return f"{name}, {rest}" if rest else name

    def find_all(self, texts, postcodes) -> tuple:
        """The one street of the gazetteer each record's normalised text names, with its postcode
        (or None): two arrays, the street's key and its USRN (None where the gazetteer has none);
        both None where the record names no street of the gazetteer, or a name two streets share
        and neither postcode nor place settles. A street named with a type ('HIGH STREET') must
        be the gazetteer's, or a slip of one letter from one (``ad.streets_meant``): 'OLD HIGH
        STREET' is a street the gazetteer lacks, not HIGH STREET."""
        texts = pd.Series(list(texts), dtype=object).fillna("")
        typed_names = self._typed_names
        numbered = ad.has_house_number(texts)
        # (after a house number the street's whole name: '12 OLD HIGH STREET' is no HIGH STREET;
        # without one, the last name the gazetteer knows: 'ROSE COTTAGE, CUCKOO LANE')
        typed = np.where(numbered, ad.street_names(texts).to_numpy(), ad.known_street_names(texts, typed_names))
        meant = ad.streets_meant(typed, typed_names)
        keys = ad.street_keys(texts).to_numpy()
        out_key = np.full(len(texts), None, dtype=object)
        out_usrn = np.full(len(texts), None, dtype=object)
        for i, (text, code) in enumerate(zip(texts, postcodes, strict=True)):
            words = (keys[i] if numbered[i] else text).split()
            if typed[i] is not None:
                if meant[i] is None or len(meant[i]) != 1:
                    continue
                name = next(iter(meant[i]))
                written = typed[i].split()
                ends = [e for e in range(len(written), len(words) + 1) if words[e - len(written):e] == written]
                tail = set(words[ends[-1]:]) if ends else set()
            else:
                name, tail = self._last_name_in(words)
                if name is None:
                    continue
            out_key[i], out_usrn[i] = self._one_street(name, tail, code)
        return out_key, out_usrn

    def _last_name_in(self, words: list) -> tuple:
        """The gazetteer street name ending last among ``words`` (a street follows a building's
        name), the longest ending there, and the set of words after it."""
        for end in range(len(words), 0, -1):
            for start in range(max(0, end - _LONGEST_NAME), end):
                name = " ".join(words[start:end])
                if name in self.streets_named:
                    return name, set(words[end:])
        return None, set()

    def _one_street(self, name: str, tail: set, postcode) -> tuple:
        streets = self.streets_named.get(name, [])
        if isinstance(postcode, str) and any(code == postcode for _, code, _ in streets):
            streets = [s for s in streets if s[1] == postcode]
        elif tail:
            # (a place no street of that name is in: another street the gazetteer lacks, or one it
            # lists only named houses on, not one of these)
            streets = [s for s in streets if tail & set(s[0][len(name):].split())]
        keys = {key for key, _, _ in streets}
        usrns = {usrn for _, _, usrn in streets}
        if len(keys) != 1 or len(usrns) != 1:
            return None, None
        return next(iter(keys)), next(iter(usrns))
