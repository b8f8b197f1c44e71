"""Kernel density surfaces from points, vectorised over points (no Python loop per point).

The grid follows QGIS's heatmap (``qgis:heatmapkerneldensityestimation``, C++
``QgsKernelDensityEstimation`` in ``src/analysis/raster/qgskde.cpp``) so outputs line up cell
for cell: the extent is the points' bounding box grown by the kernel radius on every side,
the origin is its top-left corner, and there are ``ceil(width / cell) + 1`` columns and
``ceil(height / cell) + 1`` rows. Each cell's value is the sum over points of
``weight * K(distance from the cell centre to the point)``.

Two ways to evaluate that sum:

* ``method='exact'``: every point-to-cell-centre distance is evaluated exactly, giving the
  same numbers a loop over points gives (to 1e-10). For the polynomial kernels (quartic,
  Epanechnikov, uniform) the offsets whose whole cell lies inside the support are summed
  through per-cell moments of the points' positions (ten FFT convolutions); the ring of
  offsets the support's edge crosses, and the other kernels' whole footprint, are
  evaluated point by point: a loop over cell offsets, each step vectorised over the points
  (sorted by cell, summed per cell with ``numpy.add.reduceat`` in cache-sized batches).
* ``method='fft'``: points are binned to the cell that holds them (weights summed) and the
  binned grid is convolved with the kernel sampled at cell offsets
  (``scipy.signal.fftconvolve``). Much faster on millions of points; each point is moved to
  its cell centre, so values differ from ``exact`` by the kernel's change over half a cell.

``convention='qgis'`` reproduces QGIS 3.40's heatmap exactly, quirks included (found by
reading qgskde.cpp and checked against its output): the vertical kernel offset is measured
from a grid anchored at the bottom of the extent while rows are counted from the top, so
when the extent's height is not a multiple of the cell size each kernel is evaluated at a
slightly wrong vertical position; and a point whose kernel block (``2*b+1`` cells square,
``b`` = radius in cells, rounded up when the remainder exceeds 0.5 map units) does not fit in
the raster is silently dropped (a single point always is). ``convention='exact'`` (default)
puts every kernel at the right place and never drops a point.

Kernels, with ``u = d / h`` and zero for ``u > 1`` (``h`` the radius), normalised so each
integrates to 1 over the plane (``per_km2`` output integrates to the total weight):

=============  ===========================  ====================
quartic        ``3/(pi h^2) (1-u^2)^2``      QGIS "Quartic"
epanechnikov   ``2/(pi h^2) (1-u^2)``        QGIS "Epanechnikov"
triangular     ``3/(pi h^2) (1-u)``          QGIS "Triangular", decay 0
uniform        ``1/(pi h^2)``                QGIS "Uniform"
gaussian       ``1/(2 pi h^2) exp(-u^2/2)``  ``h`` is the standard deviation; cut at 4h
=============  ===========================  ====================

QGIS 3.40's "Scaled" output uses these same constants (checked against its output: older
qgskde.cpp sources carry ``116/(5 pi h^2) * 15/16`` for the quartic, 3.40 gives 3/(pi h^2)), per
square map unit; ``values='qgis_scaled'`` gives that, ``values='raw'`` the unnormalised kernel
sum (QGIS "Raw").
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError, as_feedback

KERNELS = ("quartic", "epanechnikov", "triangular", "uniform", "gaussian")
VALUES = ("per_km2", "per_cell", "raw", "qgis_scaled")
METHODS = ("exact", "fft")
CONVENTIONS = ("exact", "qgis")
BANDWIDTH_RULES = ("silverman", "scott")
GAUSSIAN_CUTOFF = 4.0  # a Gaussian kernel is evaluated out to 4 standard deviations
NODATA = -9999.0

# Integral over the unit disc of the unnormalised profile: the normalising constant is
# 1 / (MASS * h^2).
_MASS = {"quartic": math.pi / 3.0, "epanechnikov": math.pi / 2.0, "triangular": math.pi / 3.0,
         "uniform": math.pi, "gaussian": 2.0 * math.pi}
# Radius of a compact kernel with the same per-axis standard deviation as a Gaussian of
# sigma 1 (so a rule-of-thumb bandwidth, which is a standard deviation, becomes a radius).
_RADIUS_PER_SIGMA = {"quartic": math.sqrt(8.0), "epanechnikov": math.sqrt(6.0),
                     "triangular": math.sqrt(1.0 / 0.15), "uniform": 2.0, "gaussian": 1.0}


@dataclass
class DensityGrid:
    """A north-up grid: ``values[row, col]``, row 0 at the top (``y_max``)."""
    values: np.ndarray
    x_min: float
    y_max: float
    cell_size: float
    crs: object = None
    nodata: float = NODATA

    @property
    def shape(self):
        return self.values.shape

    @property
    def transform(self):
        from rasterio.transform import from_origin
        return from_origin(self.x_min, self.y_max, self.cell_size, self.cell_size)


@dataclass
class DensityReport:
    points_used: int = 0
    features_total: int = 0
    null_geometry: int = 0
    null_weight: int = 0
    outside_extent: int = 0
    dropped_like_qgis: int = 0
    bandwidth: float = 0.0
    bandwidth_rule: str = ""
    radius: float = 0.0
    notes: list = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"{self.points_used} points used of {self.features_total} features"]
        if self.null_geometry:
            parts.append(f"{self.null_geometry} with no geometry skipped")
        if self.null_weight:
            parts.append(f"{self.null_weight} with a null/NaN weight skipped")
        if self.outside_extent:
            parts.append(f"{self.outside_extent} farther than the kernel radius from the output "
                         "extent (they add nothing to it)")
        if self.dropped_like_qgis:
            parts.append(f"{self.dropped_like_qgis} dropped as QGIS's heatmap drops them "
                         "(kernel block off the raster)")
        text = ", ".join(parts) + "."
        rule = f" ({self.bandwidth_rule} rule)" if self.bandwidth_rule else ""
        text += f" Bandwidth {self.bandwidth:.6g}{rule}, kernel radius {self.radius:.6g} map units."
        return text


def kernel_profile(kernel: str, u: np.ndarray) -> np.ndarray:
    """The unnormalised kernel at ``u = d / h`` (0 outside the support)."""
    u = np.asarray(u, dtype=float)
    if kernel == "quartic":
        v = (1.0 - u * u) ** 2
    elif kernel == "epanechnikov":
        v = 1.0 - u * u
    elif kernel == "triangular":
        v = 1.0 - u
    elif kernel == "uniform":
        v = np.ones_like(u)
    elif kernel == "gaussian":
        v = np.exp(-0.5 * u * u)
        return np.where(u <= GAUSSIAN_CUTOFF, v, 0.0)
    else:
        raise InputError(f"Unknown kernel {kernel!r}; use one of {KERNELS}.")
    return np.where(u <= 1.0, v, 0.0)


def kernel_radius(kernel: str, bandwidth: float) -> float:
    """How far the kernel reaches: ``h`` for compact kernels, 4 h for the Gaussian."""
    return bandwidth * (GAUSSIAN_CUTOFF if kernel == "gaussian" else 1.0)


def value_scale(kernel: str, bandwidth: float, values: str, cell_size: float,
                metres_per_unit: float = 1.0) -> float:
    """Factor turning the unnormalised kernel sum into the requested output values."""
    h = bandwidth
    if values == "raw":
        return 1.0
    if values == "qgis_scaled" and kernel == "gaussian":
        raise InputError("QGIS's heatmap has no Gaussian kernel: choose per km², per cell or raw.")
    per_unit2 = 1.0 / (_MASS[kernel] * h * h)  # density per square map unit
    if values == "qgis_scaled":
        return per_unit2
    if values == "per_cell":
        return per_unit2 * cell_size * cell_size
    if values == "per_km2":
        return per_unit2 * 1e6 / (metres_per_unit * metres_per_unit)
    raise InputError(f"Unknown output values {values!r}; use one of {VALUES}.")


def rule_bandwidth(xy: np.ndarray, weights: np.ndarray | None = None, *, rule: str = "silverman",
                   kernel: str = "quartic") -> float:
    """A rule-of-thumb bandwidth from the points' spread, as the kernel's radius (the
    standard deviation for the Gaussian).

    * ``scott``: sigma = SD * n^(-1/6), SD the pooled per-axis standard deviation
      sqrt((var x + var y) / 2) (Scott's rule in two dimensions; Silverman's normal-reference
      rule gives the same constant in 2-D).
    * ``silverman``: the robust form used by ArcGIS Pro's Kernel Density:
      sigma = 0.9 * min(SD, sqrt(1/ln 2) * Dm) * n^(-1/5), Dm the (weighted) median distance
      to the (weighted) mean centre, so a few far outliers do not inflate it.

    A compact kernel gets the radius with the same spread as that Gaussian sigma
    (quartic sqrt(8) sigma, Epanechnikov sqrt(6) sigma, triangular 2.58 sigma, uniform 2 sigma).
    ``n`` is the sum of weights when weights are given.
    """
    if rule not in BANDWIDTH_RULES:
        raise InputError(f"Unknown bandwidth rule {rule!r}; use one of {BANDWIDTH_RULES}.")
    w = np.ones(len(xy)) if weights is None else np.asarray(weights, float)
    n = float(w.sum())
    if len(xy) < 2 or n <= 0:
        raise InputError("A bandwidth rule needs at least two points with positive weight; "
                         "give the bandwidth in map units instead.")
    centre = (xy * w[:, None]).sum(0) / n
    var = ((xy - centre) ** 2 * w[:, None]).sum(0) / n
    sd = math.sqrt(float(var.sum()) / 2.0)
    if rule == "scott":
        sigma = sd * n ** (-1.0 / 6.0)
    else:
        dist = np.hypot(xy[:, 0] - centre[0], xy[:, 1] - centre[1])
        order = np.argsort(dist)
        cum = np.cumsum(w[order])
        dm = float(dist[order][np.searchsorted(cum, 0.5 * cum[-1])])
        sigma = 0.9 * min(sd, math.sqrt(1.0 / math.log(2.0)) * dm) * n ** (-0.2)
    if not sigma > 0:
        raise InputError("All points are at the same place: a bandwidth rule gives zero. "
                         "Give the bandwidth in map units instead.")
    return sigma * _RADIUS_PER_SIGMA[kernel]


def grid_like_qgis(xy: np.ndarray, radius: float, cell_size: float):
    """``(x_min, y_min, x_max, y_max, rows, cols)`` as QGIS's heatmap lays out its raster."""
    x0, y0 = xy.min(0) - radius
    x1, y1 = xy.max(0) + radius
    rows = int(max(math.ceil((y1 - y0) / cell_size) + 1, 1))
    cols = int(max(math.ceil((x1 - x0) / cell_size) + 1, 1))
    return float(x0), float(y0), float(x1), float(y1), rows, cols


