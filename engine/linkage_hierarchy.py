"""The gazetteer's hierarchy for :func:`engine.linkage.link_addresses` (AddressBase / LLPG
PARENT_UPRN and classification codes): which rows are never an answer, each row's building, and
which answers are buildings. Split from ``linkage.py`` (one concern per module)."""
from __future__ import annotations

import numpy as np
import pandas as pd

# Classification codes that are never a record's answer: street records (PS) and objects
# without a postal address (AddressBase: Z* objects of interest, CU utility, CZ information,
# L* land, U* unclassified); a property shell (PP) is a building-level answer only.
NOT_AN_ANSWER_CLASSES = ("PS", "Z", "CU", "CZ", "L", "U")


def not_an_answer(ref_class: pd.Series) -> pd.Series:
    """True for gazetteer rows whose class code is never a record's answer."""
    return ref_class.str.startswith(NOT_AN_ANSWER_CLASSES).fillna(False).astype(bool)


def named_objects(ref_class: pd.Series) -> pd.Series:
    """True for rows that are no dwelling's answer but may be a record's that names them in full
    (a sub-station, a church, a telephone box the business rates list): every class of
    :data:`NOT_AN_ANSWER_CLASSES` but street records."""
    return not_an_answer(ref_class) & ~ref_class.str.startswith("PS").fillna(False).astype(bool)


def parent_rows(parent_key: pd.Series | None, n_rows: int, first_row) -> np.ndarray:
    """Per reference row, the row of its building: the first row of its parent UPRN
    (``parent_key``, UPRNs as comparable text, or None when the gazetteer has no parent field)
    when the parent is in the gazetteer, else the row itself."""
    own = np.arange(n_rows, dtype=np.int64)
    if parent_key is None:
        return own
    parent_key = parent_key.reset_index(drop=True)
    rows = first_row.reindex(parent_key.to_numpy()).to_numpy()
    known = ~pd.isna(rows)
    out = own.copy()
    out[known] = rows[known].astype(np.int64)
    return out


def units_by_building(parent_row: np.ndarray, kind: np.ndarray) -> dict:
    """Per building row, the rows of its units (rows whose parent it is) where ``kind`` holds:
    its dwellings, its shops."""
    own = np.arange(len(parent_row))
    units = pd.Series(own[(parent_row != own) & kind])
    return units.groupby(parent_row[units.to_numpy()]).agg(list).to_dict()


def is_building(ref_row, parent_row, ref_class) -> np.ndarray:
    """True where the accepted row is a building with sub-units (some row's parent) or a
    property shell (class PP)."""
    row = np.maximum(ref_row, 0)
    parents = np.zeros(len(parent_row), dtype=bool)
    parents[parent_row[parent_row != np.arange(len(parent_row))]] = True
    shell = np.char.startswith(np.asarray(ref_class, dtype=str), "PP") if len(ref_class) else np.zeros(0, bool)
    return parents[row] | (shell[row] if len(shell) else False)
