"""A column read by pyogrio as the pandas array JoinedUp works with: one reading for the
bridge (QGIS layers read in this process, processing/bridge/read.py) and the Dask workers that
read a file themselves (engine/scale_tracks.py), so a field has the same type either way."""
from __future__ import annotations

import numpy as np


def ogr_column(values, declared):
    """``values`` (a numpy array from pyogrio) of a field OGR declares as ``declared``
    (pyogrio's dtype name): integer and boolean fields that came back as floats because they
    hold nulls become nullable integers/booleans again; dates and times are milliseconds."""
    import pandas as pd

    declared = str(declared)
    if declared.startswith(("int", "uint")) and values.dtype.kind == "f":
        return pd.array(values, dtype="Int64")
    if values.dtype.kind == "M":
        return values.astype("datetime64[ms]")
    if declared == "bool" and values.dtype.kind in "fO":
        return pd.array(np.where(pd.isna(values), None, values == 1), dtype="boolean")
    return values
