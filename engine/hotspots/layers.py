"""Layers in, output frame out: what ``joinedup:hotspots`` writes for points (counted into a grid)
or for areas."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .gi import GiResult, gi_star
from .grid import auto_cell_size, point_grid
from .names import CLASS_LABELS, ISLAND_LABEL, NO_VALUE_LABEL
from .publication import protect_grid
from .weights import weights_for


@dataclass
class HotspotLayer:
    """The output of :func:`hotspots_of_points` / :func:`hotspots_of_areas`: ``frame`` (a
    GeoDataFrame: every input area, or every grid cell, with the gi_* columns), ``result`` (the
    :class:`GiResult`), and ``log``: ``(level, text)`` pairs, level 'info' or 'warning', in the
    order they happened, for the caller to show."""
    frame: object
    result: GiResult
    log: list = field(default_factory=list)

    @property
    def hot(self) -> int:
        return int((self.result.gi_bin > 0).sum())

    @property
    def cold(self) -> int:
        return int((self.result.gi_bin < 0).sum())


def gi_columns(frame, res: GiResult):
    """``frame`` (one row per analysed unit) with the gi_* output columns of ``res`` added:
    gi_z, gi_p, gi_p_norm, gi_p_sim, gi_bin (null for islands), gi_class, gi_neighbours."""
    import pandas as pd

    frame = frame.copy()
    frame["gi_z"] = res.z
    frame["gi_p"] = res.p
    frame["gi_p_norm"] = res.p_norm
    frame["gi_p_sim"] = res.p_sim if res.p_sim is not None else np.full(len(res.z), np.nan)
    bins = pd.array(res.gi_bin, dtype="Int64")
    bins[res.islands] = pd.NA
    frame["gi_bin"] = bins
    labels = np.array([CLASS_LABELS[int(b)] for b in res.gi_bin], dtype=object)
    labels[res.islands] = ISLAND_LABEL
    frame["gi_class"] = labels
    frame["gi_neighbours"] = res.neighbours.astype(np.int64)
    return frame


def _in_metres(gdf, weights: str, name: str, invalid_geometries: str, log: list):
    """``(gdf_in_metres, crs, usable, mask)``: contiguity of polygons needs no units, so a layer
    without CRS is used as it is; anything else is measured in ground metres."""
    from ..crs import ensure_projected
    from ..geometry import clean_geometries

    if gdf.crs is None and weights in ("queen", "rook") and gdf.attrs.get("geometry_kind") == "polygon":
        gdf_m, crs = gdf, None
    else:
        gdf_m, crs, note = ensure_projected(gdf, what=name)
        if note:
            log.append(("info", note))
    usable, mask, geo_report = clean_geometries(gdf_m, invalid_geometries, name=name)
    log.append(("info", geo_report.describe(name)))
    return gdf_m, crs, usable, mask, geo_report


def _checked_field(gdf, field_name, name):
    from ..values import numeric_columns

    if len(gdf) == 0:
        raise InputError(f"{name} has no features: there is nothing to analyse.")
    if field_name and field_name not in gdf.columns:
        raise InputError(f"{name} has no field {field_name!r}.")
    # a numeric field stored as text: read the same way in every algorithm
    return numeric_columns(gdf, [field_name], layer=name) if field_name else gdf


def hotspots_of_points(points, *, field_name: str | None = None, name: str = "the points",
                       grid_shape: str = "hexagon", cell_size_m: float = 0.0, weights: str = "queen",
                       distance_m: float = 0.0, k: int = 8, suppress_below: int = 10,
                       invalid_geometries: str = "repair", feedback=None, **gi_options) -> HotspotLayer:
    """Gi* on ``points`` counted (or ``field_name`` summed) into a square or hexagonal grid over
    their extent, empty cells included: one output row per cell (cell_id, point_count,
    sum_<field>, the gi_* columns), in ground metres, in the projected CRS used.

    ``cell_size_m`` 0 picks a cell size (:func:`auto_cell_size`); ``suppress_below`` > 0 hides
    small counts (:func:`protect_grid`) and computes Gi* on the published counts only.
    ``gi_options``: :func:`gi_star`'s transform, inference, permutations, seed, fdr.
    Raises InputError for an empty layer, a missing field or no usable point."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    log: list = []
    points = _checked_field(points, field_name, name)
    _gdf_m, crs, usable, _mask, geo_report = _in_metres(points, weights, name, invalid_geometries, log)
    if len(usable) == 0:
        raise InputError(f"{name} has no point with a usable geometry.")
    xy = shapely.get_coordinates(shapely.centroid(usable.geometry.values))
    if cell_size_m <= 0:
        cell_size_m, why = auto_cell_size(xy)
        log.append(("info", why))
    grid = point_grid(xy, shape=grid_shape, cell_size=cell_size_m)
    ncell = len(grid.geometry)
    counts = np.bincount(grid.cell_of_point, minlength=ncell)
    if field_name:
        vals = usable[field_name].astype(float).to_numpy()
        nulls = ~np.isfinite(vals)
        if nulls.any():
            log.append(("warning", f"{int(nulls.sum())} points have a null {field_name}: counted as 0."))
        y = np.bincount(grid.cell_of_point, weights=np.where(nulls, 0.0, vals), minlength=ncell)
    else:
        y = counts.astype(float)
    neighbours = weights_for(weights, xy=shapely.get_coordinates(shapely.centroid(grid.geometry)),
                    distance=distance_m, k=k, grid=grid, feedback=feedback)
    counted = len(usable)
    if suppress_below > 0:
        # Gi* on the published counts only, so z, p and classes cannot undo suppression
        protected = protect_grid(counts, y if field_name else None, threshold=suppress_below,
                                 feedback=feedback)
        log.append(("info", protected.disclosure.describe()))
        log.append(("info", f"Gi* is computed on the counts as published: each of the "
                            f"{int(protected.hidden.sum())} hidden cells counts as "
                            f"{protected.stand_in:g}, so no published number reveals a hidden count."))
        y = protected.values
        counted = protected.total
    res = gi_star(y, neighbours, feedback=feedback, **gi_options)
    out = pd.DataFrame({"cell_id": np.arange(ncell), "point_count": counts})
    sum_column = f"sum_{field_name}"[:60]
    if field_name:
        out[sum_column] = y
    if suppress_below > 0:
        out["point_count"] = pd.array(protected.counts, dtype="Float64")
        out["point_count_flag"] = protected.status
        if field_name:  # a hidden cell's sum would describe the few points in it
            out[sum_column] = pd.array(np.where(protected.hidden, np.nan, y), dtype="Float64")
    frame = gpd.GeoDataFrame(gi_columns(out, res), geometry=grid.geometry, crs=crs)
    if geo_report.skipped:
        log.append(("warning", f"{geo_report.skipped} points without a usable geometry were not counted."))
    total_text = "a hidden number of" if not np.isfinite(counted) else f"{counted:,.0f}"
    log.append(("info", f"{total_text} points counted into {ncell} {grid_shape} cells of {cell_size_m:g} m."))
    return HotspotLayer(frame, res, log)


