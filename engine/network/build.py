"""Building a network from line features: which lines are usable (geometry, travel mode,
filter), their direction and speed, and their segments and shared-vertex nodes.

Topology follows QGIS's own network analysis (``QgsVectorLayerDirector``): every vertex of
every line is a node and every straight segment between two consecutive vertices an edge;
lines that share a vertex (within ``tolerance_m``) are connected, lines that cross without a
shared vertex (bridges, tunnels) are not.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError, as_feedback
from .osm import (
    DEFAULT_BACKWARD,
    DEFAULT_BOTH,
    DEFAULT_FORWARD,
    MODE_CLASSES,
    MODE_SPEEDS_KMH,
    MODES,
    OSM_BACKWARD,
    OSM_DRIVE_SPEEDS_KMH,
    OSM_FORWARD,
    norm_text,
    osm_denied,
    osm_tag,
    parse_maxspeed,
)

DIRECTIONS = ("both", "forward", "backward")


@dataclass(frozen=True)
class BuildOptions:
    """How :meth:`Network.from_lines` reads a line layer.

    - ``tolerance_m``: vertices closer than this are one node (QGIS's topology tolerance).
    - Direction: ``direction_field`` with ``forward_values`` / ``backward_values`` /
      ``both_values`` (compared as lower-case text), else ``default_direction`` ('both',
      'forward', 'backward'). ``osm_oneway=True``: OpenStreetMap's ``oneway`` tag (a field
      or inside ``other_tags``), roundabouts and motorways one-way by default; ignored for
      ``mode='walk'``; ``oneway:bicycle=no`` honoured for ``mode='cycle'``.
    - Speed: ``speed_field`` (numbers or OSM ``maxspeed`` text such as "30 mph", "walk"),
      then ``class_speeds_kmh[class]``, then ``default_speed_kmh``. ``mode`` presets give a
      flat walking (5) or cycling (15 km/h) speed, or OSM class speeds for driving.
    - ``mode`` ('walk', 'cycle', 'drive'): keeps only the OSM highway classes that mode
      may use (``class_field``, default 'highway'), and OSM ``access``/``foot``/
      ``bicycle``/``motor_vehicle`` = no.
    - ``filter_field`` / ``filter_values``: keep only lines whose value is listed.
    """

    tolerance_m: float = 0.0
    direction_field: str | None = None
    forward_values: tuple = DEFAULT_FORWARD
    backward_values: tuple = DEFAULT_BACKWARD
    both_values: tuple = DEFAULT_BOTH
    default_direction: str = "both"
    osm_oneway: bool = False
    speed_field: str | None = None
    default_speed_kmh: float | None = None
    class_field: str | None = None
    class_speeds_kmh: dict | None = None
    mode: str | None = None
    filter_field: str | None = None
    filter_values: tuple | None = None

    def validate(self) -> None:
        if self.mode is not None and self.mode not in MODES:
            raise InputError(f"Unknown travel mode {self.mode!r}; use one of {', '.join(MODES)}.")
        if self.default_direction not in DIRECTIONS:
            raise InputError("default_direction must be 'both', 'forward' or 'backward', "
                             f"not {self.default_direction!r}.")
        if self.tolerance_m is None or self.tolerance_m < 0 or not np.isfinite(self.tolerance_m):
            raise InputError("The topology tolerance must be zero or a positive number of metres, "
                             f"not {self.tolerance_m}.")


@dataclass
class BuiltEdges:
    """What :func:`build_edges` returns for :class:`~.model.Network` to finish."""

    crs: object
    node_xy: np.ndarray
    edges: object
    notes: list
    report: dict


def layer_name(gdf) -> str:
    return gdf.attrs.get("source_name", "the network layer")


def build_edges(lines_gdf, options: BuildOptions, feedback=None) -> BuiltEdges:
    """Segments, nodes and per-edge costs of a line layer (see :class:`BuildOptions`).

    Raises ``InputError`` for an empty layer, no line geometry, a missing field, or a
    travel-time network where some lines have no usable speed and no default is given.
    """
    from ..crs import ensure_projected

    fb = as_feedback(feedback)
    name = layer_name(lines_gdf)
    options.validate()
    if lines_gdf is None or len(lines_gdf) == 0:
        raise InputError(f"{name} is empty: a network needs at least one line.")
    notes, report = [], {"input_features": int(len(lines_gdf))}
    lines, crs, note = ensure_projected(lines_gdf, what=name)
    if note:
        notes.append(note)
    geoms, gtype, keep = _line_geometries(lines, name, notes, report)
    classes = _classes(lines, options)
    keep &= _usable_for_mode_and_filter(lines, classes, keep, options, name, notes, report)
    if not keep.any():
        raise InputError(f"{name} has no usable lines for the network "
                         f"({len(lines)} features: {report}).")
    forward, backward = _directions(lines, classes, keep, options, name, notes)
    speed = _speeds(lines, classes, keep, options, name, notes, report)
    fb.set_progress(0.2)
    fb.check()
    edges, node_xy = _segments(geoms, gtype, keep, forward, backward, speed, classes, crs,
                               options.tolerance_m, name, notes, report)
    fb.set_progress(0.6)
    fb.check()
    return BuiltEdges(crs=crs, node_xy=node_xy, edges=edges, notes=notes, report=report)


def _column(lines, name: str, what: str):
    """A field of the lines, or the OSM tag of that name from ``other_tags``."""
    if name in lines.columns:
        return lines[name].to_numpy(dtype=object)
    if "other_tags" in lines.columns:
        return osm_tag(lines["other_tags"].to_numpy(dtype=object), name)
    raise InputError(
        f"The {what} field {name!r} is not in {layer_name(lines)} (fields: "
        f"{', '.join(map(str, [c for c in lines.columns if c != lines.geometry.name]))}).")


def _line_geometries(lines, name, notes, report):
    """Geometries, their type ids, and which rows are lines (missing and non-line features counted)."""
    import shapely

    geoms = np.asarray(lines.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    gtype = shapely.get_type_id(geoms)
    not_line = ~missing & ~np.isin(gtype, [1, 2, 5])
    report["skipped_no_geometry"] = int(missing.sum())
    report["skipped_not_line"] = int(not_line.sum())
    if missing.any():
        notes.append(f"{name}: {int(missing.sum())} features with no geometry left out.")
    if not_line.any():
        notes.append(f"{name}: {int(not_line.sum())} features that are not lines left out.")
    return geoms, gtype, ~missing & ~not_line


def _classes(lines, options: BuildOptions):
    """Road class per line (lower-case text), or None when no class field applies."""
    class_field = options.class_field
    if class_field is None and options.mode is not None and ("highway" in lines.columns):
        class_field = "highway"
    if class_field is None:
        return None
    return norm_text(_column(lines, class_field, "road class"))


def _usable_for_mode_and_filter(lines, classes, keep, options: BuildOptions, name, notes, report):
    """Rows the travel mode (class and access tags) and the filter allow."""
    allowed = np.ones(len(lines), dtype=bool)
    mode = options.mode
    if mode is not None and classes is not None:
        class_field = options.class_field or "highway"
        by_class = np.array([c in MODE_CLASSES[mode] for c in classes], dtype=bool)
        excluded = keep & (~by_class | osm_denied(lines, mode))
        report["skipped_by_mode"] = int(excluded.sum())
        allowed &= ~excluded
        if excluded.any():
            notes.append(f"{name}: {int(excluded.sum())} lines not usable for {mode} (by "
                         f"{class_field!r} class or access tags) left out.")
    if options.filter_field is not None:
        values = norm_text(_column(lines, options.filter_field, "filter"))
        wanted = {str(v).strip().lower() for v in (options.filter_values or [])}
        excluded = keep & allowed & ~np.array([v in wanted for v in values], dtype=bool)
        report["skipped_by_filter"] = int(excluded.sum())
        allowed &= ~excluded
        if excluded.any():
            notes.append(f"{name}: {int(excluded.sum())} lines whose {options.filter_field!r} is not "
                         f"in {sorted(wanted)} left out.")
    return allowed


def _directions(lines, classes, keep, options: BuildOptions, name, notes):
    """``(forward, backward)``: whether each line may be travelled from its first vertex to its
    last, and back."""
    n_in = len(lines)
    forward = np.ones(n_in, dtype=bool)
    backward = np.ones(n_in, dtype=bool)
    mode, default_direction = options.mode, options.default_direction
    if options.osm_oneway and mode != "walk":
        raw = norm_text(_column(lines, "oneway", "oneway")) if (
            "oneway" in lines.columns or "other_tags" in lines.columns) else np.full(n_in, None, object)
        if mode == "cycle" and "other_tags" in lines.columns:
            bike = norm_text(osm_tag(lines["other_tags"].to_numpy(dtype=object), "oneway:bicycle"))
            raw = np.where(bike == "no", "no", raw)
        implied = np.zeros(n_in, dtype=bool)
        if classes is not None:
            implied |= np.isin(classes.astype(str), ["motorway", "motorway_link"])
        if "other_tags" in lines.columns:
            junction = norm_text(osm_tag(lines["other_tags"].to_numpy(dtype=object), "junction"))
            implied |= np.isin(junction.astype(str), ["roundabout", "circular"])
        fwd_mask = np.isin(raw.astype(str), OSM_FORWARD) | (implied & (raw == None))  # noqa: E711
        bwd_mask = np.isin(raw.astype(str), OSM_BACKWARD)
        backward &= ~fwd_mask
        forward &= ~bwd_mask
    elif options.direction_field is not None:
        raw = norm_text(_column(lines, options.direction_field, "direction"))
        fv = {str(v).strip().lower() for v in options.forward_values}
        bv = {str(v).strip().lower() for v in options.backward_values}
        tv = {str(v).strip().lower() for v in options.both_values}
        is_f = np.array([r in fv for r in raw], dtype=bool)
        is_b = np.array([r in bv for r in raw], dtype=bool)
        is_t = np.array([r in tv for r in raw], dtype=bool)
        other = keep & ~(is_f | is_b | is_t)
        if default_direction == "forward":
            is_f |= other
        elif default_direction == "backward":
            is_b |= other
        backward &= ~is_f
        forward &= ~is_b
        if other.any():
            sample = sorted({str(r) for r in raw[other]})[:5]
            notes.append(f"{name}: {int(other.sum())} lines with a {options.direction_field!r} value not "
                         f"listed (e.g. {sample}) taken as {default_direction}.")
    elif default_direction == "forward":
        backward[:] = False
    elif default_direction == "backward":
        forward[:] = False
    return forward, backward


def _speeds(lines, classes, keep, options: BuildOptions, name, notes, report):
    """Speed per line in km/h (NaN where none is usable)."""
    mode, speed_field, default_speed_kmh = options.mode, options.speed_field, options.default_speed_kmh
    speed: np.ndarray = np.full(len(lines), np.nan)
    if mode in ("walk", "cycle") and speed_field is None:
        speed[:] = MODE_SPEEDS_KMH[mode] if default_speed_kmh is None else default_speed_kmh
    else:
        if speed_field is not None:
            speed = parse_maxspeed(_column(lines, speed_field, "speed"))
            bad = keep & np.isnan(speed)
            report["speed_unusable"] = int(bad.sum())
        cs = dict(options.class_speeds_kmh or {})
        if mode == "drive" and not cs:
            cs = dict(OSM_DRIVE_SPEEDS_KMH)
        if cs and classes is not None:
            lookup = {str(k).strip().lower(): float(v) for k, v in cs.items()}
            by_class = np.array([lookup.get(c, np.nan) if c is not None else np.nan for c in classes])
            speed = np.where(np.isnan(speed), by_class, speed)
        if default_speed_kmh is not None:
            if not (default_speed_kmh > 0):
                raise InputError(f"The default speed must be a positive number of km/h, not {default_speed_kmh}.")
            filled = keep & np.isnan(speed)
            if filled.any() and speed_field is not None:
                notes.append(f"{name}: {int(filled.sum())} lines with a null, zero or unparsable "
                             f"speed use the default {default_speed_kmh:g} km/h.")
            speed = np.where(np.isnan(speed), float(default_speed_kmh), speed)
        elif mode == "drive":
            speed = np.where(np.isnan(speed), MODE_SPEEDS_KMH["drive"], speed)
    no_speed = keep & ~(speed > 0)
    report["lines_without_speed"] = int(no_speed.sum())
    if no_speed.any() and (speed_field is not None or options.class_speeds_kmh):
        notes.append(f"{name}: {int(no_speed.sum())} lines have no usable speed (null, zero, "
                     "negative or unparsable) and no default: travel time is unavailable on them.")
    return speed


def _segments(geoms, gtype, keep, forward, backward, speed, classes, crs, tolerance_m, name, notes, report):
    """The edges GeoDataFrame (one row per segment of a kept line) and the node positions."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    n_in = len(geoms)
    rows = np.flatnonzero(keep)
    if (gtype[rows] == 5).any():
        parts, part_row = shapely.get_parts(geoms[rows], return_index=True)
        part_row = rows[part_row]
    else:  # all single lines: no need to split parts
        parts, part_row = geoms[rows], rows
    report["multipart_features"] = int(np.count_nonzero(np.bincount(part_row, minlength=n_in) > 1))
    coords, part_of = shapely.get_coordinates(parts, return_index=True)  # 2D: Z/M dropped
    if shapely.has_z(parts).any():
        notes.append(f"{name}: Z values ignored (costs are planar lengths).")
    starts = np.r_[0, np.flatnonzero(part_of[1:] != part_of[:-1]) + 1]
    ends = np.r_[starts[1:], len(part_of)] - 1
    closed = (ends > starts + 1) & (coords[starts, 0] == coords[ends, 0]) & (coords[starts, 1] == coords[ends, 1])
    report["closed_lines"] = int(np.unique(part_row[part_of[starts[closed]]]).size)
    same_part = part_of[1:] == part_of[:-1]
    a = np.flatnonzero(same_part)
    p0, p1 = coords[a], coords[a + 1]
    seg_row = part_row[part_of[a]]
    seg_len = np.hypot(p1[:, 0] - p0[:, 0], p1[:, 1] - p0[:, 1])

    # Nodes: shared vertices (within tolerance).
    node_xy, inverse = merge_vertices(coords, tolerance_m)
    u = inverse[a]
    v = inverse[a + 1]
    loop = u == v
    report["zero_length_segments"] = int(loop.sum())
    if loop.any():
        notes.append(f"{name}: {int(loop.sum())} zero-length segments (repeated vertices"
                     + (" or vertices closer than the tolerance" if tolerance_m > 0 else "")
                     + ") ignored.")
    ok = ~loop
    u, v, p0, p1, seg_row, seg_len = u[ok], v[ok], p0[ok], p1[ok], seg_row[ok], seg_len[ok]
    # A line whose every segment was dropped is accounted for here.
    report["lines_used"] = int(np.unique(seg_row).size)
    report["lines_zero_length"] = int(keep.sum()) - report["lines_used"]
    if len(u) == 0:
        raise InputError(f"{name} has no line with a non-zero length: no network can be built.")
    used_nodes, node_inverse = np.unique(np.concatenate([u, v]), return_inverse=True)
    node_xy = node_xy[used_nodes]
    u, v = node_inverse[: len(u)], node_inverse[len(u):]

    sp = speed[seg_row]
    time_s = np.where(sp > 0, seg_len / (np.where(sp > 0, sp, 1.0) / 3.6), np.nan)
    fw, bw = forward[seg_row], backward[seg_row]
    n_e = len(u)
    edges = gpd.GeoDataFrame({
        "edge_id": np.arange(n_e, dtype=np.int64),
        "u": u.astype(np.int64), "v": v.astype(np.int64),
        "length_m": seg_len, "time_s": time_s, "speed_kmh": sp,
        "forward": fw, "backward": bw, "oneway": fw != bw,
        "source_row": seg_row.astype(np.int64),
    }, geometry=shapely.linestrings(np.stack([p0, p1], axis=1)), crs=crs)
    if classes is not None:
        edges["road_class"] = pd.array(classes[seg_row], dtype="string")
    return edges, node_xy


