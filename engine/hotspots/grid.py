"""Regular square or hexagon grids that points are counted into, with a cell size chosen from
the points' spread when the user gives none."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .names import GRID_SHAPES


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
