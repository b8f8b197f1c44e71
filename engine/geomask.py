"""Donut geomasking of points, and the spatial k-anonymity it gives against address points.

Each point moves in a random direction by a random distance between a stated minimum (so no
point stays on its own address) and maximum (so the pattern survives), drawn so that masked
points are spread evenly over the donut's area (distance = sqrt of a uniform draw between
min^2 and max^2), as in Hampton et al. (2010), "Mapping health data: improved privacy
protection with donut method geomasking", Am J Epidemiol 172(9).

Spatial k-anonymity (Allshouse et al. 2010): for each masked point, the number of address
points at least as close to the true location as the masked point is, i.e. inside the circle
centred on the true location with the displacement as radius: the addresses an attacker
working back from the masked point cannot tell from the true one. k = 1 (only the true address
that close) protects no one. No QGIS here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError, as_feedback


@dataclass
class MaskResult:
    """``x``, ``y``: the masked coordinates; ``displacement_m``; ``k``: each record's spatial
    k-anonymity (address points within its displacement of the true location)."""
    x: np.ndarray
    y: np.ndarray
    displacement_m: np.ndarray
    k: np.ndarray
    min_distance_m: float
    max_distance_m: float
    k_target: int

    @property
    def below_target(self) -> int:
        return int((self.k < self.k_target).sum())

    def describe(self) -> str:
        if not len(self.k):
            return "No points to mask."
        return (f"{len(self.k)} points moved by {self.min_distance_m:g}-{self.max_distance_m:g} m in a random "
                f"direction (donut masking; moved {self.displacement_m.min():.0f}-{self.displacement_m.max():.0f} m). "
                f"Spatial k-anonymity against the address points: minimum {int(self.k.min())}, median "
                f"{float(np.median(self.k)):g}; {self.below_target} points have k below {self.k_target}.")


def donut_mask(x, y, *, min_distance_m: float, max_distance_m: float, seed: int | None = None) -> tuple:
    """``(x', y', displacement)``: each point moved by a distance in [min, max] metres in a random
    direction, uniform over the donut's area. Coordinates must be in metres (a projected CRS)."""
    if not 0 <= min_distance_m < max_distance_m:
        raise InputError(f"The masking distances must satisfy 0 <= minimum < maximum (got minimum "
                         f"{min_distance_m:g} m, maximum {max_distance_m:g} m).")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0.0, 2.0 * np.pi, len(x))
    distance = np.sqrt(rng.uniform(min_distance_m ** 2, max_distance_m ** 2, len(x)))
    return x + distance * np.cos(angle), y + distance * np.sin(angle), distance


def spatial_k(x, y, displacement, address_x, address_y, *, feedback=None) -> np.ndarray:
    """Per point, the number of address points within ``displacement`` (inclusive) of (x, y)."""
    from scipy.spatial import cKDTree

    fb = as_feedback(feedback)
    if not len(address_x):
        raise InputError("The address points layer has no points: k-anonymity cannot be measured.")
    tree = cKDTree(np.column_stack([np.asarray(address_x, float), np.asarray(address_y, float)]))
    points = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
    k = np.empty(len(points), dtype=np.int64)
    chunk = 10_000
    for start in range(0, len(points), chunk):
        fb.check()
        stop = start + chunk
        k[start:stop] = tree.query_ball_point(points[start:stop], displacement[start:stop], return_length=True)
        fb.set_progress(min(1.0, stop / len(points)))
    return k


def mask_points(x, y, address_x, address_y, *, min_distance_m: float, max_distance_m: float,
                k_target: int = 5, seed: int | None = None, precision_m: float = 1.0, feedback=None) -> MaskResult:
    """Donut-mask the points (x, y), round the masked coordinates to ``precision_m`` (as they
    are published), and measure each one's spatial k-anonymity from the published coordinates
    against the address points. Distances are drawn inside the donut shrunk by half a rounding
    step's diagonal, so the published displacement still lies between the stated minimum and
    maximum. The caller reports :meth:`MaskResult.describe` and warns when ``below_target``."""
    margin = precision_m * 0.5 * np.sqrt(2.0)
    inner, outer = min_distance_m + margin, max_distance_m - margin
    if inner >= outer:
        raise InputError(f"The masking distances ({min_distance_m:g}-{max_distance_m:g} m) leave no room: make "
                         f"the maximum at least {min_distance_m + 2 * margin + 1:g} m.")
    mx, my, _ = donut_mask(x, y, min_distance_m=inner, max_distance_m=outer, seed=seed)
    mx, my = np.round(mx / precision_m) * precision_m, np.round(my / precision_m) * precision_m
    distance = np.hypot(mx - np.asarray(x, float), my - np.asarray(y, float))
    k = spatial_k(x, y, distance, address_x, address_y, feedback=feedback) if len(mx) else np.zeros(0, np.int64)
    return MaskResult(mx, my, distance, k, min_distance_m, max_distance_m, k_target)