def merge_vertices(coords: np.ndarray, tolerance_m: float):
    """Unique node positions and the node of each vertex. With a tolerance, vertices closer
    than it are chained into one node, placed at its first vertex."""
    if len(coords) == 0:
        return np.zeros((0, 2)), np.zeros(0, np.int64)
    c = np.ascontiguousarray(coords[:, :2], dtype=float) + 0.0  # -0.0 → 0.0
    order = np.lexsort((c[:, 1], c[:, 0]))  # stable: equal points keep input order
    sc = c[order]
    new = np.r_[True, (sc[1:] != sc[:-1]).any(axis=1)]
    inverse = np.empty(len(c), np.int64)
    inverse[order] = np.cumsum(new) - 1
    first = order[new]  # the first vertex (in input order) of each distinct point
    xy = c[first]
    if tolerance_m and tolerance_m > 0 and len(xy) > 1:
        import scipy.sparse as sp
        from scipy.sparse.csgraph import connected_components
        from scipy.spatial import cKDTree

        pairs = cKDTree(xy).query_pairs(r=tolerance_m, output_type="ndarray")
        if len(pairs):
            m = len(xy)
            g = sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
            _, label = connected_components(g, directed=False)
            # Representative: the cluster member met first in the input.
            order = np.argsort(first, kind="stable")
            rep = np.full(label.max() + 1, -1)
            seen = label[order]
            firsts = np.unique(seen, return_index=True)[1]
            rep[seen[firsts]] = order[firsts]
            xy = xy[rep]
            inverse = label[inverse]
    return xy, inverse