def hotspots_of_areas(areas, *, field_name: str, name: str = "the areas", weights: str = "queen",
                      distance_m: float = 0.0, k: int = 8, invalid_geometries: str = "repair",
                      feedback=None, **gi_options) -> HotspotLayer:
    """Gi* on ``field_name`` of ``areas`` (polygons): every input row in the output, in input
    order, with its attributes and the gi_* columns. Areas with a null value are left out of the
    analysis (class 'No value'); invalid geometries are repaired or skipped (class 'Invalid
    geometry', written with no geometry). ``gi_options`` as :func:`hotspots_of_points`."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    if not field_name:
        raise InputError("Choose the value field to analyse for a polygon layer.")
    log: list = []
    areas = _checked_field(areas, field_name, name)
    gdf_m, crs, usable, mask, _report = _in_metres(areas, weights, name, invalid_geometries, log)
    values = gdf_m[field_name].astype(float).to_numpy()
    has_value = np.isfinite(values)
    idx = np.flatnonzero(mask & has_value)
    geoms_all = np.asarray(gdf_m.geometry.values, dtype=object).copy()
    geoms_all[np.flatnonzero(mask)] = np.asarray(usable.geometry.values, dtype=object)
    geoms = geoms_all[idx]
    xy = shapely.get_coordinates(shapely.centroid(geoms))
    neighbours = weights_for(weights, geoms=geoms if weights in ("queen", "rook") else None, xy=xy,
                    distance=distance_m, k=k, feedback=feedback)
    res = gi_star(values[idx], neighbours, feedback=feedback, **gi_options)
    frame = pd.DataFrame(gdf_m.drop(columns=gdf_m.geometry.name)).reset_index(drop=True)
    frame = frame.join(gi_columns(pd.DataFrame(index=idx), res))
    status = np.where(~mask, "Invalid geometry", np.where(~has_value, NO_VALUE_LABEL, ""))
    frame["gi_class"] = np.where(status != "", status, frame["gi_class"].astype(object).to_numpy())
    geoms_all[~mask] = None
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms_all, crs=crs), crs=crs)
    if (~has_value & mask).any():
        log.append(("warning", f"{int((~has_value & mask).sum())} areas have no {field_name} value: "
                               "left out of the analysis (class 'No value')."))
    return HotspotLayer(out, res, log)
