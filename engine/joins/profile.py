"""The area profile: one row per area (ward, zone, grid cell) with what each of many agency
layers holds there (point counts, line lengths, polygon cover, sums, means, rates per 1,000
people), and the rules that name its columns after the layers."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from ..errors import EngineError, InputError, as_feedback
from ..values import numeric_columns
from .layers import _check_fields, _prepare


@dataclass
class ProfileLayer:
    """One agency layer for :func:`area_profile`: its name (for column names), data, and an
    optional numeric field to sum and average per area."""
    name: str
    gdf: object
    value_field: str | None = None


SHORT_SUFFIX = {"count": "_n", "length": "_m", "share": "_sh", "rate": "_pk", "sum": "_su",
                "mean": "_mn"}
LONG_SUFFIX = {"count": "_count", "length": "_length_m", "share": "_share",
               "rate": "_per_1000", "sum": "_sum", "mean": "_mean"}
RESERVED = {"fid", "geom", "geometry", "ogc_fid", "shape"}
# ``attrs`` key of a point layer given by its fields only (no rows), whose points are counted by
# ``area_profile``'s ``point_summary`` elsewhere (workers reading its file themselves)
POINTS_ELSEWHERE = "points_elsewhere"


def sanitise_name(text: str, max_len: int = 40) -> str:
    """A field-name stem from a layer name: ASCII letters, digits and ``_``, lower case,
    starting with a letter, at most ``max_len`` characters (accents dropped: 'Päiväkodit'
    -> 'paivakodit')."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")
    if not plain:
        plain = "layer"
    if not plain[0].isalpha():
        plain = "l" + plain
    return plain[:max_len].rstrip("_") or "layer"


def _unique(candidate: str, used: set, max_len: int) -> str:
    name, k = candidate, 2
    while name.lower() in used:
        tail = str(k)
        name = candidate[: max_len - len(tail)] + tail
        k += 1
    used.add(name.lower())
    return name


def profile_column_names(layer_names, area_fields, *, short=False):
    """Per layer, a unique stem; returns (stems, used) where ``used`` holds every taken
    lower-case name. ``short`` keeps every column within shapefile's 10 characters."""
    max_len = 10 if short else 60
    stem_len = 7 if short else 40
    used = {str(f).lower() for f in area_fields} | RESERVED
    stems, taken = [], set()
    for name in layer_names:
        stems.append(_unique(sanitise_name(name, stem_len), taken, stem_len))
    return stems, used, max_len