def kernel_density(xy, *, cell_size: float, bandwidth: float | None = None,
                   bandwidth_rule: str | None = None, kernel: str = "quartic",
                   weights=None, values: str = "per_km2", method: str = "exact",
                   convention: str = "exact", extent=None, metres_per_unit: float = 1.0,
                   max_cells: int = 200_000_000, feedback=None):
    """Kernel density of points on a grid.

    Args:
        xy: (n, 2) array of point coordinates in a projected CRS (map units).
        cell_size: cell side in map units.
        bandwidth: kernel bandwidth in map units (radius; the standard deviation for
            ``gaussian``). Or None with ``bandwidth_rule`` ('silverman' or 'scott').
        kernel: one of ``KERNELS``.
        weights: optional (n,) weights (>= 0); NaN weights are skipped and counted.
        values: 'per_km2' (needs metres: ``metres_per_unit`` converts), 'per_cell' (expected
            weight in each cell), 'raw' or 'qgis_scaled' (QGIS heatmap's two output scalings).
        method: 'exact' or 'fft' (binned, see the module doc).
        convention: 'exact' or 'qgis' (reproduce QGIS 3.40's heatmap, quirks included).
        extent: optional (x_min, y_min, x_max, y_max) for the grid instead of QGIS's
            points-plus-radius rule; points farther than the radius from it are counted.
        max_cells: refuse grids larger than this (a typo in the cell size must not fill
            the disk).

    Returns ``(DensityGrid, DensityReport)``.

    Raises:
        InputError: no points, bad parameters, negative weights, a grid too large.
    """
    fb = as_feedback(feedback)
    report = DensityReport()
    if kernel not in KERNELS:
        raise InputError(f"Unknown kernel {kernel!r}; use one of {KERNELS}.")
    if method not in METHODS:
        raise InputError(f"Unknown method {method!r}; use one of {METHODS}.")
    if convention not in CONVENTIONS:
        raise InputError(f"Unknown convention {convention!r}; use one of {CONVENTIONS}.")
    if convention == "qgis" and (method != "exact" or extent is not None or kernel == "gaussian"):
        raise InputError("The QGIS-compatible convention needs the exact method, no custom extent "
                         "and one of QGIS's kernels (quartic, triangular, uniform, Epanechnikov).")
    if not (cell_size and cell_size > 0 and math.isfinite(cell_size)):
        raise InputError(f"The cell size must be a positive number of map units (got {cell_size}).")
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    report.features_total = len(xy)
    usable = np.isfinite(xy).all(1)
    report.null_geometry = int((~usable).sum())
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        bad = ~np.isfinite(w) & usable
        report.null_weight = int(bad.sum())
        usable &= ~bad
        negative = usable & (w < 0)
        if negative.any():
            raise InputError(
                f"{int(negative.sum())} points have a negative weight (smallest {w[negative].min():g}). "
                "A density needs weights of zero or more: filter those features out or fix the field.")
    xy = xy[usable]
    if w is not None:
        w = w[usable]
    if len(xy) == 0:
        raise InputError("There are no points with a usable geometry (and weight) to make a density from.")
    if bandwidth is None:
        if not bandwidth_rule:
            raise InputError("Give a bandwidth in map units or choose a bandwidth rule.")
        bandwidth = rule_bandwidth(xy, w, rule=bandwidth_rule, kernel=kernel)
        report.bandwidth_rule = bandwidth_rule
    if not (bandwidth > 0 and math.isfinite(bandwidth)):
        raise InputError(f"The bandwidth must be a positive number of map units (got {bandwidth}).")
    radius = kernel_radius(kernel, bandwidth)
    report.bandwidth, report.radius = float(bandwidth), float(radius)

    if extent is None:
        x0, y0, x1, y1, rows, cols = grid_like_qgis(xy, radius, cell_size)
    else:
        x0, y0, x1, y1 = map(float, extent)
        if not (x1 > x0 and y1 > y0):
            raise InputError("The output extent is empty (its maximum must exceed its minimum).")
        rows = max(int(math.ceil((y1 - y0) / cell_size)), 1)
        cols = max(int(math.ceil((x1 - x0) / cell_size)), 1)
        far = ((xy[:, 0] < x0 - radius) | (xy[:, 0] > x0 + cols * cell_size + radius)
               | (xy[:, 1] < y1 - rows * cell_size - radius) | (xy[:, 1] > y1 + radius))
        report.outside_extent = int(far.sum())
        xy = xy[~far]
        if w is not None:
            w = w[~far]
    if rows * cols > max_cells:
        raise InputError(
            f"The output would have {rows} x {cols} = {rows * cols:,} cells; the limit is "
            f"{max_cells:,}. Use a larger cell size (now {cell_size:g} map units) or a smaller extent.")
    report.points_used = len(xy)
    y_top = y1
    acc = np.zeros(rows * cols, dtype=np.float64)
    touched = np.zeros(rows * cols, dtype=bool) if convention == "qgis" else None
    if len(xy):
        if method == "fft":
            _fft(acc, xy, w, x0, y_top, rows, cols, cell_size, bandwidth, radius, kernel)
        elif convention == "qgis":
            report.dropped_like_qgis = _exact_qgis(acc, touched, xy, w, x0, y0, y_top, rows, cols,
                                                   cell_size, bandwidth, kernel, fb)
            report.points_used -= report.dropped_like_qgis
        else:
            _exact(acc, xy, w, x0, y_top, rows, cols, cell_size, bandwidth, radius, kernel, fb)
    acc *= value_scale(kernel, bandwidth, values, cell_size, metres_per_unit)
    out: np.ndarray = acc.reshape(rows, cols)
    if touched is not None:
        out = np.where(touched.reshape(rows, cols), out, NODATA)
    fb.set_progress(1.0)
    return DensityGrid(values=out, x_min=x0, y_max=y_top, cell_size=float(cell_size)), report


