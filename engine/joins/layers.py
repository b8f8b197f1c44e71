"""What every join does to its two layers before and after matching: field checks, usable
geometries, one CRS (or metres), QGIS's rule for clashing field names, and the result type."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError


@dataclass
class JoinResult:
    """The joined table, the INPUT features that matched nothing, and what happened."""
    output: object
    non_matching: object
    matched_count: int = 0
    unmatched_count: int = 0
    notes: list = field(default_factory=list)


# ----------------------------------------------------------------------------- helpers

def _geoms(gdf):
    return np.asarray(gdf.geometry.values, dtype=object)


def _check_fields(gdf, names, what):
    if names is None:
        return [c for c in gdf.columns if c != gdf.geometry.name]
    lookup = {str(c).lower(): c for c in gdf.columns if c != gdf.geometry.name}
    out = []
    for name in names:
        if name in gdf.columns and name != gdf.geometry.name:
            out.append(name)
        elif str(name).lower() in lookup:
            out.append(lookup[str(name).lower()])
        else:
            raise InputError(
                f"{what} has no field named {name!r}. Its fields are: "
                f"{', '.join(map(str, lookup.values())) or '(none)'}.")
    return out


def unique_field_names(existing, new):
    """QGIS's ``combineFields`` rule: a new name that clashes (case-insensitively) with an
    existing one, or an earlier new one, gets ``_2``, ``_3`` ... appended."""
    used = {str(n).lower() for n in existing}
    out = []
    for name in new:
        candidate, k = str(name), 2
        while candidate.lower() in used:
            candidate = f"{name}_{k}"
            k += 1
        used.add(candidate.lower())
        out.append(candidate)
    return out


def _prepare(gdf, what, invalid, fb):
    """Usable geometries (repaired or skipped per policy) as an array over all rows, with
    None where a row is not usable, and the geometry report."""
    from ..geometry import clean_geometries

    usable, mask, report = clean_geometries(gdf, invalid, name=what)
    geoms = np.full(len(gdf), None, dtype=object)
    geoms[mask] = _geoms(usable)
    if report.skipped or report.invalid_repaired:
        fb.log(report.describe(what))
    return geoms, report


def _align_crs(inp, join, what_in, what_join, fb):
    """JOIN in INPUT's CRS (reprojected, with a log line); both without a CRS is allowed
    (assumed the same), one without is an error."""
    from ..crs import ensure_projected

    if len(inp) == 0 or len(join) == 0:
        return join  # nothing to match: the CRS does not matter
    if inp.crs is None and join.crs is None:
        fb.log(f"Neither {what_in} nor {what_join} has a CRS: their coordinates are assumed "
               "to be in the same CRS.")
        return join
    if inp.crs is None or join.crs is None:
        missing = what_in if inp.crs is None else what_join
        raise InputError(
            f"{missing} has no coordinate reference system, so it cannot be matched with the "
            "other layer. Set the layer's CRS (Layer Properties > Source) and run again.")
    if inp.crs.equals(join.crs):
        return join
    moved, _, note = ensure_projected(join, target=inp.crs, what=what_join)
    if "xy" in join.attrs:
        from pyproj import Transformer

        x, y = join.attrs["xy"]
        moved.attrs["xy"] = Transformer.from_crs(join.crs, inp.crs, always_xy=True).transform(x, y)
    if note:
        fb.log(note)
    return moved


def _metric_geoms(gdf, geoms, crs_target, what):
    """``geoms`` (an array over gdf's rows) in a metric CRS: gdf's own when projected in
    metres, else ``crs_target`` if given, else the local UTM zone. Returns (array, crs, note)."""
    import geopandas as gpd

    from ..crs import ensure_projected

    frame = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geoms, crs=gdf.crs), crs=gdf.crs)
    frame.attrs.update(gdf.attrs)
    if gdf.crs is None:
        return geoms, None, ""
    moved, crs, note = ensure_projected(frame, target=crs_target, what=what)
    return _geoms(moved), crs, note



def _with_geometry(frame, like):
    import geopandas as gpd

    geom = like.geometry.reset_index(drop=True)
    frame = frame.reset_index(drop=True)
    frame[like.geometry.name] = geom.values
    return gpd.GeoDataFrame(frame, geometry=like.geometry.name, crs=like.crs)


def _take_fields(join, fields, rows_j):
    """JOIN's ``fields`` for rows ``rows_j`` (-1: an empty row), keeping integer and boolean
    types through the gaps (pandas nullable dtypes)."""
    import pandas as pd

    sub = join[fields].reset_index(drop=True).copy()
    for c in fields:
        if pd.api.types.is_integer_dtype(sub[c].dtype) and not isinstance(sub[c].dtype, pd.Int64Dtype):
            sub[c] = sub[c].astype("Int64")
        elif pd.api.types.is_bool_dtype(sub[c].dtype):
            sub[c] = sub[c].astype("boolean")
    out = sub.reindex(rows_j).reset_index(drop=True)
    return out