def area_profile(areas, layers, *, population_field=None, short_names=False, invalid="repair",
                 feedback=None, point_summary=None):
    """One row per area with, per layer: ``<stem>_count`` (points), ``<stem>_length_m``
    (lines: length inside the area, metres) or ``<stem>_share`` (polygons: share of the
    area covered, 0-1, overlaps counted once); with a value field ``<stem>_<field>_sum`` and
    ``_mean`` over the layer's features that intersect the area; with a population field
    ``<stem>_per_1000`` (points: count, lines: metres per 1,000 people; NULL where the
    population is 0 or NULL).

    ``short_names`` makes every new column at most 10 characters (``<stem7>_n``, ``_m``,
    ``_sh``, ``_pk``, ``_su``, ``_mn``) so shapefile keeps them apart. Returns
    ``(gdf, columns)`` where ``columns`` maps each new column to what it holds.

    ``point_summary`` (optional): ``point_summary(layer, frame, geoms, values, area_geoms,
    feedback)`` counts a point layer somewhere else (a Dask cluster,
    ``engine.scale_points.profile_areas_on_cluster``): ``frame`` is the layer in the metric CRS,
    ``geoms`` its usable geometries (None where not usable), ``values`` its value field as
    floats (NaN for NULL) or None, ``area_geoms`` the usable areas. It returns per area
    ``(count, sum, non-null count)`` (the last two None without a value field), matched as
    here (a point on a boundary counts for both areas), or None to count the layer here.
    """
    import pandas as pd
    import shapely

    from ..crs import common_crs

    fb = as_feedback(feedback)
    what = areas.attrs.get("source_name", "AREAS")
    if not layers:
        raise InputError("Choose at least one layer to profile the areas with.")
    pop = None
    if population_field:
        pop_name = _check_fields(areas, [population_field], f"The areas layer {what}")[0]
        # numbers stored as text are read as every algorithm reads them, never silently null
        pop = numeric_columns(areas, [pop_name], layer=what)[pop_name] \
            .to_numpy(dtype=float, na_value=np.nan)
    frames = [areas] + [lay.gdf for lay in layers]
    names = [f"AREAS {what}"] + [f"layer {lay.name}" for lay in layers]
    crs_values = [f.crs for f in frames]
    if all(c is None for c in crs_values):
        fb.log("No layer has a CRS: lengths and areas are in the layers' coordinate units.")
        metric = frames
    else:
        missing = [nm for nm, c in zip(names, crs_values, strict=True) if c is None]
        if missing:
            raise InputError(f"{missing[0]} has no coordinate reference system. Set it and run again.")
        metric, crs, notes = common_crs(frames, names)
        for note in notes:
            fb.log(note)
    area_geoms, _ = _prepare(metric[0], f"AREAS {what}", invalid, fb)
    area_size = shapely.area(area_geoms)
    area_size = np.where(np.isnan(area_size.astype(float)), np.nan, area_size)
    n = len(areas)
    stems, used, max_len = profile_column_names([lay.name for lay in layers], areas.columns,
                                                short=short_names)
    suffix = SHORT_SUFFIX if short_names else LONG_SUFFIX
    new_cols, described = {}, {}

    def add(stem, key, values, text, extra=""):
        sfx = suffix[key] if not extra else (
            suffix[key] if short_names else f"_{sanitise_name(extra, 20)}{suffix[key]}")
        col = _unique(f"{stem}{sfx}"[:max_len], used, max_len)
        new_cols[col] = values
        described[col] = text

    for k, (lay, frame, stem) in enumerate(zip(layers, metric[1:], stems, strict=True)):
        fb.check()
        fb.set_progress(k / len(layers))
        geoms, _ = _prepare(frame, f"layer {lay.name}", invalid, fb)
        dims = shapely.get_dimensions(geoms[~shapely.is_missing(geoms)])
        kind = lay.gdf.attrs.get("geometry_kind") or (
            {0: "point", 1: "line", 2: "polygon"}.get(int(dims.max()), "none") if len(dims) else "point")
        if kind == "none":
            raise InputError(f"Layer {lay.name} has no geometry; it cannot be profiled by area.")
        vals = None
        if lay.value_field:
            vf = _check_fields(lay.gdf, [lay.value_field], f"Layer {lay.name}")[0]
            vals = numeric_columns(lay.gdf, [vf], layer=lay.name)[vf].to_numpy(dtype=float, na_value=np.nan)
        summed = None
        if kind == "point" and point_summary is not None:
            summed = point_summary(lay, frame, geoms, vals, area_geoms, fb.sub(k / len(layers), (k + 1) / len(layers)))
        if summed is None and lay.gdf.attrs.get(POINTS_ELSEWHERE):
            raise EngineError(f"Layer {lay.name} was not read here, and nothing counted its points.")
        tree_geoms = geoms
        if kind == "polygon":
            # overlaps counted once: dissolve the layer, then measure its disjoint parts
            usable = geoms[~shapely.is_missing(geoms)]
            tree_geoms = shapely.get_parts(shapely.union_all(usable)) if len(usable) else np.empty(0, dtype=object)
        if summed is None:
            pairs = shapely.STRtree(tree_geoms).query(area_geoms, predicate="intersects") \
                if len(tree_geoms) else np.empty((2, 0), np.int64)
            ai, li = pairs[0], pairs[1]
        if kind == "point":
            count = np.bincount(ai, minlength=n).astype(np.int64) if summed is None else summed[0]
            add(stem, "count", count, f"number of {lay.name} features in the area")
            measure = count.astype(float)
        elif kind == "line":
            length = shapely.length(shapely.intersection(area_geoms[ai], tree_geoms[li])) if len(ai) else np.empty(0)
            measure = np.bincount(ai, weights=length, minlength=n)
            add(stem, "length", measure, f"length of {lay.name} inside the area, metres")
        else:
            covered = shapely.area(shapely.intersection(area_geoms[ai], tree_geoms[li])) if len(ai) else np.empty(0)
            tot = np.bincount(ai, weights=covered, minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(area_size > 0, np.minimum(tot / area_size, 1.0), np.nan)
            add(stem, "share", share, f"share of the area covered by {lay.name}, 0-1")
            measure = None
        if vals is not None:
            if summed is not None:
                s, c = summed[1], summed[2]
            else:
                if kind == "polygon":
                    pairs = shapely.STRtree(geoms).query(area_geoms, predicate="intersects")
                    ai, li = pairs[0], pairs[1]
                v = vals[li]
                ok = ~np.isnan(v)
                s = np.bincount(ai[ok], weights=v[ok], minlength=n)
                c = np.bincount(ai[ok], minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(c > 0, s / np.maximum(c, 1), np.nan)
            add(stem, "sum", s, f"sum of {lay.name}.{vf} over its features touching the area", vf)
            add(stem, "mean", mean, f"mean of {lay.name}.{vf} over its features touching the area", vf)
        if pop is not None and measure is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = np.where(pop > 0, measure * 1000.0 / pop, np.nan)
            unit = "features" if kind == "point" else "metres"
            add(stem, "rate", rate, f"{lay.name} {unit} per 1,000 people ({population_field})")
    out = areas.reset_index(drop=True).copy()
    geom_name = out.geometry.name
    extra = pd.DataFrame(new_cols, index=out.index)
    out = pd.concat([out.drop(columns=geom_name), extra], axis=1)
    import geopandas as gpd

    out[geom_name] = areas.geometry.values
    out = gpd.GeoDataFrame(out, geometry=geom_name, crs=areas.crs)
    skipped = int(shapely.is_missing(area_geoms).sum())
    if skipped:
        fb.log(f"{skipped} areas have no usable geometry: they are kept with counts and lengths 0 "
               "and empty shares.")
    fb.set_progress(1.0)
    return out, described


def parse_value_fields(spec: str | None, layer_names, layer_fields):
    """The value field for each layer from a text like ``"budget"`` (every layer that has a
    field ``budget``) or ``"inspections:score; permits:fee"`` (per layer, by name).

    Returns a list (one entry per layer, None for none). Raises InputError when a named
    layer or field does not exist, so a typo never passes silently."""
    chosen = [None] * len(layer_names)
    if not spec or not str(spec).strip():
        return chosen
    lowered = [str(n).lower() for n in layer_names]
    for raw in re.split(r"[;,]", str(spec)):
        entry = raw.strip()
        if not entry:
            continue
        if ":" in entry:
            layer, fname = (part.strip() for part in entry.rsplit(":", 1))
            if layer.lower() not in lowered:
                raise InputError(f"VALUE_FIELDS names the layer {layer!r}, which is not among the "
                                 f"layers: {', '.join(map(str, layer_names))}.")
            k = lowered.index(layer.lower())
            lookup = {str(f).lower(): f for f in layer_fields[k]}
            if fname.lower() not in lookup:
                raise InputError(f"Layer {layer_names[k]} has no field named {fname!r}. Its fields "
                                 f"are: {', '.join(map(str, layer_fields[k])) or '(none)'}.")
            chosen[k] = lookup[fname.lower()]
        else:
            hits = 0
            for k, fields in enumerate(layer_fields):
                lookup = {str(f).lower(): f for f in fields}
                if entry.lower() in lookup and chosen[k] is None:
                    chosen[k] = lookup[entry.lower()]
                    hits += 1
            if not hits and not any(entry.lower() in {str(f).lower() for f in fs} for fs in layer_fields):
                raise InputError(f"No layer has a field named {entry!r} (VALUE_FIELDS).")
    return chosen



def profile_areas(areas, layers, *, value_fields: str | None = None, population_field=None,
                  short_names=False, invalid="repair", feedback=None):
    """:func:`area_profile` of ``areas`` with ``layers``, a list of ``(name, GeoDataFrame)``,
    whose value fields are named by a text as :func:`parse_value_fields` reads it.
    Returns ``(gdf, columns)`` as :func:`area_profile`."""
    if not layers:
        raise InputError("Choose at least one agency layer (LAYERS).")
    names = [name for name, _ in layers]
    fields = [[c for c in gdf.columns if c != gdf.geometry.name] for _, gdf in layers]
    chosen = parse_value_fields(value_fields, names, fields)
    return area_profile(
        areas, [ProfileLayer(name, gdf, value) for (name, gdf), value in zip(layers, chosen, strict=True)],
        population_field=population_field, short_names=short_names, invalid=invalid, feedback=feedback)