def _chunks(n: int, size: int = 500_000):
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _profile_in_place(kernel: str, d2: np.ndarray, h: float) -> np.ndarray:
    """The unnormalised kernel from squared distances, computed in ``d2``'s own memory;
    0 beyond the support, no masking."""
    inv = 1.0 / (h * h)
    if kernel in ("quartic", "epanechnikov"):
        np.multiply(d2, -inv, out=d2)
        d2 += 1.0
        np.maximum(d2, 0.0, out=d2)
        if kernel == "quartic":
            np.multiply(d2, d2, out=d2)
        return d2
    if kernel == "triangular":
        np.sqrt(d2, out=d2)
        np.multiply(d2, -1.0 / h, out=d2)
        d2 += 1.0
        return np.maximum(d2, 0.0, out=d2)
    if kernel == "uniform":
        return (d2 <= h * h).astype(float)
    outside = d2 > (GAUSSIAN_CUTOFF * h) ** 2
    np.multiply(d2, -0.5 * inv, out=d2)
    np.exp(d2, out=d2)
    d2[outside] = 0.0
    return d2


def _accumulate(acc, touched, idx0, bx, by, n_i, n_j, cols_p, p, h, radius, kernel, w, fb, total, done,
                block: int = 32_768, only=None):
    """Add every point's kernel to ``acc`` (flat, ``cols_p`` wide): point k's block starts at
    flat index ``idx0[k]``; the cell at block offset (i, j) is ``idx0 + j * cols_p + i`` and
    its centre lies ``(i * p + bx[k], j * p + by[k])`` from the point.

    Points are sorted by their block origin and processed in cache-sized batches; within a
    batch there is one vectorised pass per block offset, summing kernel values per origin
    with ``numpy.add.reduceat`` and adding the sums at the shifted cells (unique indices).
    Offsets no point of the batch can reach are skipped, and so are offsets outside ``only``
    (an (n_j, n_i) boolean mask) when given."""
    order = np.argsort(idx0, kind="stable")
    idx0, bx, by = idx0[order], bx[order], by[order]
    if w is not None:
        w = w[order]
    r2 = radius * radius
    n = len(idx0)
    for start in range(0, n, block):
        sl = slice(start, min(n, start + block))
        cells, starts = np.unique(idx0[sl], return_index=True)
        bxs, bys = bx[sl], by[sl]
        ws = None if w is None else w[sl]
        dx2 = [(i * p + bxs) ** 2 for i in range(n_i)]
        dy2 = [(j * p + bys) ** 2 for j in range(n_j)]
        dx2_min = [float(d.min()) for d in dx2]
        dy2_min = [float(d.min()) for d in dy2]
        d2 = np.empty(len(bxs))
        for j in range(n_j):
            if dy2_min[j] > r2:
                continue
            for i in range(n_i):
                if dx2_min[i] + dy2_min[j] > r2 or (only is not None and not only[j, i]):
                    continue
                np.add(dx2[i], dy2[j], out=d2)
                reach = (d2 <= r2) if touched is not None else None
                val = _profile_in_place(kernel, d2, h)
                if ws is not None:
                    val *= ws
                target = cells + (j * cols_p + i)
                acc[target] += np.add.reduceat(val, starts)
                if reach is not None:
                    touched[target] |= np.add.reduceat(reach.astype(np.int32), starts) > 0
        done += sl.stop - sl.start
        fb.check()
        fb.set_progress(0.95 * min(1.0, done / max(total, 1)))
    return done


