"""Getis-Ord Gi* hot spots on areas or on points counted into a grid.

Spatial weights are binary ``scipy.sparse`` matrices (zero diagonal): contiguity (queen:
sharing any point; rook: sharing an edge), a fixed distance band between centroids, or the
k nearest centroids. Gi* adds each unit to its own neighbourhood (self weight 1).

The statistic and its analytical moments follow PySAL esda's ``G_Local(star=True)``:

    G*_i = sum_j w*_ij y_j / sum_j y_j,   E = W_i / n,
    V = W_i (n - W_i) / (n - 1) / n^2 * s^2 / ybar^2,   z = (G*_i - E) / sqrt(V)

with ``W_i`` the row sum of the (self-including) weights and ``s^2`` the population variance.
With binary weights (``transform='B'``, the default) this is the classic Ord & Getis (1995)
Gi* z-score that ArcGIS reports; ``transform='R'`` row-standardises first (esda's default).

Inference: the two-sided normal p-value of z, or a conditional permutation pseudo p-value
(each unit's own value fixed, its neighbours drawn at random from the other units; seeded),
computed as esda does: ``(min(larger, perms - larger) + 1) / (perms + 1)``, doubled for a
two-sided test. Optionally Benjamini-Hochberg false-discovery-rate adjusted. Classes
(``gi_bin``): +3/+2/+1 hot spot at 99/95/90 % confidence, 0 not significant, -1/-2/-3 cold.
Units with no neighbour (islands) get a null z and are reported, never an error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError, as_feedback

WEIGHTS = ("queen", "rook", "distance", "knn")
INFERENCE = ("analytical", "permutation")
GRID_SHAPES = ("square", "hexagon")
CLASS_LABELS = {3: "Hot spot 99%", 2: "Hot spot 95%", 1: "Hot spot 90%", 0: "Not significant",
                -1: "Cold spot 90%", -2: "Cold spot 95%", -3: "Cold spot 99%"}
ISLAND_LABEL = "No neighbours"
NO_VALUE_LABEL = "No value"


# --- spatial weights -------------------------------------------------------------------------

def contiguity_weights(geoms, *, rook: bool = False, feedback=None):
    """Binary contiguity among polygons as a CSR matrix.

    Queen: the polygons share at least one point (touch or overlap), a geometric test
    (GEOS ``intersects`` through an STRtree), so T-junctions and slightly overlapping
    neighbours count. Rook: the polygons share a boundary segment with the same two end
    vertices (libpysal's rule; fast, by hashing every ring segment): an edge that one
    polygon splits with an extra vertex and the other does not is not seen as shared (use
    queen, or snap the layer's topology first)."""
    import scipy.sparse as sp
    import shapely

    fb = as_feedback(feedback)
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if rook:
        i, j = _shared_segments(geoms)
    else:
        tree = shapely.STRtree(geoms)
        i, j = tree.query(geoms, predicate="intersects")
        keep = i != j
        i, j = i[keep], j[keep]
    fb.check()
    W = sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    W.data[:] = 1.0  # a pair found twice is still one neighbour
    return W


def _shared_segments(geoms):
    """Pairs (both directions) of polygons having an identical ring segment."""
    import shapely

    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    owner_of_ring = part_owner[ring_part]
    coords, ring_idx = shapely.get_coordinates(rings, return_index=True)
    same = ring_idx[1:] == ring_idx[:-1]
    p0, p1 = coords[:-1][same], coords[1:][same]
    own = owner_of_ring[ring_idx[:-1][same]]
    swap = (p0[:, 0] > p1[:, 0]) | ((p0[:, 0] == p1[:, 0]) & (p0[:, 1] > p1[:, 1]))
    a = np.where(swap[:, None], p1, p0)
    b = np.where(swap[:, None], p0, p1)
    order = np.lexsort((b[:, 1], b[:, 0], a[:, 1], a[:, 0]))
    key = np.column_stack([a, b])[order]
    own = own[order]
    ii, jj = [], []
    # a segment shared by several polygons: pair each with the ones after it in its run
    for lag in range(1, 4):
        if len(key) <= lag:
            break
        eq = (key[lag:] == key[:-lag]).all(1) & (own[lag:] != own[:-lag])
        ii.append(own[:-lag][eq])
        jj.append(own[lag:][eq])
    if not ii:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    i, j = np.concatenate(ii), np.concatenate(jj)
    return np.concatenate([i, j]), np.concatenate([j, i])


def distance_band_weights(xy, distance: float):
    """Binary weights between points no farther apart than ``distance`` (inclusive)."""
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

    if not (distance > 0):
        raise InputError(f"The distance band must be a positive distance (got {distance}).")
    tree = cKDTree(xy)
    pairs = tree.query_pairs(distance, output_type="ndarray")
    n = len(xy)
    i = np.concatenate([pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))


def auto_distance_band(xy) -> float:
    """The smallest band that leaves no unit without a neighbour: the largest
    nearest-neighbour distance between centroids (ArcGIS's default rule)."""
    from scipy.spatial import cKDTree

    if len(xy) < 2:
        raise InputError("A distance band needs at least two units.")
    d, _ = cKDTree(xy).query(xy, k=2)
    band = float(d[:, 1].max())
    if not band > 0:
        raise InputError("All units are at the same place: give the distance band yourself.")
    return band


def knn_weights(xy, k: int):
    """Binary weights to each point's ``k`` nearest other points (not symmetric)."""
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

    n = len(xy)
    if k < 1:
        raise InputError(f"The number of neighbours must be at least 1 (got {k}).")
    if k >= n:
        raise InputError(f"{k} nearest neighbours needs more than {k} units; there are {n}.")
    _, idx = cKDTree(xy).query(xy, k=k + 1)
    rows = np.repeat(np.arange(n), k + 1).reshape(n, k + 1)
    is_self = idx == rows
    # drop self where found, else the farthest of the k+1 (duplicate locations)
    no_self = ~is_self.any(1)
    is_self[no_self, -1] = True
    keep = ~is_self
    return sp.csr_matrix((np.ones(int(keep.sum())), (rows[keep], idx[keep])), shape=(n, n))


def grid_weights(rows_idx, cols_idx, n_rows, n_cols, *, shape: str, rook: bool = False):
    """Contiguity of grid cells from their row/column numbers (exact, no geometry test)."""
    import scipy.sparse as sp

    code = -np.ones((n_rows, n_cols), dtype=np.int64)
    code[rows_idx, cols_idx] = np.arange(len(rows_idx))
    if shape == "square":
        steps = [(0, 1), (0, -1), (1, 0), (-1, 0)]
        if not rook:
            steps += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
        step_sets = {0: steps, 1: steps}
    else:  # pointy-top hexagons, odd rows shifted right by half a cell
        step_sets = {0: [(0, 1), (0, -1), (1, -1), (1, 0), (-1, -1), (-1, 0)],
                     1: [(0, 1), (0, -1), (1, 0), (1, 1), (-1, 0), (-1, 1)]}
    ii, jj = [], []
    for parity, steps in step_sets.items():
        sel = (rows_idx % 2 == parity) if shape == "hexagon" else np.ones(len(rows_idx), bool)
        if shape == "square" and parity == 1:
            continue
        r0, c0, me = rows_idx[sel], cols_idx[sel], np.flatnonzero(sel)
        for dr, dc in steps:
            r, c = r0 + dr, c0 + dc
            ok = (r >= 0) & (r < n_rows) & (c >= 0) & (c < n_cols)
            other = np.full(len(r), -1)
            other[ok] = code[r[ok], c[ok]]
            good = other >= 0
            ii.append(me[good])
            jj.append(other[good])
    i, j = np.concatenate(ii), np.concatenate(jj)
    n = len(rows_idx)
    return sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))


