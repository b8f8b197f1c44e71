"""A routable transport network built from line features, and the searches on it.

Topology follows QGIS's own network analysis (``QgsVectorLayerDirector``) so that results
agree on the same data:

- every vertex of every line is a node, and every straight segment between two consecutive
  vertices is an edge (``net.edges``, one row per segment, with ``source_row`` naming the input
  feature it came from);
- lines that share a vertex (within ``tolerance_m``) are connected; lines that cross without a
  shared vertex (bridges, tunnels) are not;
- a point is snapped to the nearest point on the nearest usable edge (not the nearest vertex)
  and the edge's cost is split there, in proportion to length; costs are counted from snapped
  point to snapped point (the access leg from the point to the street is reported as
  ``snap_dist_m`` and only added on request by the callers).

Searches from many sources run in compiled code: ``scipy.sparse.csgraph.dijkstra`` over a
CSR graph, one call per chunk of sources with a cancel check between chunks. The snapped
points are added to the graph as virtual nodes (an origin as a source node with arcs to both
ends of its edge, a destination as a sink node with arcs from both ends), so a whole origin ×
destination matrix is one multi-source search, never a Python loop over nodes.

Units: coordinates and ``length_m`` in metres of the network's projected CRS; ``time_s`` in
seconds; speeds in km/h.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .errors import EngineError, InputError, as_feedback

WEIGHTS = ("length", "time")
MODES = ("walk", "cycle", "drive")

# --- OpenStreetMap presets ----------------------------------------------------------------
# Values of OSM's ``oneway`` tag (case-insensitive).
OSM_FORWARD = ("yes", "true", "1")
OSM_BACKWARD = ("-1", "reverse")
OSM_BOTH = ("no", "false", "0")
# Generic direction values used when a direction field is given without its own values.
DEFAULT_FORWARD = ("yes", "true", "1", "forward", "ft", "f")
DEFAULT_BACKWARD = ("-1", "reverse", "backward", "tf", "t")
DEFAULT_BOTH = ("no", "false", "0", "both", "b", "")

# Typical speeds by OSM highway class (km/h), for driving where ``maxspeed`` is missing.
# Urban Finnish/European defaults; override with ``class_speeds_kmh``.
OSM_DRIVE_SPEEDS_KMH = {
    "motorway": 100.0, "motorway_link": 60.0, "trunk": 80.0, "trunk_link": 50.0,
    "primary": 50.0, "primary_link": 40.0, "secondary": 50.0, "secondary_link": 40.0,
    "tertiary": 40.0, "tertiary_link": 30.0, "unclassified": 40.0, "residential": 30.0,
    "living_street": 10.0, "service": 20.0, "road": 30.0, "track": 20.0,
}
# Classes each travel mode may use (OSM highway values). Lines whose class is not listed
# (including lines with no class: rivers, railways, barriers) are left out of the network.
_FOOT = {"footway", "pedestrian", "path", "steps", "corridor", "elevator", "living_street",
         "track", "bridleway", "platform", "trail", "crossing"}
_STREETS = {"primary", "primary_link", "secondary", "secondary_link", "tertiary",
            "tertiary_link", "unclassified", "residential", "service", "road", "living_street"}
MODE_CLASSES = {
    "walk": _FOOT | _STREETS | {"trunk", "trunk_link", "cycleway"},
    "cycle": (_FOOT - {"steps", "elevator", "corridor", "platform"}) | _STREETS
    | {"cycleway", "trunk", "trunk_link"},
    "drive": set(OSM_DRIVE_SPEEDS_KMH),
}
MODE_SPEEDS_KMH = {"walk": 5.0, "cycle": 15.0, "drive": 30.0}
# OSM ``maxspeed`` words (km/h). Country codes such as "FI:urban" are handled by suffix.
MAXSPEED_WORDS = {"walk": 5.0, "living_street": 10.0, "urban": 50.0, "rural": 80.0,
                  "motorway": 120.0, "trunk": 100.0}
MPH_KMH = 1.609344


def parse_maxspeed(values) -> np.ndarray:
    """OSM ``maxspeed`` values (or plain numbers) → km/h as floats, NaN where unparsable.

    Understands "50", "50 km/h", "30 mph", "walk", "FI:urban", "50;40" (first value),
    numbers; "none", "signals", "variable", empty and null give NaN. Zero and negative give NaN.
    """
    import pandas as pd

    s = pd.Series(values, dtype=object)
    out = pd.to_numeric(s, errors="coerce").astype(float)
    text = s[out.isna() & s.notna()].astype(str).str.strip().str.lower()
    if len(text):
        first = text.str.split(";").str[0].str.strip()
        m = first.str.extract(r"^(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph)?$")
        num = pd.to_numeric(m[0].str.replace(",", "."), errors="coerce")
        num = num.where(m[1] != "mph", num * MPH_KMH)
        word = first.str.split(":").str[-1]
        num = num.fillna(word.map(MAXSPEED_WORDS))
        out.loc[text.index] = num.astype(float)
    arr = np.array(out.to_numpy(dtype=float), dtype=float)
    arr[~(arr > 0)] = np.nan
    return arr


def osm_tag(other_tags, key: str):
    """Values of one key from OSM's hstore-like ``other_tags`` text (``"k"=>"v","k2"=>"v2"``),
    as an object array (None where absent). Vectorised over the whole column."""
    import pandas as pd

    s = pd.Series(other_tags, dtype=object)
    pattern = r'(?:^|,)"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"'
    got = s.astype("string").str.extract(pattern)[0]
    return got.astype(object).where(got.notna(), None).to_numpy()


def _column(lines, name: str, what: str):
    """A field of the lines, or the OSM tag of that name from ``other_tags``."""
    if name in lines.columns:
        return lines[name].to_numpy(dtype=object)
    if "other_tags" in lines.columns:
        return osm_tag(lines["other_tags"].to_numpy(dtype=object), name)
    raise InputError(
        f"The {what} field {name!r} is not in {_name(lines)} (fields: "
        f"{', '.join(map(str, [c for c in lines.columns if c != lines.geometry.name]))}).")


def _norm_text(values) -> np.ndarray:
    """Values as lower-case stripped strings; None stays None; 1.0 → '1'."""
    import pandas as pd

    out = np.empty(len(values), dtype=object)
    missing = pd.isna(pd.Series(values, dtype=object)).to_numpy()
    for i, v in enumerate(values):  # runs once per input line at build, not on a search path
        if missing[i]:
            out[i] = None
        elif isinstance(v, (float, np.floating)) and float(v).is_integer():
            out[i] = str(int(v))
        else:
            out[i] = str(v).strip().lower()
    return out


def _name(gdf) -> str:
    return gdf.attrs.get("source_name", "the network layer")


# --- snapped points ---------------------------------------------------------------------------
@dataclass
class Snap:
    """Points snapped to a network: one entry per input point, in input order.

    ``edge`` is the edge index (row of ``net.edges``), -1 when the point is not on the network
    (no geometry, or farther than ``max_snap_m``); ``fraction`` is the position along the edge
    from its ``u`` end (0..1); ``snap_dist_m`` the distance from the point to the network (NaN
    for a point with no geometry); ``x``/``y`` the snapped position.
    """

    edge: np.ndarray
    fraction: np.ndarray
    snap_dist_m: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    @property
    def on_network(self) -> np.ndarray:
        return self.edge >= 0

    def take(self, index) -> "Snap":
        index = np.atleast_1d(np.asarray(index))
        return Snap(self.edge[index], self.fraction[index], self.snap_dist_m[index],
                    self.x[index], self.y[index])


@dataclass
class Route:
    cost: float
    length_m: float
    time_s: float
    edges: list
    geometry: object  # shapely LineString, None when unreachable


# --- the network ------------------------------------------------------------------------------
@dataclass
class Network:
    """A routable network. Build with :meth:`from_lines` (or :meth:`load` a saved one).

    Attributes: ``crs`` (projected, metres), ``node_xy`` (n, 2), ``edges`` (GeoDataFrame, one
    row per segment: ``edge_id, u, v, length_m, time_s, forward, backward, oneway,
    source_row, component``), ``component`` (weakly connected component id per node, 0 = the
    largest), ``graphs`` (weight → CSR matrix of directed arcs, parallel arcs reduced to the
    cheapest), ``notes`` (what was done to the input, for the log), ``report`` (counts).
    """

    crs: object
    node_xy: np.ndarray
    edges: object
    component: np.ndarray
    notes: list = field(default_factory=list)
    report: dict = field(default_factory=dict)
    graphs: dict = field(default_factory=dict)
    _arc_edge: dict = field(default_factory=dict, repr=False)
    _tree: object = field(default=None, repr=False)
    _incidence_cache: object = field(default=None, repr=False)

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_lines(cls, lines_gdf, *, tolerance_m: float = 0.0, direction_field: Optional[str] = None,
                   forward_values=DEFAULT_FORWARD, backward_values=DEFAULT_BACKWARD,
                   both_values=DEFAULT_BOTH, default_direction: str = "both", osm_oneway: bool = False,
                   speed_field: Optional[str] = None, default_speed_kmh: Optional[float] = None,
                   class_field: Optional[str] = None, class_speeds_kmh: Optional[dict] = None,
                   mode: Optional[str] = None, filter_field: Optional[str] = None,
                   filter_values=None, feedback=None) -> "Network":
        """Build a network from a line layer.

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

        Raises ``InputError`` for an empty layer, no line geometry, a missing field, or a
        travel-time network where some lines have no usable speed and no default is given.
        """
        import geopandas as gpd
        import pandas as pd
        import shapely

        from .crs import ensure_projected

        fb = as_feedback(feedback)
        name = _name(lines_gdf)
        if mode is not None and mode not in MODES:
            raise InputError(f"Unknown travel mode {mode!r}; use one of {', '.join(MODES)}.")
        if default_direction not in ("both", "forward", "backward"):
            raise InputError(f"default_direction must be 'both', 'forward' or 'backward', not {default_direction!r}.")
        if lines_gdf is None or len(lines_gdf) == 0:
            raise InputError(f"{name} is empty: a network needs at least one line.")
        if tolerance_m is None or tolerance_m < 0 or not np.isfinite(tolerance_m):
            raise InputError(f"The topology tolerance must be zero or a positive number of metres, not {tolerance_m}.")
        notes, report = [], {"input_features": int(len(lines_gdf))}
        lines, crs, note = ensure_projected(lines_gdf, what=name)
        if note:
            notes.append(note)
        n_in = len(lines)
        keep = np.ones(n_in, dtype=bool)
        geoms = np.asarray(lines.geometry.values, dtype=object)
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        gtype = shapely.get_type_id(geoms)
        not_line = ~missing & ~np.isin(gtype, [1, 2, 5])
        keep &= ~missing & ~not_line
        report["skipped_no_geometry"] = int(missing.sum())
        report["skipped_not_line"] = int(not_line.sum())
        if missing.any():
            notes.append(f"{name}: {int(missing.sum())} features with no geometry left out.")
        if not_line.any():
            notes.append(f"{name}: {int(not_line.sum())} features that are not lines left out.")

        # --- mode and filters ----------------------------------------------------------------
        classes = None
        if class_field is None and mode is not None and ("highway" in lines.columns):
            class_field = "highway"
        if class_field is not None:
            classes = _norm_text(_column(lines, class_field, "road class"))
        if mode is not None and classes is not None:
            allowed = np.array([c in MODE_CLASSES[mode] for c in classes], dtype=bool)
            denied = _osm_denied(lines, mode)
            excluded = keep & (~allowed | denied)
            report["skipped_by_mode"] = int(excluded.sum())
            keep &= ~excluded
            if excluded.any():
                notes.append(f"{name}: {int(excluded.sum())} lines not usable for {mode} (by "
                             f"{class_field!r} class or access tags) left out.")
        if filter_field is not None:
            values = _norm_text(_column(lines, filter_field, "filter"))
            wanted = {str(v).strip().lower() for v in (filter_values or [])}
            excluded = keep & ~np.array([v in wanted for v in values], dtype=bool)
            report["skipped_by_filter"] = int(excluded.sum())
            keep &= ~excluded
            if excluded.any():
                notes.append(f"{name}: {int(excluded.sum())} lines whose {filter_field!r} is not "
                             f"in {sorted(wanted)} left out.")
        if not keep.any():
            raise InputError(f"{name} has no usable lines for the network "
                             f"({n_in} features: {report}).")

        # --- direction per input row --------------------------------------------------------
        forward = np.ones(n_in, dtype=bool)
        backward = np.ones(n_in, dtype=bool)
        if osm_oneway and mode != "walk":
            raw = _norm_text(_column(lines, "oneway", "oneway")) if (
                "oneway" in lines.columns or "other_tags" in lines.columns) else np.full(n_in, None, object)
            if mode == "cycle" and "other_tags" in lines.columns:
                bike = _norm_text(osm_tag(lines["other_tags"].to_numpy(dtype=object), "oneway:bicycle"))
                raw = np.where(bike == "no", "no", raw)
            implied = np.zeros(n_in, dtype=bool)
            if classes is not None:
                implied |= np.isin(classes.astype(str), ["motorway", "motorway_link"])
            if "other_tags" in lines.columns:
                junction = _norm_text(osm_tag(lines["other_tags"].to_numpy(dtype=object), "junction"))
                implied |= np.isin(junction.astype(str), ["roundabout", "circular"])
            fwd_mask = np.isin(raw.astype(str), OSM_FORWARD) | (implied & (raw == None))  # noqa: E711
            bwd_mask = np.isin(raw.astype(str), OSM_BACKWARD)
            backward &= ~fwd_mask
            forward &= ~bwd_mask
        elif direction_field is not None:
            raw = _norm_text(_column(lines, direction_field, "direction"))
            fv = {str(v).strip().lower() for v in forward_values}
            bv = {str(v).strip().lower() for v in backward_values}
            tv = {str(v).strip().lower() for v in both_values}
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
                notes.append(f"{name}: {int(other.sum())} lines with a {direction_field!r} value not "
                             f"listed (e.g. {sample}) taken as {default_direction}.")
        elif default_direction == "forward":
            backward[:] = False
        elif default_direction == "backward":
            forward[:] = False

        # --- speed per input row --------------------------------------------------------------
        speed = np.full(n_in, np.nan)
        if mode in ("walk", "cycle") and speed_field is None:
            speed[:] = MODE_SPEEDS_KMH[mode] if default_speed_kmh is None else default_speed_kmh
        else:
            if speed_field is not None:
                speed = parse_maxspeed(_column(lines, speed_field, "speed"))
                bad = keep & np.isnan(speed)
                report["speed_unusable"] = int(bad.sum())
            cs = dict(class_speeds_kmh or {})
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
        if no_speed.any() and (speed_field is not None or class_speeds_kmh):
            notes.append(f"{name}: {int(no_speed.sum())} lines have no usable speed (null, zero, "
                         "negative or unparsable) and no default: travel time is unavailable on them.")
        fb.set_progress(0.2)
        fb.check()

        # --- segments -------------------------------------------------------------------------
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

        # --- nodes: shared vertices (within tolerance) ---------------------------------------
        node_xy, inverse = _merge_vertices(coords, tolerance_m)
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
        fb.set_progress(0.6)
        fb.check()
        net = cls(crs=crs, node_xy=node_xy, edges=edges, component=np.zeros(len(node_xy), np.int64),
                  notes=notes, report=report)
        net._finish()
        fb.set_progress(1.0)
        return net

    def _finish(self) -> None:
        """Graphs per weight, components, counts (shared by from_lines and load)."""
        from scipy.sparse.csgraph import connected_components

        e = self.edges
        u = e["u"].to_numpy(np.int64)
        v = e["v"].to_numpy(np.int64)
        fw = e["forward"].to_numpy(bool)
        bw = e["backward"].to_numpy(bool)
        n = len(self.node_xy)
        src = np.concatenate([u[fw], v[bw]])
        dst = np.concatenate([v[fw], u[bw]])
        eid = np.concatenate([np.flatnonzero(fw), np.flatnonzero(bw)])
        for weight, col in (("length", "length_m"), ("time", "time_s")):
            cost = e[col].to_numpy(float)[eid]
            usable = np.isfinite(cost)
            if weight == "time" and not usable.any():
                continue
            negative = np.unique(eid[usable][cost[usable] < 0])
            if len(negative):
                raise InputError(f"Negative {col} on {len(negative)} edges (e.g. edge_id {negative[0]}): "
                                 "costs must be zero or positive. Rebuild the network from its lines.")
            graph, arc_edge = _csr_min(src[usable], dst[usable], cost[usable], eid[usable], n)
            self.graphs[weight] = graph
            self._arc_edge[weight] = arc_edge
        count, labels = connected_components(self.graphs["length"], directed=True, connection="weak")
        sizes = np.bincount(labels, minlength=count)
        order = np.argsort(-sizes, kind="stable")  # 0 = largest
        rank = np.empty(count, np.int64)
        rank[order] = np.arange(count)
        self.component = rank[labels]
        self.edges["component"] = self.component[u]
        self.report.update(nodes=int(n), edges=int(len(e)), components=int(count),
                           largest_component_nodes=int(sizes.max()),
                           oneway_edges=int((fw != bw).sum()))
        self._tree = None
        self._incidence_cache = None

    # -- conversions ------------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    def to_networkx(self, weight: str = "length"):
        """The network as a ``networkx.MultiDiGraph`` (node ids = rows of ``node_xy``; each
        arc carries ``edge_id``, ``length_m``, ``time_s``). For inspection and small
        networks; searches use the CSR graphs."""
        import networkx as nx

        g = nx.MultiDiGraph()
        g.add_nodes_from((i, {"x": float(x), "y": float(y), "component": int(c)})
                         for i, ((x, y), c) in enumerate(zip(self.node_xy, self.component)))
        e = self.edges
        for row in e[["edge_id", "u", "v", "length_m", "time_s", "forward", "backward"]].itertuples(index=False):
            attrs = {"edge_id": int(row.edge_id), "length_m": float(row.length_m), "time_s": float(row.time_s)}
            if row.forward:
                g.add_edge(int(row.u), int(row.v), **attrs)
            if row.backward:
                g.add_edge(int(row.v), int(row.u), **attrs)
        return g

    def nodes_gdf(self):
        import geopandas as gpd
        import shapely

        return gpd.GeoDataFrame({"node_id": np.arange(self.n_nodes, dtype=np.int64),
                                 "component": self.component},
                                geometry=shapely.points(self.node_xy), crs=self.crs)

    # -- save / load --------------------------------------------------------------------------
    EDGE_FIELDS = ("edge_id", "u", "v", "length_m", "time_s", "forward", "backward")

    def save(self, path: str) -> None:
        """Write the network as a GeoPackage with layers ``edges`` and ``nodes`` (ids, costs,
        directions, component) so it can be reused with :meth:`load` or :meth:`from_edges`."""
        import pyogrio

        edges = self.edges.copy()
        for col in ("forward", "backward", "oneway"):
            edges[col] = edges[col].astype(np.int8)
        pyogrio.write_dataframe(edges, path, layer="edges", driver="GPKG")
        pyogrio.write_dataframe(self.nodes_gdf(), path, layer="nodes", driver="GPKG", append=False)

    @classmethod
    def load(cls, path: str) -> "Network":
        import pyogrio

        try:
            edges = pyogrio.read_dataframe(path, layer="edges")
            nodes = pyogrio.read_dataframe(path, layer="nodes")
        except Exception as exc:
            raise InputError(f"{path} is not a saved JoinedUp network (layers 'edges' and 'nodes'): {exc}")
        edges.attrs["source_name"] = path
        return cls.from_edges(edges, nodes=nodes)

    @staticmethod
    def is_saved_network(gdf) -> bool:
        return all(c in gdf.columns for c in Network.EDGE_FIELDS)

    @classmethod
    def from_edges(cls, edges, *, nodes=None) -> "Network":
        """Rebuild a network from its saved ``edges`` layer (fields ``edge_id, u, v, length_m,
        time_s, forward, backward``); node positions come from ``nodes`` or the edge ends."""
        import shapely

        from .crs import ensure_projected

        missing = [c for c in cls.EDGE_FIELDS if c not in edges.columns]
        if missing:
            raise InputError(f"{_name(edges)} is not a saved JoinedUp network: fields {missing} are missing.")
        if len(edges) == 0:
            raise InputError(f"{_name(edges)} is empty: a network needs at least one edge.")
        edges, crs, note = ensure_projected(edges, what=_name(edges))
        edges = edges.sort_values("edge_id").reset_index(drop=True)
        if edges["edge_id"].duplicated().any():
            raise InputError(f"{_name(edges)}: duplicate edge_id values; the saved network is damaged.")
        edges["edge_id"] = np.arange(len(edges), dtype=np.int64)
        u = edges["u"].to_numpy(np.int64)
        v = edges["v"].to_numpy(np.int64)
        n = int(max(u.max(), v.max())) + 1
        xy = np.full((n, 2), np.nan)
        if nodes is not None and len(nodes):
            ids = nodes["node_id"].to_numpy(np.int64)
            inside = ids < n
            xy[ids[inside]] = shapely.get_coordinates(nodes.geometry.values)[inside]
        ends = shapely.get_coordinates(shapely.boundary(edges.geometry.values))
        if len(ends) == 2 * len(edges):
            xy[u] = np.where(np.isnan(xy[u]), ends[0::2], xy[u])
            xy[v] = np.where(np.isnan(xy[v]), ends[1::2], xy[v])
        for col in ("forward", "backward"):
            edges[col] = edges[col].astype(bool)
        edges["oneway"] = edges["forward"] != edges["backward"]
        if "source_row" not in edges.columns:
            edges["source_row"] = edges["edge_id"]
        net = cls(crs=crs, node_xy=np.nan_to_num(xy), edges=edges, component=np.zeros(n, np.int64),
                  notes=[note] if note else [], report={"input_features": int(len(edges))})
        net._finish()
        return net

    # -- snapping -----------------------------------------------------------------------------
    def _strtree(self):
        import shapely

        if self._tree is None:
            self._tree = shapely.STRtree(self.edges.geometry.values)
        return self._tree

    def _points_array(self, points):
        """Accept a GeoDataFrame/GeoSeries (reprojected to the network's CRS), an array of
        shapely points, or an (n, 2) coordinate array."""
        import shapely

        if hasattr(points, "geometry") or hasattr(points, "crs"):
            if getattr(points, "crs", None) is not None and not points.crs.equals(self.crs):
                points = points.to_crs(self.crs)
            geoms = np.asarray(points.geometry.values if hasattr(points, "geometry") else points.values,
                               dtype=object)
        else:
            arr = np.asarray(points)
            if arr.dtype != object and arr.ndim == 2 and arr.shape[1] >= 2:
                geoms = shapely.points(arr[:, :2])
            else:
                geoms = np.asarray(arr, dtype=object).reshape(-1)
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        # Multipoints and other shapes snap by their centroid's nearest point on a line
        # would be surprising: use their first point (a multipoint of one is common in exports).
        multi = np.flatnonzero(~missing & (shapely.get_type_id(np.where(missing, None, geoms)) != 0))
        if multi.size:
            geoms = geoms.copy()
            first = np.array([shapely.get_coordinates(g)[0] for g in geoms[multi]])
            geoms[multi] = shapely.points(first)
        return geoms, missing

    def snap(self, points, *, max_snap_m: Optional[float] = None) -> Snap:
        """Snap points to the nearest point on the nearest edge. Points with no geometry, or
        farther than ``max_snap_m``, get ``edge = -1`` (their distance is still reported)."""
        import shapely

        geoms, missing = self._points_array(points)
        n = len(geoms)
        edge = np.full(n, -1, np.int64)
        frac = np.full(n, np.nan)
        dist = np.full(n, np.nan)
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
        have = np.flatnonzero(~missing)
        if have.size:
            tree = self._strtree()
            (qi, ti), d = tree.query_nearest(geoms[have], return_distance=True, all_matches=False)
            # all_matches=False still returns one row per input; keep the first for safety.
            first = np.unique(qi, return_index=True)[1]
            qi, ti, d = qi[first], ti[first], d[first]
            idx = have[qi]
            lines = self.edges.geometry.values[ti]
            lines = np.asarray(lines, dtype=object)
            f = shapely.line_locate_point(lines, geoms[idx], normalized=True)
            p = shapely.line_interpolate_point(lines, f, normalized=True)
            xy = shapely.get_coordinates(p)
            edge[idx], frac[idx], dist[idx] = ti, np.clip(f, 0.0, 1.0), d
            x[idx], y[idx] = xy[:, 0], xy[:, 1]
            if max_snap_m is not None:
                far = idx[d > max_snap_m]
                edge[far] = -1
        return Snap(edge, frac, dist, x, y)

    def candidates(self, points, *, radius_m: float, k: int = 5):
        """Edges within ``radius_m`` of each point, at most ``k`` per point, nearest first:
        arrays ``(point_index, edge_index, distance_m, fraction)`` sorted by point then
        distance. For map matching."""
        import shapely

        geoms, missing = self._points_array(points)
        have = np.flatnonzero(~missing)
        if not have.size:
            empty = np.zeros(0, np.int64)
            return empty, empty.copy(), np.zeros(0), np.zeros(0)
        tree = self._strtree()
        qi, ti = tree.query(geoms[have], predicate="dwithin", distance=radius_m)
        pi = have[qi]
        lines = np.asarray(self.edges.geometry.values, dtype=object)[ti]
        d = shapely.distance(geoms[pi], lines)
        order = np.lexsort((ti, d, pi))
        pi, ti, d = pi[order], ti[order], d[order]
        start = np.r_[0, np.flatnonzero(pi[1:] != pi[:-1]) + 1]
        rank = np.arange(len(pi)) - np.repeat(start, np.diff(np.r_[start, len(pi)]))
        sel = rank < k
        pi, ti, d = pi[sel], ti[sel], d[sel]
        f = shapely.line_locate_point(lines[order][sel], geoms[pi], normalized=True)
        return pi.astype(np.int64), ti.astype(np.int64), d, np.clip(f, 0.0, 1.0)

    # -- searches -----------------------------------------------------------------------------
    def _weight(self, weight: str):
        if weight not in WEIGHTS:
            raise InputError(f"Unknown cost {weight!r}; use 'length' or 'time'.")
        if weight not in self.graphs:
            raise InputError("Travel time is not available on this network: no line has a usable "
                             "speed. Give a speed field, class speeds or a default speed.")
        return self.graphs[weight], self._arc_edge[weight]

    def edge_cost(self, weight: str) -> np.ndarray:
        return self.edges["length_m" if weight == "length" else "time_s"].to_numpy(float)

    def _augmented(self, origins: Snap, destinations: Snap, weight: str, same_edge: bool = True):
        """The graph with origins as source nodes (ids N..N+no-1) and destinations as sink nodes
        (N+no..N+no+nd-1). Only snapped points get arcs."""
        graph, _ = self._weight(weight)
        n = self.n_nodes
        no, nd = len(origins), len(destinations)
        cost = self.edge_cost(weight)
        u = self.edges["u"].to_numpy(np.int64)
        v = self.edges["v"].to_numpy(np.int64)
        fw = self.edges["forward"].to_numpy(bool)
        bw = self.edges["backward"].to_numpy(bool)
        rows, cols, data, eids = [], [], [], []
        oi = np.flatnonzero(origins.edge >= 0)
        oi = oi[np.isfinite(cost[origins.edge[oi]])]
        e, f = origins.edge[oi], origins.fraction[oi]
        c = cost[e]
        m = fw[e]
        rows.append(n + oi[m]); cols.append(v[e[m]]); data.append((1 - f[m]) * c[m]); eids.append(e[m])
        m = bw[e]
        rows.append(n + oi[m]); cols.append(u[e[m]]); data.append(f[m] * c[m]); eids.append(e[m])
        di = np.flatnonzero(destinations.edge >= 0)
        di = di[np.isfinite(cost[destinations.edge[di]])]
        e, g = destinations.edge[di], destinations.fraction[di]
        c = cost[e]
        m = fw[e]
        rows.append(u[e[m]]); cols.append(n + no + di[m]); data.append(g[m] * c[m]); eids.append(e[m])
        m = bw[e]
        rows.append(v[e[m]]); cols.append(n + no + di[m]); data.append((1 - g[m]) * c[m]); eids.append(e[m])
        if same_edge and len(oi) and len(di):
            # Origin and destination on the same edge: the direct way along it.
            po, pd_ = _pairs_on_same_edge(origins.edge[oi], destinations.edge[di])
            if len(po):
                o, d = oi[po], di[pd_]
                e = origins.edge[o]
                fo, gd = origins.fraction[o], destinations.fraction[d]
                c = cost[e]
                m = fw[e] & (gd >= fo)
                rows.append(n + o[m]); cols.append(n + no + d[m]); data.append((gd[m] - fo[m]) * c[m]); eids.append(e[m])
                m = bw[e] & (gd <= fo)
                rows.append(n + o[m]); cols.append(n + no + d[m]); data.append((fo[m] - gd[m]) * c[m]); eids.append(e[m])
        r = np.concatenate(rows).astype(np.int64)
        cc = np.concatenate(cols).astype(np.int64)
        dd = np.maximum(np.concatenate(data), 0.0)
        total = n + no + nd
        ee = np.concatenate(eids).astype(np.int64)
        extra, extra_edge = _csr_min(r, cc, dd, ee, total)
        _, base_edge = self._weight(weight)
        aug, arc_edge = _csr_stack(graph, extra, total, base_edge, extra_edge)
        return aug, oi, di, arc_edge

    def cost_matrix(self, origins: Snap, destinations: Snap, *, weight: str = "length",
                    max_cost: Optional[float] = None, feedback=None, secondary: Optional[str] = None,
                    chunk_memory_mb: float = 256.0):
        """Network cost from every origin to every destination: float array (n_o, n_d), inf
        where unreachable (different component, one-ways, beyond ``max_cost``, or a point not
        on the network). Searches run from the smaller side (on the reversed graph when there
        are fewer destinations), in chunks with progress and cancel between them.

        ``secondary`` ('length' or 'time'): also return that quantity measured along the same
        best routes, as ``(cost, secondary)`` (e.g. the distance of the quickest route),
        accumulated over each search's shortest-path tree in compiled array code.
        """
        from scipy.sparse.csgraph import dijkstra

        fb = as_feedback(feedback)
        no, nd = len(origins), len(destinations)
        out = np.full((no, nd), np.inf)
        out2 = np.full((no, nd), np.nan) if secondary else None
        result = (out, out2) if secondary else out
        if no == 0 or nd == 0:
            return result
        graph, oi, di, arc_edge = self._augmented(origins, destinations, weight)
        sec = None
        if secondary:
            if secondary not in WEIGHTS:
                raise InputError(f"Unknown secondary cost {secondary!r}; use 'length' or 'time'.")
            w1, w2 = self.edge_cost(weight), self.edge_cost(secondary)
            ratio = np.where(w1 > 0, w2 / np.where(w1 > 0, w1, 1.0), 0.0)
            sec = graph.copy()
            sec.data = graph.data * ratio[arc_edge]
        n = self.n_nodes
        reverse = len(di) < len(oi)
        if reverse:
            graph = graph.T.tocsr()
            if sec is not None:
                sec = sec.T.tocsr()
            sources, src_ids = n + no + di, di
            targets, tgt_ids = n + oi, oi
        else:
            sources, src_ids = n + oi, oi
            targets, tgt_ids = n + no + di, di
        if len(sources) == 0 or len(targets) == 0:
            fb.set_progress(1.0)
            return result
        total = graph.shape[0]
        per_row = 8.0 * total * (4 if secondary else 1)
        chunk = int(max(1, min(1024, chunk_memory_mb * 2**20 / per_row)))
        limit = np.inf if max_cost is None else float(max_cost)
        keys = None
        if sec is not None:
            rows = np.repeat(np.arange(total, dtype=np.int64), np.diff(sec.indptr))
            keys = rows * total + sec.indices
            order = np.argsort(keys, kind="stable")
            keys, sec_data = keys[order], sec.data[order]
        for start in range(0, len(sources), chunk):
            fb.check()
            stop = min(start + chunk, len(sources))
            if sec is None:
                dist = dijkstra(graph, directed=True, indices=sources[start:stop], limit=limit)
                block2 = None
            else:
                dist, pred = dijkstra(graph, directed=True, indices=sources[start:stop], limit=limit,
                                      return_predecessors=True)
                block2 = _tree_sums(pred, keys, sec_data, total)[:, targets]
            block = dist[:, targets]
            if reverse:
                out[np.ix_(tgt_ids, src_ids[start:stop])] = block.T
                if block2 is not None:
                    out2[np.ix_(tgt_ids, src_ids[start:stop])] = block2.T
            else:
                out[np.ix_(src_ids[start:stop], tgt_ids)] = block
                if block2 is not None:
                    out2[np.ix_(src_ids[start:stop], tgt_ids)] = block2
            fb.set_progress(stop / len(sources))
        if max_cost is not None:
            out[out > max_cost] = np.inf
        if out2 is not None:
            out2[~np.isfinite(out)] = np.nan
        return result

    def routes(self, origins: Snap, destinations: Snap, pairs, *, weight: str = "length",
               feedback=None) -> list:
        """Shortest routes for ``pairs`` (array (k, 2) of origin index, destination index):
        a list of :class:`Route` in the order of ``pairs`` (cost inf and geometry None when
        unreachable). One search per distinct origin."""
        import shapely
        from scipy.sparse.csgraph import dijkstra

        fb = as_feedback(feedback)
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        result = [None] * len(pairs)
        if not len(pairs):
            return result
        graph, oi, di, _ = self._augmented(origins, destinations, weight)
        _, arc_edge = self._weight(weight)
        base = self.graphs[weight]
        n, no = self.n_nodes, len(origins)
        length = self.edges["length_m"].to_numpy(float)
        time_s = self.edges["time_s"].to_numpy(float)
        pace = np.where(length > 0, time_s / np.where(length > 0, length, 1.0), 0.0)
        uniq = np.unique(pairs[:, 0])
        for count, o in enumerate(uniq):
            if count % 16 == 0:
                fb.check()
                fb.set_progress(count / len(uniq))
            rows = np.flatnonzero(pairs[:, 0] == o)
            if origins.edge[o] < 0:
                for r in rows:
                    result[r] = Route(np.inf, np.nan, np.nan, [], None)
                continue
            dist, pred = dijkstra(graph, directed=True, indices=n + o, return_predecessors=True)
            for r in rows:
                d = pairs[r, 1]
                target = n + no + d
                if destinations.edge[d] < 0 or not np.isfinite(dist[target]):
                    result[r] = Route(np.inf, np.nan, np.nan, [], None)
                    continue
                chain = [target]
                while chain[-1] != n + o:
                    chain.append(pred[chain[-1]])
                    if chain[-1] < 0:
                        raise EngineError("Internal error: broken predecessor chain in a route.")
                chain = chain[::-1]
                inner = np.asarray(chain[1:-1], dtype=np.int64)
                eo, ed = int(origins.edge[o]), int(destinations.edge[d])
                if len(inner) == 0:
                    edge_list = [eo]
                    pts = [(origins.x[o], origins.y[o]), (destinations.x[d], destinations.y[d])]
                else:
                    mid = _arc_edges(base, arc_edge, inner[:-1], inner[1:]) if len(inner) > 1 else []
                    edge_list = [eo] + [int(x) for x in mid] + [ed]
                    pts = [(origins.x[o], origins.y[o])] + [tuple(p) for p in self.node_xy[inner]] + \
                          [(destinations.x[d], destinations.y[d])]
                pts = np.asarray(pts, dtype=float)
                seg = np.hypot(*(pts[1:] - pts[:-1]).T)
                geom = shapely.linestrings(pts)
                result[r] = Route(float(dist[target]), float(seg.sum()),
                                  float((seg * pace[np.asarray(edge_list)]).sum()),
                                  edge_list, geom)
        fb.set_progress(1.0)
        return result

    def route(self, origin, destination, *, weight: str = "length"):
        """``(cost, edge ids, LineString)`` of the shortest route between two snapped points
        (each a one-row :class:`Snap` or a point geometry / (x, y)). ``(inf, [], None)`` when
        unreachable."""
        o = origin if isinstance(origin, Snap) else self.snap(_as_points(origin))
        d = destination if isinstance(destination, Snap) else self.snap(_as_points(destination))
        r = self.routes(o.take([0]), d.take([0]), [(0, 0)], weight=weight)[0]
        return r.cost, r.edges, r.geometry

    def distances_from(self, sources: Snap, *, weight: str = "length", max_cost=None,
                       min_only: bool = False, reverse: bool = False, feedback=None,
                       chunk_memory_mb: float = 256.0):
        """Cost from each snapped source to every node: ``(n_sources, n_nodes)`` (chunked
        generator of ``(source_indices, block)``), or with ``min_only`` one array
        ``(cost, nearest_source)`` per node. ``reverse``: cost from the nodes to the sources."""
        from scipy.sparse.csgraph import dijkstra

        graph, si, _, _ = self._augmented(sources, empty_snap(), weight, same_edge=False)
        n = self.n_nodes
        if reverse:
            graph = graph.T.tocsr()
        limit = np.inf if max_cost is None else float(max_cost)
        if min_only:
            if len(si) == 0:
                return np.full(n, np.inf), np.full(n, -1)
            dist, _, src = dijkstra(graph, directed=True, indices=n + si, limit=limit, min_only=True,
                                    return_predecessors=True)
            src = np.where(src >= n, src - n, -1)
            return dist[:n], src[:n]
        return self._chunks(graph, si, n, limit, feedback, chunk_memory_mb)

    @staticmethod
    def _chunks(graph, si, n, limit, feedback, chunk_memory_mb):
        from scipy.sparse.csgraph import dijkstra

        fb = as_feedback(feedback)
        chunk = int(max(1, min(1024, chunk_memory_mb * 2**20 / (8.0 * graph.shape[0]))))
        for start in range(0, len(si), chunk):
            fb.check()
            stop = min(start + chunk, len(si))
            dist = dijkstra(graph, directed=True, indices=n + si[start:stop], limit=limit)
            yield si[start:stop], dist[:, :n]
            fb.set_progress(stop / len(si))


# --- helpers ----------------------------------------------------------------------------------
def _as_points(value):
    import shapely

    if isinstance(value, (tuple, list)) and len(value) == 2 and np.isscalar(value[0]):
        return np.array([value], dtype=float)
    if isinstance(value, shapely.Geometry):
        return np.array([value], dtype=object)
    return value


def _merge_vertices(coords: np.ndarray, tolerance_m: float):
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


def empty_snap() -> Snap:
    return Snap(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))


def _csr_stack(base, extra, total, base_edge, extra_edge):
    """``base`` (n × n) enlarged to total × total with the arcs of ``extra`` (total × total)
    added, built directly (sparse addition would drop zero-cost arcs). Returns the matrix and
    the edge id of each stored arc (aligned with its ``data``)."""
    import scipy.sparse as sp

    n = base.shape[0]
    bcount = np.zeros(total, np.int64)
    bcount[:n] = np.diff(base.indptr)
    ecount = np.diff(extra.indptr).astype(np.int64)
    indptr = np.zeros(total + 1, np.int64)
    np.cumsum(bcount + ecount, out=indptr[1:])
    nnz = int(indptr[-1])
    indices = np.empty(nnz, np.int64)
    data = np.empty(nnz)
    arc_edge = np.empty(nnz, np.int64)
    # base arcs first in each row, then the extra ones
    brow = np.repeat(np.arange(n), bcount[:n])
    bpos = indptr[brow] + (np.arange(base.nnz) - base.indptr[brow])
    indices[bpos] = base.indices
    data[bpos] = base.data
    arc_edge[bpos] = base_edge
    erow = np.repeat(np.arange(total), ecount)
    epos = indptr[erow] + bcount[erow] + (np.arange(extra.nnz) - extra.indptr[erow])
    indices[epos] = extra.indices
    data[epos] = extra.data
    arc_edge[epos] = extra_edge
    idx_type = np.int32 if total < 2**31 else np.int64
    return sp.csr_matrix((data, indices.astype(idx_type), indptr.astype(idx_type if nnz < 2**31 else np.int64)),
                         shape=(total, total)), arc_edge


def _csr_min(src, dst, cost, eid, n):
    """CSR matrix (n × n) of arcs, parallel arcs reduced to the cheapest (ties: lowest edge
    id), with the edge id of each stored arc aligned to ``data``. Explicit zeros are arcs."""
    import scipy.sparse as sp

    src = np.asarray(src, np.int64)
    dst = np.asarray(dst, np.int64)
    cost = np.asarray(cost, float)
    key = src * np.int64(n) + dst
    order = np.argsort(key, kind="stable")
    k = key[order]
    new = np.r_[True, k[1:] != k[:-1]] if len(k) else np.zeros(0, bool)
    if len(k) and not new.all():
        # Parallel arcs: within each group put the cheapest first (ties: input order).
        gid = np.cumsum(new) - 1
        dup = np.bincount(gid)[gid] > 1
        idx = np.flatnonzero(dup)
        sub = idx[np.lexsort((cost[order][idx], gid[idx]))]
        order[idx] = order[sub]
    s, d, c, e = src[order][new], dst[order][new], cost[order][new], np.asarray(eid)[order][new]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(s, minlength=n), out=indptr[1:])
    graph = sp.csr_matrix((c.astype(float), d.astype(np.int32 if n < 2**31 else np.int64), indptr),
                          shape=(n, n))
    return graph, e


def _tree_sums(pred, keys, arc_value, total):
    """For each row of ``pred`` (a dijkstra predecessor array, -9999 for roots and unreached
    nodes), the sum of ``arc_value`` along the tree path from the root to every node, by
    pointer jumping (log(depth) vectorised steps, no Python loop over nodes)."""
    k = pred.shape[0]
    cols = np.broadcast_to(np.arange(total, dtype=np.int64), pred.shape)
    has = pred >= 0
    acc = np.zeros(pred.shape)
    pos = np.searchsorted(keys, pred[has].astype(np.int64) * total + cols[has])
    acc[has] = arc_value[pos]
    nxt = np.where(has, pred, cols).astype(np.int64)
    for _ in range(64):
        jump = np.take_along_axis(nxt, nxt, axis=1)
        if np.array_equal(jump, nxt):
            break
        acc = acc + np.take_along_axis(acc, nxt, axis=1)
        nxt = jump
    del k
    return acc


def _arc_edges(graph, arc_edge, a, b):
    """Edge ids of the stored arcs a[i] → b[i]."""
    out = np.empty(len(a), np.int64)
    for i, (x, y) in enumerate(zip(a, b)):
        lo, hi = graph.indptr[x], graph.indptr[x + 1]
        j = lo + np.searchsorted(graph.indices[lo:hi], y)
        out[i] = arc_edge[j]
    return out


def _pairs_on_same_edge(edges_a, edges_b):
    """Index pairs (i, j) with edges_a[i] == edges_b[j], vectorised."""
    ob = np.argsort(edges_b, kind="stable")
    sb = edges_b[ob]
    lo = np.searchsorted(sb, edges_a, side="left")
    hi = np.searchsorted(sb, edges_a, side="right")
    counts = hi - lo
    if counts.sum() == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ia = np.repeat(np.arange(len(edges_a)), counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    jb = ob[np.repeat(lo, counts) + offs]
    return ia, jb


def _osm_denied(lines, mode: str) -> np.ndarray:
    """OSM access tags that close a line to a travel mode (``access``, and ``foot`` /
    ``bicycle`` / ``motor_vehicle``/``motorcar`` = no or private)."""
    n = len(lines)
    if "other_tags" not in lines.columns:
        return np.zeros(n, dtype=bool)
    tags = lines["other_tags"].to_numpy(dtype=object)
    closed = ("no", "private")
    specific = {"walk": ["foot"], "cycle": ["bicycle"], "drive": ["motor_vehicle", "motorcar"]}[mode]
    general = np.isin(_norm_text(osm_tag(tags, "access")).astype(str), closed)
    opened = np.zeros(n, dtype=bool)
    closed_for_mode = np.zeros(n, dtype=bool)
    for key in specific:
        val = _norm_text(osm_tag(tags, key)).astype(str)
        closed_for_mode |= np.isin(val, closed)
        opened |= np.isin(val, ["yes", "designated", "permissive", "destination"])
    return closed_for_mode | (general & ~opened)