def _exact(acc, xy, w, x0, y_top, rows, cols, p, h, radius, kernel, fb):
    """Sum of kernels at exact cell-centre distances (padded grid, cropped at the end).

    For the polynomial kernels (quartic, Epanechnikov, uniform) the offsets whose whole cell
    lies inside the kernel's support are summed exactly through per-cell moments: there the
    kernel is a polynomial of the point's position inside its cell, so each cell's points
    contribute ``sum_m coef_m(offset) * moment_m(cell)``, ten FFT convolutions for the whole
    grid. Only the ring of offsets the support's edge crosses is evaluated point by point."""
    reach = int(math.ceil(radius / p)) + 1
    cols_p, rows_p = cols + 2 * reach, rows + 2 * reach
    padded = np.zeros(rows_p * cols_p)
    n = len(xy)
    side = 2 * reach + 1
    only = None
    if kernel in _MOMENT_KERNELS and n > 0:
        full = _full_offsets(reach, p, h)
        only = ~full
        padded += _moment_sum(xy, w, x0, y_top, rows_p, cols_p, reach, p, h, kernel, full).ravel()
    total, done = n, 0
    for sl in _chunks(n):
        fx = (xy[sl, 0] - x0) / p
        fy = (y_top - xy[sl, 1]) / p
        c0 = np.floor(fx).astype(np.int64)
        r0 = np.floor(fy).astype(np.int64)
        # block origin: cell (r0 - reach, c0 - reach), i.e. padded (r0, c0)
        idx0 = r0 * cols_p + c0
        bx = (c0 - reach + 0.5) * p + x0 - xy[sl, 0]
        by = (r0 - reach + 0.5) * p - (y_top - xy[sl, 1])
        done = _accumulate(padded, None, idx0, bx, by, side, side, cols_p, p, h, radius, kernel,
                           None if w is None else w[sl], fb, total, done, only=only)
    acc += padded.reshape(rows_p, cols_p)[reach:reach + rows, reach:reach + cols].ravel()


