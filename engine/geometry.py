"""Null, empty and invalid geometries: one policy for every algorithm, and a count of what
was done so every input feature is accounted for."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

POLICIES = ("skip", "repair")


@dataclass
class GeometryReport:
    total: int = 0
    null_or_empty: int = 0
    invalid_repaired: int = 0
    invalid_skipped: int = 0

    @property
    def skipped(self) -> int:
        return self.null_or_empty + self.invalid_skipped

    def describe(self, name: str = "input") -> str:
        parts = []
        if self.null_or_empty:
            parts.append(f"{self.null_or_empty} with no geometry skipped")
        if self.invalid_repaired:
            parts.append(f"{self.invalid_repaired} invalid geometries repaired")
        if self.invalid_skipped:
            parts.append(f"{self.invalid_skipped} invalid geometries skipped")
        return f"{name}: " + (", ".join(parts) if parts else f"all {self.total} geometries valid")


def clean_geometries(gdf, policy: str = "repair", *, name: str | None = None):
    """Split ``gdf`` into usable rows and a report.

    ``policy='repair'`` fixes invalid geometries with GEOS ``make_valid`` (keeping the
    original dimension: a polygon stays areal); ``'skip'`` leaves them out. Null and empty
    geometries are always left out of spatial work. Returns ``(usable, mask, report)``:
    ``mask`` is a boolean array over ``gdf``'s rows (True = used), so callers can put the
    skipped rows back in their output with a reason.
    """
    import shapely

    if policy not in POLICIES:
        raise InputError(f"Unknown invalid-geometry policy {policy!r}; use one of {POLICIES}.")
    geoms = gdf.geometry.values
    arr = np.asarray(geoms, dtype=object) if not hasattr(geoms, "_data") else geoms._data
    report = GeometryReport(total=len(gdf))
    missing = shapely.is_missing(arr) | shapely.is_empty(arr)
    report.null_or_empty = int(missing.sum())
    invalid = ~missing & ~shapely.is_valid(arr)
    keep = ~missing
    out = gdf
    if invalid.any():
        if policy == "skip":
            report.invalid_skipped = int(invalid.sum())
            keep &= ~invalid
        else:
            fixed = arr.copy()
            repaired = _make_valid_same_dimension(arr[invalid])
            fixed[invalid] = repaired
            failed = shapely.is_missing(repaired) | shapely.is_empty(repaired)
            report.invalid_repaired = int((~failed).sum())
            report.invalid_skipped = int(failed.sum())
            idx = np.flatnonzero(invalid)[failed]
            keep[idx] = False
            out = gdf.copy()
            out[gdf.geometry.name] = fixed
    return out[keep], keep, report


def _make_valid_same_dimension(geoms):
    """make_valid, then keep only parts of the original dimension (a bow-tie polygon must not
    come back as a collection with stray lines that a polygon layer cannot hold)."""
    import shapely

    fixed = shapely.make_valid(geoms)
    dims = shapely.get_dimensions(geoms)
    out = np.empty(len(geoms), dtype=object)
    for i, (g, d) in enumerate(zip(fixed, dims)):
        if g is None:
            out[i] = None
            continue
        if shapely.get_dimensions(g) == d and shapely.get_type_id(g) != 7:
            out[i] = g
            continue
        parts = [p for p in shapely.get_parts(g) if shapely.get_dimensions(p) == d]
        out[i] = shapely.union_all(parts) if parts else None
    return out


def drop_degenerate_rings(geoms):
    """Polygons with rings of fewer than 4 points (OpenStreetMap multipolygons whose member
    ways were cut at the extract's edge) lose those rings: such a ring encloses no area, and
    GEOS refuses most work on it ("Ring has fewer than 4 points"). A polygon whose outer ring
    is degenerate is dropped with its holes; a feature left with no polygon becomes null.

    ``geoms``: object array of shapely geometries (None allowed), changed in place. Returns
    ``(repaired, emptied)``: features that lost a ring but kept area, features made null.
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(geoms)
    polygonal = np.flatnonzero((types == 3) | (types == 6))
    if not polygonal.size:
        return 0, 0
    parts, part_owner = shapely.get_parts(geoms[polygonal], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    short = shapely.get_num_coordinates(rings) < 4
    if not short.any():
        return 0, 0
    repaired = emptied = 0
    for feature in np.unique(part_owner[ring_part[short]]):
        row = polygonal[feature]
        polygons = []
        for part in shapely.get_parts(geoms[row]):
            shell = shapely.get_exterior_ring(part)
            if shapely.get_num_coordinates(shell) < 4:
                continue
            holes = [h for h in shapely.get_interior_ring(part, range(shapely.get_num_interior_rings(part)))
                     if shapely.get_num_coordinates(h) >= 4]
            polygons.append(shapely.Polygon(shell, holes))
        if not polygons:
            geoms[row] = None
            emptied += 1
        else:
            geoms[row] = polygons[0] if types[row] == 3 else shapely.MultiPolygon(polygons)
            repaired += 1
    return repaired, emptied