# --- the statistic ---------------------------------------------------------------------------

@dataclass
class GiResult:
    z: np.ndarray
    p: np.ndarray              # p used for the classes (two-sided; FDR-adjusted when asked)
    p_norm: np.ndarray         # two-sided normal p of z
    p_sim: np.ndarray | None   # esda-style folded pseudo p (None without permutations)
    gi_bin: np.ndarray         # +3..-3, with a mask for islands
    neighbours: np.ndarray     # number of neighbours (excluding self)
    islands: np.ndarray        # bool
    notes: list = field(default_factory=list)


def gi_star(y, W, *, transform: str = "B", inference: str = "analytical", permutations: int = 999,
            seed: int = 0, fdr: bool = False, feedback=None) -> GiResult:
    """Getis-Ord Gi* for values ``y`` (n,) and binary weights ``W`` (n x n sparse, zero
    diagonal). See the module doc for the formulas.

    Raises:
        InputError: fewer than 3 units, NaN values, values summing to zero, all values equal.
    """
    import scipy.sparse as sp
    from scipy.special import ndtr

    fb = as_feedback(feedback)
    y = np.asarray(y, dtype=float)
    n = len(y)
    if transform.upper() not in ("B", "R"):
        raise InputError(f"Unknown weights transform {transform!r}; use 'B' (binary) or 'R' (row-standardised).")
    if inference not in INFERENCE:
        raise InputError(f"Unknown inference {inference!r}; use one of {INFERENCE}.")
    if n < 3:
        raise InputError(f"Gi* needs at least 3 areas with a value; there {'is' if n == 1 else 'are'} {n}.")
    if not np.isfinite(y).all():
        raise InputError("Some values are null or NaN; leave those areas out before computing Gi*.")
    total = y.sum()
    mean = total / n
    var = (y * y).mean() - mean * mean
    if abs(total) <= 1e-12 * max(1.0, np.abs(y).max()):
        raise InputError("The values sum to zero (all zero?): Gi* compares each neighbourhood's share "
                         "of the total, so there is nothing to find.")
    if var <= 1e-14 * mean * mean:
        raise InputError(f"All values are equal ({y[0]:g}): there can be no hot or cold spots.")
    W = sp.csr_matrix(W, dtype=float)
    if W.diagonal().any():
        W = sp.csr_matrix(W - sp.diags(W.diagonal()))
    W.eliminate_zeros()
    k = np.diff(W.indptr)
    islands = k == 0
    Ws = W + sp.identity(n, format="csr")
    if transform.upper() == "R":
        rs = np.asarray(Ws.sum(1)).ravel()
        Ws = sp.diags(1.0 / rs) @ Ws
    Ws = sp.csr_matrix(Ws)
    G = (Ws @ y) / total
    card = np.asarray(Ws.sum(1)).ravel()
    EG = card / n
    VG = card * (n - card) / (n - 1) / n ** 2 * var / mean ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (G - EG) / np.sqrt(VG)
    z[islands] = np.nan
    p_norm = 2.0 * ndtr(-np.abs(z))
    notes = []
    if islands.any():
        notes.append(f"{int(islands.sum())} of {n} units have no neighbours (islands): their z is null.")
    p_sim = None
    if inference == "permutation":
        if permutations < 9:
            raise InputError("Use at least 9 permutations (99 or 999 is usual).")
        p_sim = _conditional_permutation(y, Ws, G, total, permutations, seed, islands, fb)
        p = np.minimum(1.0, 2.0 * p_sim)
    else:
        p = p_norm.copy()
    p[islands] = np.nan
    if fdr:
        p = benjamini_hochberg(p)
    gi_bin = classify(z, p)
    if n < 30:
        notes.append(f"Only {n} units: Gi* z-scores are unreliable below about 30.")
    return GiResult(z=z, p=p, p_norm=np.where(islands, np.nan, p_norm), p_sim=p_sim, gi_bin=gi_bin,
                    neighbours=k, islands=islands, notes=notes)