_MOMENT_KERNELS = ("quartic", "epanechnikov", "uniform")


def _full_offsets(reach, p, h):
    """(side, side) mask, [oy + reach, ox + reach]: every point of a cell at this offset is
    within the support (the cell's farthest corner from the target centre is)."""
    o = np.abs(np.arange(-reach, reach + 1)) + 0.5
    return (o[None, :] ** 2 + o[:, None] ** 2) * p * p <= h * h


def _moment_sum(xy, w, x0, y_top, rows_p, cols_p, reach, p, h, kernel, full):
    """Exact kernel sums over the fully-inside offsets, through per-cell moments of the
    points' positions inside their cells (u, v in [-0.5, 0.5), cells as unit)."""
    fx = (xy[:, 0] - x0) / p
    fy = (y_top - xy[:, 1]) / p
    c0 = np.floor(fx)
    r0 = np.floor(fy)
    cell = (r0.astype(np.int64) + reach) * cols_p + (c0.astype(np.int64) + reach)
    return _moment_convolution(cell, fx - c0 - 0.5, fy - r0 - 0.5, w, rows_p, cols_p, reach, p, h,
                               kernel, full)


def _moment_convolution(cell, u, v, w, rows_p, cols_p, reach, p, h, kernel, full):
    """The kernel sums at the offsets in ``full`` ((side, side), [oy + reach, ox + reach]) of
    points in flat cell ``cell`` of a (rows_p, cols_p) grid, at (u, v) cells from its centre
    (both in [-0.5, 0.5]; the target at offset (ox, oy) lies (ox - u, oy - v) cells away), as a
    (rows_p, cols_p) array: per-cell moments convolved with each monomial's coefficients."""
    q = u * u + v * v
    ww = np.ones(len(u)) if w is None else w
    monomials = {"1": None, "u": u, "v": v, "q": q, "uu": u * u, "vv": v * v, "uv": u * v,
                 "uq": u * q, "vq": v * q, "qq": q * q}
    o = np.arange(-reach, reach + 1, dtype=float)
    ox, oy = np.meshgrid(o, o)  # [oy + reach, ox + reach]
    s = p * p / (h * h)
    a0, a1, a2, a3 = 1.0 - s * (ox * ox + oy * oy), 2.0 * s * ox, 2.0 * s * oy, -s
    if kernel == "quartic":  # t^2, t = a0 + a1 u + a2 v + a3 q
        coef = {"1": a0 * a0, "u": 2 * a0 * a1, "v": 2 * a0 * a2, "q": 2 * a0 * a3, "uu": a1 * a1,
                "vv": a2 * a2, "uv": 2 * a1 * a2, "uq": 2 * a1 * a3, "vq": 2 * a2 * a3,
                "qq": np.full_like(a0, a3 * a3)}
    elif kernel == "epanechnikov":
        coef = {"1": a0, "u": a1, "v": a2, "q": np.full_like(a0, a3)}
    else:
        coef = {"1": np.ones_like(a0)}
    moments = ((np.bincount(cell, weights=ww if monomials[name] is None else ww * monomials[name],
                            minlength=rows_p * cols_p).reshape(rows_p, cols_p), np.where(full, c, 0.0))
               for name, c in coef.items())
    return _offset_convolution(moments, rows_p, cols_p, reach)


