"""The street a record names, for :func:`engine.linkage.link_addresses`' ``match_level``
'street': a record whose property the gazetteer lacks (or cannot tell) but whose street it
holds, unmistakably, is placed on that street (``matched_street``, and ``matched_usrn`` when the
gazetteer has a USRN field). Split from ``linkage.py`` (one concern per module).

A street here is what the gazetteer's numbered addresses write after their last house number:
its name ('HIGH STREET', 'FRIARGATE', 'THE SHAMBLES') and the places after it (locality,
town); and a street the gazetteer lists only named houses on ('PEAR TREE HOUSE, COOPERS CLOSE,
FENNY BRIDGE'), read from the parts of the address between its commas. A record names one
when that name is a run of its words; which street of that name is meant is settled by the
record's postcode (the street's rows holding it), else by the places it writes; a name left
with two streets (or two USRNs) is no answer.
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
        texts: per row, the normalised address.
        raw_texts: per row, the address as the gazetteer writes it (its fields joined with ', ').
        usable: per row, whether it may be read at all (an answer of the gazetteer).

    ``buildings_on`` maps (street key, building name) of the buildings the gazetteer lists by
    name without a house number ('WHARFSIDE' on 'YELLOWHAMMER MEWS UPPER MARCHFORD MARCHFORD')
    to the row of the first;
    ``houses_named`` the same buildings by name: name -> [(row, its street's words, the places
    after it)] ('MANOR FARM' -> [(row of MANOR FARM, CHURCH LANE, TILFORD, (CHURCH, LANE),
    {TILFORD})]).
    """

    def __init__(self, street_keys: pd.Series, street_names: pd.Series, numbered: np.ndarray,
                 postcodes: pd.Series, usrns: pd.Series, texts: pd.Series, raw_texts: pd.Series,
                 usable: np.ndarray):
        every = pd.DataFrame({"key": street_keys.to_numpy(), "name": street_names.to_numpy(),
                              "pc": postcodes.to_numpy(), "usrn": usrns.to_numpy()})
        rows = every[numbered & usable]
        rows = rows[rows["key"].map(lambda k: isinstance(k, str) and k != "")]
        # a key without a street type ('FRIARGATE MARCHFORD'): its name is what precedes the places
        # (locality and town, as the typed streets' keys end: 'FENNY BRIDGE MARCHFORD') it ends in
        typed = rows["name"].notna()
        self._places = {key[len(name):].strip() for key, name in zip(rows.loc[typed, "key"], rows.loc[typed, "name"],
                                                                     strict=True) if key.startswith(name)} - {""}
        untyped = ~typed
        names_of = {k: self._name_before_places(k) for k in rows.loc[untyped, "key"].unique()}
        rows.loc[untyped, "name"] = rows.loc[untyped, "key"].map(names_of)
        # streets of named houses only (no number says where their name ends): read between the
        # address's commas (_named_house_streets)
        unnumbered = np.flatnonzero(~numbered & usable)
        buildings_on: dict = {}
        self.houses_named: dict = {}
        if unnumbered.size:
            keys, names, buildings = self._named_house_streets(texts.to_numpy()[unnumbered],
                                                               raw_texts.to_numpy()[unnumbered])
            for row, key, name, building in zip(unnumbered, keys, names, buildings, strict=True):
                if key is not None and building:
                    buildings_on.setdefault((key, building), int(row))
                    self.houses_named.setdefault(building, []).append(
                        (int(row), tuple(name.split()), frozenset(key[len(name):].split())))
            found = pd.notna(keys)
            named = every.iloc[unnumbered[found]].copy()
            named["key"], named["name"] = keys[found], names[found]
            rows = pd.concat([rows, named])
        rows = rows[np.array([isinstance(name, str) and key.startswith(name)
                              for key, name in zip(rows["key"], rows["name"], strict=True)], dtype=bool)]
        rows = rows.drop_duplicates(["key", "name", "pc", "usrn"])
        self.buildings_on = buildings_on
        self.name_of_key = dict(zip(rows["key"], rows["name"], strict=True))
        self.streets_named: dict = {}
        for key, name, code, usrn in zip(rows["key"], rows["name"], rows["pc"], rows["usrn"], strict=True):
            self.streets_named.setdefault(name, []).append((key, code if isinstance(code, str) else None,
                                                            usrn if pd.notna(usrn) else None))
        # the names ending in a street type, by which records' streets are read and compared
        self.typed_names = {n for n in self.streets_named if n.split()[-1] in ad.STREET_TYPE_WORDS}
        # (the rows themselves, for keys_of_rows)
        self._row_keys = street_keys.to_numpy()
        self._row_numbered = np.asarray(numbered, dtype=bool)
        self._row_texts = texts.to_numpy()
        self._row_postcodes = postcodes.to_numpy()

    def keys_of_rows(self, rows: np.ndarray) -> np.ndarray:
        """The street key of each gazetteer row in ``rows``: its own, where it has a house number
        and that key is a street's; else its text read as a record's is (:meth:`find_all`), so a
        flat of a named block or a house known by its name is on its street too."""
        rows = np.asarray(rows, dtype=np.int64)
        keys = self._row_keys[rows].astype(object)
        known = self._row_numbered[rows] & np.array([k in self.name_of_key for k in keys], dtype=bool)
        read = np.flatnonzero(~known)
        if read.size:
            keys[read] = self.find_all(self._row_texts[rows[read]], self._row_postcodes[rows[read]])[0]
        return keys

    def _named_house_streets(self, texts: np.ndarray, raw_texts: np.ndarray) -> tuple:
        """Of addresses without a house number, the street key (name and places), the name of the
        street each lies on and the name of the building (``ad.building_name_words``) before it.
        The street is the last part after the first (a house's name) that ends in a street type
        and is no known place ('ROSE COTTAGE, ABBOTS GREEN, MARCHFORD' where ABBOTS
        GREEN is a locality), as normalised in the address. The last, as a block's name comes
        before its street ('FLAT 27, CASTLE MEWS, KITTIWAKE GROVE'). Where no part ends in a
        street type, the part before the known places the address ends in ('LARCHMONT, TANNERS
        END, STANWELL MAGNA'). None where no part is such."""
        parts = [str(raw).split(",") if isinstance(raw, str) else [] for raw in raw_texts]
        flat = [p for ps in parts for p in ps]
        normalised = ad.normalise_addresses(pd.Series(flat, dtype=object)).to_numpy() if flat else []
        keys = np.full(len(texts), None, dtype=object)
        names = np.full(len(texts), None, dtype=object)
        buildings = np.full(len(texts), None, dtype=object)
        at = 0
        for i, (text, ps) in enumerate(zip(texts, parts, strict=True)):
            own = list(normalised[at:at + len(ps)])
            at += len(ps)
            for j in range(len(own) - 1, 0, -1):
                words = own[j].split()
                if len(words) < 2 or words[-1] not in ad.STREET_TYPE_WORDS:
                    continue
                key = " ".join(p for p in own[j:] if p)
                if key in self._places:
                    continue  # a locality named like a street
                if isinstance(text, str) and (text == key or text.endswith(" " + key)):
                    keys[i], names[i], buildings[i] = key, own[j], ad.building_name_words(" ".join(own[:j]))
                break
            else:
                for j in range(1, len(own) - 1):
                    key = " ".join(p for p in own[j:] if p)
                    if own[j] and " ".join(p for p in own[j + 1:] if p) in self._places and key not in self._places \
                            and isinstance(text, str) and (text == key or text.endswith(" " + key)):
                        keys[i], names[i], buildings[i] = key, own[j], ad.building_name_words(" ".join(own[:j]))
                        break
        return keys, names, buildings

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
        typed_names = self.typed_names
        numbered = ad.has_house_number(texts)
        # (after a house number the street's whole name: '12 OLD HIGH STREET' is no HIGH STREET;
        # without one, the last name the gazetteer knows: 'ROSE COTTAGE, CUCKOO LANE')
        # (without a number and no typed name the gazetteer knows, a name without a type:
        # 'SUNNYSIDE, TANNERS COURT, ABBOTS GREEN')
        known = np.array([n if n in typed_names else None for n in ad.known_street_names(texts, typed_names)],
                         dtype=object)
        typed = np.where(numbered, ad.street_names(texts).to_numpy(), known)
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