def _conditional_permutation(y, Ws, G_obs, total, permutations, seed, islands, fb):
    """esda-style conditional randomisation: for every permutation one random set of other
    units is drawn (shared by all units, shifted past each unit's own index), and unit i's
    neighbours take the first k_i of them with i's own weights."""
    rng = np.random.default_rng(seed)
    n = len(y)
    diag = Ws.diagonal()
    off = Ws.copy()
    off.setdiag(0)
    off.eliminate_zeros()
    k = np.diff(off.indptr)
    kmax = int(k.max()) if len(k) else 0
    larger = np.zeros(n, dtype=np.int64)
    if kmax == 0:
        return np.ones(n)
    if kmax > n - 1:
        kmax = n - 1
    wpad = np.zeros((n, kmax))
    pos = np.arange(off.nnz) - np.repeat(off.indptr[:-1], k)
    rows = np.repeat(np.arange(n), k)
    wpad[rows, pos] = off.data
    own = diag * y
    ids = np.arange(n)[:, None]
    chunk = max(1, int(4_000_000 // max(1, n * kmax)))
    done = 0
    while done < permutations:
        m = min(chunk, permutations - done)
        for _ in range(m):
            draw = rng.choice(n - 1, size=kmax, replace=False)
            act = draw[None, :] + (draw[None, :] >= ids)
            sim = ((y[act] * wpad).sum(1) + own) / total
            larger += sim >= G_obs
        done += m
        fb.check()
        fb.set_progress(0.2 + 0.7 * done / permutations)
    low = (permutations - larger) < larger
    larger[low] = permutations - larger[low]
    p = (larger + 1.0) / (permutations + 1.0)
    p[islands] = np.nan
    return p


def benjamini_hochberg(p):
    """Benjamini-Hochberg adjusted p-values (q-values); NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(q, 1.0)
    out[ok] = res
    return out


def classify(z, p):
    """gi_bin: +3/+2/+1 hot at 99/95/90 % (p < 0.01/0.05/0.10, z > 0), -1..-3 cold, 0 not
    significant; islands (NaN z) get 0 here and are masked by the caller."""
    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    level = np.zeros(len(z), dtype=np.int64)
    ok = np.isfinite(z) & np.isfinite(p)
    level[ok & (p < 0.10)] = 1
    level[ok & (p < 0.05)] = 2
    level[ok & (p < 0.01)] = 3
    return np.where(z < 0, -level, level)


# --- grids for points ------------------------------------------------------------------------

def nice_number(x: float) -> float:
    """Round up to 1, 2, 2.5 or 5 times a power of ten (readable cell sizes)."""
    if x <= 0:
        return x
    e = math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * 10 ** e >= x * 0.999999:
            return m * 10 ** e
    return 10 ** (e + 1)


def auto_cell_size(xy, *, min_cells: int = 100, max_cells: int = 200_000,
                   points_per_cell: float = 5.0) -> tuple:
    """The documented automatic rule: a cell area of ``points_per_cell`` times the extent's
    area per point (about 5 points per cell if they were spread evenly), rounded up to a
    readable size (1, 2, 2.5, 5 x 10^k map units), then kept so the extent holds between
    ``min_cells`` and ``max_cells`` cells. Returns ``(cell_size, note)``."""
    x0, y0 = xy.min(0)
    x1, y1 = xy.max(0)
    w, h = max(x1 - x0, 0.0), max(y1 - y0, 0.0)
    area = w * h
    n = len(xy)
    if area <= 0:
        side = max(w, h) / 10.0 if max(w, h) > 0 else 1.0
    else:
        side = math.sqrt(points_per_cell * area / n)
        side = min(side, math.sqrt(area / min_cells))
        side = max(side, math.sqrt(area / max_cells))
    side = nice_number(side)
    return side, (f"Cell size {side:g} map units chosen automatically: about {points_per_cell:g} "
                  f"points per cell over the {w:.0f} x {h:.0f} extent, rounded to a readable size.")


@dataclass
class Grid:
    geometry: np.ndarray
    row: np.ndarray
    col: np.ndarray
    n_rows: int
    n_cols: int
    shape: str
    cell_size: float
    cell_of_point: np.ndarray


def point_grid(xy, *, shape: str = "square", cell_size: float, max_cells: int = 2_000_000) -> Grid:
    """Square or pointy-top hexagon cells covering the points' extent (all cells, empty ones
    too), and the cell of each point. For hexagons ``cell_size`` is the side of the square
    of equal area, so both shapes give cells of the same area."""
    import shapely

    if shape not in GRID_SHAPES:
        raise InputError(f"Unknown grid shape {shape!r}; use one of {GRID_SHAPES}.")
    if not (cell_size > 0):
        raise InputError(f"The grid cell size must be positive (got {cell_size}).")
    x0, y0 = xy.min(0)
    x1, y1 = xy.max(0)
    if shape == "square":
        n_cols = int(math.floor((x1 - x0) / cell_size)) + 1
        n_rows = int(math.floor((y1 - y0) / cell_size)) + 1
        if n_rows * n_cols > max_cells:
            raise InputError(f"The grid would have {n_rows * n_cols:,} cells (limit {max_cells:,}): "
                             "use a larger cell size.")
        rr, cc = np.divmod(np.arange(n_rows * n_cols), n_cols)
        xs = x0 + cc * cell_size
        ys = y0 + rr * cell_size
        geoms = shapely.box(xs, ys, xs + cell_size, ys + cell_size)
        pc = np.minimum(((xy[:, 0] - x0) // cell_size).astype(np.int64), n_cols - 1)
        pr = np.minimum(((xy[:, 1] - y0) // cell_size).astype(np.int64), n_rows - 1)
        cell = pr * n_cols + pc
        return Grid(geoms, rr, cc, n_rows, n_cols, shape, cell_size, cell)
    s = math.sqrt(2.0 * cell_size * cell_size / (3.0 * math.sqrt(3.0)))  # hexagon side
    wdt, dy = math.sqrt(3.0) * s, 1.5 * s
    ox, oy = x0, y0
    n_cols = int(math.ceil((x1 - x0) / wdt)) + 2
    n_rows = int(math.ceil((y1 - y0) / dy)) + 4
    if n_rows * n_cols > max_cells:
        raise InputError(f"The grid would have {n_rows * n_cols:,} cells (limit {max_cells:,}): "
                         "use a larger cell size.")
    # nearest centre among the even-row and odd-row lattices = the hexagon holding the point
    ra = 2 * np.round((xy[:, 1] - oy) / (2 * dy)).astype(np.int64)
    ca = np.round((xy[:, 0] - ox) / wdt).astype(np.int64)
    rb = 2 * np.round((xy[:, 1] - oy - dy) / (2 * dy)).astype(np.int64) + 1
    cb = np.round((xy[:, 0] - ox - wdt / 2) / wdt).astype(np.int64)
    da = (xy[:, 0] - (ox + ca * wdt)) ** 2 + (xy[:, 1] - (oy + ra * dy)) ** 2
    db = (xy[:, 0] - (ox + cb * wdt + wdt / 2)) ** 2 + (xy[:, 1] - (oy + rb * dy)) ** 2
    use_b = db < da
    # two margin rows below (so a row's parity is its lattice row's) and one column left
    pr = np.where(use_b, rb, ra) + 2
    pc = np.where(use_b, cb, ca) + 1
    rr, cc = np.divmod(np.arange(n_rows * n_cols), n_cols)
    cx = ox + (cc - 1) * wdt + np.where(rr % 2 == 1, wdt / 2, 0.0)
    cy = oy + (rr - 2) * dy
    ang = np.deg2rad(30 + 60 * np.arange(6))
    ring = np.stack([cx[:, None] + s * np.cos(ang), cy[:, None] + s * np.sin(ang)], axis=-1)
    geoms = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))
    cell = pr * n_cols + pc
    return Grid(geoms, rr, cc, n_rows, n_cols, shape, cell_size, cell)


def weights_for(kind: str, *, geoms=None, xy=None, distance: float | None = None, k: int = 8,
                grid: Grid | None = None, feedback=None):
    """Binary weights of one of ``WEIGHTS`` for polygons (``geoms``), points/centroids
    (``xy``) or a regular ``grid``."""
    if kind not in WEIGHTS:
        raise InputError(f"Unknown weights {kind!r}; use one of {WEIGHTS}.")
    if kind in ("queen", "rook"):
        if grid is not None:
            return grid_weights(grid.row, grid.col, grid.n_rows, grid.n_cols, shape=grid.shape,
                                rook=kind == "rook" and grid.shape == "square")
        if geoms is None:
            raise InputError("Contiguity weights need polygons; for points use a distance band or k nearest.")
        return contiguity_weights(geoms, rook=kind == "rook", feedback=feedback)
    if kind == "distance":
        if distance is None or distance <= 0:
            distance = auto_distance_band(xy)
            as_feedback(feedback).log(f"Distance band {distance:.6g} map units chosen automatically: "
                                      "the largest nearest-neighbour distance, so no unit is an island.")
        return distance_band_weights(xy, distance)
    return knn_weights(xy, int(k))


# --- publication under disclosure control ----------------------------------------------------

@dataclass
class ProtectedGrid:
    """Grid counts made safe to publish, and the values Gi* is computed on.

    ``counts``: published counts (NaN = hidden); ``status``: '' / 'primary' / 'secondary';
    ``total``: the published total (NaN if hidden); ``values``: what Gi* analyses, a function
    of the published numbers only (each hidden cell stands in at half the threshold), so
    nothing derived from it (z, p, class) can give a hidden count away; ``hidden``: mask of
    hidden cells; ``disclosure``: the engine's :class:`DisclosureResult` (its report)."""
    counts: np.ndarray
    status: np.ndarray
    total: float
    values: np.ndarray
    hidden: np.ndarray
    disclosure: object
    stand_in: float


def protect_grid(counts, sums=None, *, threshold: int = 10, feedback=None) -> ProtectedGrid:
    """Suppress small grid counts with the shared rule (primary and secondary, with the
    grid's total treated as published) and give Gi* values that depend on the published
    numbers only.

    Why: Gi* z-scores, p-values and classes are functions of every cell's value. Computed on
    the true counts and published beside suppressed cells, they let a reader solve for the
    hidden counts (z for every cell and the total pin each one exactly; even the classes
    narrow them: tests/test_risk_hotspots.py tries it). Computed on the published counts with
    a fixed stand-in for hidden cells, they tell a reader nothing the counts do not.

    ``sums`` (optional, per cell): a summed value field; hidden cells then stand in at half
    the threshold times the mean value per point over the published cells."""
    import pandas as pd

    from .disclosure import TOTAL_ROW, protect_counts

    counts = np.asarray(counts, dtype=float)
    res = protect_counts(pd.Series(counts, name="count"), threshold=threshold, totals=True,
                         feedback=feedback)
    published = res.published["count"]
    status = res.status["count"]
    cells = published.iloc[: len(counts)].to_numpy(dtype=float)
    hidden = ~np.isfinite(cells)
    total = float(published.loc[TOTAL_ROW]) if TOTAL_ROW in published.index else float(counts.sum())
    stand_in = threshold / 2.0
    if sums is None:
        values = np.where(hidden, stand_in, cells)
    else:
        sums = np.asarray(sums, dtype=float)
        shown = ~hidden & (counts > 0)
        per_point = sums[shown].sum() / counts[shown].sum() if shown.any() else 0.0
        values = np.where(hidden, stand_in * per_point, sums)
    return ProtectedGrid(counts=cells, status=status.iloc[: len(counts)].to_numpy(dtype=object),
                         total=total, values=values, hidden=hidden, disclosure=res,
                         stand_in=stand_in)


# --- layers in, output frame out (what joinedup:hotspots writes) ------------------------------

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
    from .crs import ensure_projected
    from .geometry import clean_geometries

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
    from .values import numeric_columns

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