def _offset_convolution(terms, rows, cols, reach):
    """Sum over ``terms`` of (grid, offsets): each (rows, cols) grid's cell values spread to
    the cells at the offsets' weights ((side, side), [oy + reach, ox + reach]), cropped to the
    grid; the spectra summed, one inverse FFT."""
    from scipy import fft as sfft

    side = 2 * reach + 1
    shape = [sfft.next_fast_len(n, real=True) for n in (rows + side - 1, cols + side - 1)]
    spectrum = None
    for grid, offsets in terms:
        term = sfft.rfft2(grid, shape) * sfft.rfft2(offsets, shape)
        spectrum = term if spectrum is None else spectrum + term
    conv = sfft.irfft2(spectrum, shape)
    return conv[reach:reach + rows, reach:reach + cols]


def _exact_qgis(acc, touched, xy, w, x0, y0, y_top, rows, cols, p, h, kernel, fb):
    """QGIS 3.40's heatmap, quirks included (see the module doc). Returns points dropped."""
    b = int(h / p)
    if h - p * b > 0.5:
        b += 1
    size = 2 * b + 1
    x_pos = np.trunc((xy[:, 0] - x0) / p - b).astype(np.int64)
    y_pos = np.trunc((xy[:, 1] - y0) / p - b).astype(np.int64)
    y_io = np.trunc((y_top - xy[:, 1]) / p - b).astype(np.int64)
    fits = (x_pos >= 0) & (y_io >= 0) & (x_pos + size <= cols) & (y_io + size <= rows)
    dropped = int((~fits).sum())
    total, done = int(fits.sum()), 0
    pointwise = fits
    if kernel in _MOMENT_KERNELS:
        # as in _exact: the offsets wholly inside the radius through per-cell moments, the ring
        # the radius crosses point by point. QGIS places the cell at block offset (ox + b, oy + b)
        # (ox - u, oy - v) cells from the point, u and v its place beside the block's centre
        # cell (yIO + b, xPos + b); a point QGIS truncates towards zero at the raster's edge
        # (|u| or |v| beyond half a cell) takes the point-by-point path throughout.
        u = (xy[:, 0] - x0) / p - (x_pos + b) - 0.5
        v = (xy[:, 1] - y0) / p - (y_pos + b) - 0.5
        regular = fits & (np.abs(u) <= 0.5) & (np.abs(v) <= 0.5)
        pointwise = fits & ~regular
        if regular.any():
            k = np.flatnonzero(regular)
            full = _full_offsets(b, p, h)
            cell = (y_io[k] + b) * cols + (x_pos[k] + b)
            acc += _moment_convolution(cell, u[k], v[k], None if w is None else w[k],
                                       rows, cols, b, p, h, kernel, full).ravel()
            touched |= _reached(cell, rows, cols, b, full)
            done = _accumulate_block(acc, touched, k, x_pos, y_pos, y_io, xy, w, x0, y0, cols, size,
                                     p, h, kernel, fb, total, done, only=~full)
    _accumulate_block(acc, touched, np.flatnonzero(pointwise), x_pos, y_pos, y_io, xy, w, x0, y0, cols,
                      size, p, h, kernel, fb, total, done)
    return dropped


def _accumulate_block(acc, touched, keep, x_pos, y_pos, y_io, xy, w, x0, y0, cols, size, p, h, kernel,
                      fb, total, done, only=None):
    """:func:`_accumulate` of QGIS's kernel blocks for the points ``keep`` (see _exact_qgis)."""
    for sl in _chunks(len(keep)):
        k = keep[sl]
        idx0 = y_io[k] * cols + x_pos[k]
        # QGIS: centroid x = (xPos + xp + 0.5) p + xmin; centroid y = (yPos + yp + 0.5) p + ymin,
        # written to row yIO + yp (rows counted from the top)
        bx = (x_pos[k] + 0.5) * p + x0 - xy[k, 0]
        by = (y_pos[k] + 0.5) * p + y0 - xy[k, 1]
        done = _accumulate(acc, touched, idx0, bx, by, size, size, cols, p, h, h, kernel,
                           None if w is None else w[k], fb, total, done, only=only)
    return done


def _reached(cell, rows, cols, reach, full):
    """Flat (rows * cols) mask of the cells at an offset in ``full`` of some cell in ``cell``:
    the occupied cells convolved with the offsets (whole numbers, so the FFT's rounding cannot
    blur the threshold of a half)."""
    occupied = (np.bincount(cell, minlength=rows * cols) > 0).astype(float).reshape(rows, cols)
    return (_offset_convolution([(occupied, full.astype(float))], rows, cols, reach) > 0.5).ravel()


def _fft(acc, xy, w, x0, y_top, rows, cols, p, h, radius, kernel):
    """Bin points to cells, convolve with the kernel sampled at cell offsets (real FFTs;
    scipy.fft rather than scipy.signal, which takes seconds to import)."""
    from scipy import fft as sfft

    c = np.clip(np.floor((xy[:, 0] - x0) / p).astype(np.int64), 0, cols - 1)
    r = np.clip(np.floor((y_top - xy[:, 1]) / p).astype(np.int64), 0, rows - 1)
    binned = np.bincount(r * cols + c, weights=w, minlength=rows * cols).reshape(rows, cols)
    reach = int(math.floor(radius / p))
    off = np.arange(-reach, reach + 1) * p
    d = np.hypot(off[None, :], off[:, None])
    k = kernel_profile(kernel, d / h)
    full = (rows + 2 * reach, cols + 2 * reach)
    shape = [sfft.next_fast_len(n, real=True) for n in full]
    spectrum = sfft.rfft2(binned, shape) * sfft.rfft2(k, shape)
    conv = sfft.irfft2(spectrum, shape)[reach:reach + rows, reach:reach + cols]
    conv[np.abs(conv) < 1e-12 * max(1.0, float(np.abs(conv).max(initial=0.0)))] = 0.0
    acc += np.maximum(conv, 0.0).ravel()


def write_geotiff(grid: DensityGrid, path: str, *, crs=None, description: str = "density") -> str:
    """Write ``grid`` as a tiled, compressed float32 GeoTIFF with CRS and nodata, in one call.

    Compression is chosen for speed: ZSTD level 1 with the floating-point predictor wrote a
    3000 x 3000 density 3-4x faster than DEFLATE level 6 for 6 % more bytes (docs/risk.md);
    a GDAL built without ZSTD gets DEFLATE level 1 (every GDAL and GIS reads it)."""
    import rasterio

    profile = {
        "driver": "GTiff", "width": grid.shape[1], "height": grid.shape[0], "count": 1,
        "dtype": "float32", "crs": crs if crs is not None else grid.crs,
        "transform": grid.transform, "nodata": grid.nodata, "predictor": 3,
        "tiled": grid.shape[0] >= 256 and grid.shape[1] >= 256,
    }
    if profile["tiled"]:
        profile.update(blockxsize=256, blockysize=256)
    values = grid.values.astype(np.float32, copy=False)
    compression = dict(compress="zstd", zstd_level=1) if _gtiff_has_zstd() else dict(compress="deflate", zlevel=1)
    try:
        with rasterio.open(path, "w", **profile, **compression) as ds:
            ds.write(values, 1)
            ds.set_band_description(1, description)
    except Exception as exc:  # rasterio/GDAL message names the problem
        raise InputError(f"Could not write the density raster {path}: {exc}") from exc
    return path


def _gtiff_has_zstd() -> bool:
    """Whether GDAL's GeoTIFF driver offers ZSTD (GDAL >= 2.3 built with libzstd: Debian's,
    OSGeo4W's and the QGIS macOS bundle's). Asked of GDAL's own bindings, which QGIS and
    rasterio share where both come from the same GDAL."""
    try:
        from osgeo import gdal
    except ImportError:
        return False
    driver = gdal.GetDriverByName("GTiff")
    return driver is not None and "ZSTD" in (driver.GetMetadataItem("DMD_CREATIONOPTIONLIST") or "")


def points_xy(gdf):
    """(xy array with NaN rows for null/empty geometries, feature index per row) of a point
    layer; multipoints contribute every part (as in QGIS's heatmap)."""
    import shapely

    geoms = np.asarray(gdf.geometry.values)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if (shapely.get_type_id(geoms[~missing]) == 0).all():  # plain points: no parts to split
        xy = np.full((len(geoms), 2), np.nan)
        xy[~missing] = shapely.get_coordinates(geoms[~missing])
        return xy, np.arange(len(geoms))
    parts, owner = shapely.get_parts(geoms[~missing], return_index=True)
    owner = np.flatnonzero(~missing)[owner]
    coords = shapely.get_coordinates(parts)
    if len(coords) != len(parts):
        raise InputError("The density input must be a point layer.")
    xy = np.vstack([coords, np.full((int(missing.sum()), 2), np.nan)])
    owner = np.concatenate([owner, np.flatnonzero(missing)])
    return xy, owner


@dataclass
class DensityPoints:
    """A point layer made ready for :func:`kernel_density`: ``xy`` in ground metres (NaN rows
    for features with no geometry; multipoints give every part), ``weights`` per row (None:
    each point counts once), the projected ``crs`` used and the ``note`` saying why (for the
    log), ``metres_per_unit`` of that CRS, and the counts the report quotes."""
    xy: np.ndarray
    weights: np.ndarray | None
    crs: object
    note: str
    metres_per_unit: float
    features: int
    null_geometry: int


def density_points(gdf, *, name: str = "the points", weight_field: str | None = None) -> DensityPoints:
    """``gdf`` (a point GeoDataFrame with a CRS) measured in ground metres, with the optional
    numeric ``weight_field`` read as every algorithm reads numbers stored as text.
    Raises InputError for an empty layer or a missing or unreadable weight field."""
    from pyproj import CRS

    from .crs import ensure_projected
    from .values import parse_numbers

    if len(gdf) == 0:
        raise InputError(f"{name} has no features: there is nothing to map.")
    weights = None
    if weight_field:
        if weight_field not in gdf.columns:
            raise InputError(f"{name} has no field {weight_field!r}.")
        weights = parse_numbers(gdf[weight_field], field=weight_field, layer=name)
    if "xy" in gdf.attrs:  # read as bare coordinates (the bridge's xy_points): no GEOS points
        xy, crs, note = _projected_xy(gdf, name)
        owner = np.arange(len(xy))
    else:
        gdf, crs, note = ensure_projected(gdf, what=name)
        xy, owner = points_xy(gdf)
    metres = float(CRS.from_user_input(crs).axis_info[0].unit_conversion_factor or 1.0)
    return DensityPoints(xy=xy, weights=None if weights is None else weights[owner], crs=crs, note=note,
                         metres_per_unit=metres, features=len(gdf),
                         null_geometry=int(np.isnan(xy[:, 0]).sum()))


def _projected_xy(gdf, name):
    """``(xy, crs, note)`` of a layer read as bare coordinates (``gdf.attrs['xy']``, NaN for a
    null geometry), in the CRS :func:`ensure_projected` chooses for it. That choice depends
    only on the data's extent, so it is made for the extent's corners (a million GEOS points
    cost more than the density itself) and the coordinates follow with pyproj."""
    import geopandas as gpd
    import shapely
    from pyproj import Transformer

    from .crs import ensure_projected

    x, y = (np.asarray(values, dtype=float) for values in gdf.attrs["xy"])
    present = ~np.isnan(x)
    corners = [None, None]
    if present.any():
        corners = list(shapely.points([x[present].min(), x[present].max()], [y[present].min(), y[present].max()]))
    extent = gpd.GeoDataFrame(geometry=corners, crs=gdf.crs)
    extent.attrs = {k: v for k, v in gdf.attrs.items() if k != "xy"}
    _, crs, note = ensure_projected(extent, what=name)
    xy = np.column_stack([x, y])
    if not crs.equals(gdf.crs):  # (pyproj turns NaN into inf: nulls stay NaN)
        xy[present] = np.column_stack(
            Transformer.from_crs(gdf.crs, crs, always_xy=True).transform(x[present], y[present]))
    return xy, crs, note


def density_of_points(points: DensityPoints, *, bandwidth: float | None, bandwidth_rule: str | None,
                      **options):
    """:func:`kernel_density` of ``points`` (``options``: its cell_size, kernel, values, method,
    convention, extent, feedback); the report counts features, not parts, with no geometry.
    ``bandwidth`` None (or 0) uses ``bandwidth_rule``; with neither, InputError."""
    if not bandwidth and bandwidth_rule is None:
        raise InputError("The bandwidth is 0 and no bandwidth rule is chosen: give one of them.")
    grid, report = kernel_density(points.xy, bandwidth=bandwidth or None, bandwidth_rule=bandwidth_rule,
                                  weights=points.weights, metres_per_unit=points.metres_per_unit, **options)
    report.features_total = points.features
    report.null_geometry = points.null_geometry
    return grid, report
