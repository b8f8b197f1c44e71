"""Service-area polygons: the places within a buffer of reached street pieces, drawn on a
grid (distance contours, or nearest-street cells for catchments that must tile)."""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .model import Network


class _StreetCells:
    """The area within ``buffer_m`` of the network cut into square cells (side buffer/1.5), each
    cell given to its nearest edge and the position along it (fraction from u). A service
    area is then the cells whose nearest street piece is reached: it follows the streets,
    keeps unreached blocks as holes, is computed once for all facilities and bands, and
    cells of a street split between facilities go to the facility that reaches their part."""

    def __init__(self, net: Network, buffer_m: float):
        from rasterio.transform import from_origin
        from scipy import ndimage

        self.buffer = float(buffer_m)
        self.cell = cell = self.buffer / 1.5
        x0, y0, x1, y1 = net.edges.total_bounds
        pad = self.buffer + 2 * cell
        self.x0, self.y1 = x0 - pad, y1 + pad
        self.w = int(np.ceil((x1 - x0 + 2 * pad) / cell))
        self.h = int(np.ceil((y1 - y0 + 2 * pad) / cell))
        if self.w * self.h > 400_000_000:
            raise InputError(f"The polygon buffer {buffer_m:g} m is too fine for a network this large "
                             f"({self.w} × {self.h} cells): use a larger polygon buffer.")
        self.transform = from_origin(self.x0, self.y1, cell, cell)
        # Draw every edge into the grid (its id + 1) by sampling it every quarter cell:
        # vectorised, no Python loop over edges.
        u = net.node_xy[net.edges["u"].to_numpy(np.int64)]
        v = net.node_xy[net.edges["v"].to_numpy(np.int64)]
        length = np.hypot(*(v - u).T)
        steps = np.ceil(length / (cell / 4.0)).astype(np.int64) + 1
        eid = np.repeat(np.arange(len(u)), steps)
        frac = (np.arange(int(steps.sum())) - np.repeat(np.cumsum(steps) - steps, steps)) / np.repeat(
            np.maximum(steps - 1, 1), steps)
        sx = u[eid, 0] + (v[eid, 0] - u[eid, 0]) * frac
        sy = u[eid, 1] + (v[eid, 1] - u[eid, 1]) * frac
        grid = np.zeros((self.h, self.w), dtype=np.int32)
        grid[((self.y1 - sy) // cell).astype(np.int64), ((sx - self.x0) // cell).astype(np.int64)] = eid + 1
        del sx, sy, eid, frac
        edt, (iy, ix) = ndimage.distance_transform_edt(grid == 0, return_distances=True, return_indices=True)
        near = np.flatnonzero(edt.ravel() <= self.buffer / cell + 1.5)  # cells that may be in reach
        del edt
        label = grid.ravel()[iy.ravel()[near] * self.w + ix.ravel()[near]].astype(np.int64) - 1
        del iy, ix, grid
        cy, cx = np.divmod(near, self.w)
        px = self.x0 + (cx + 0.5) * cell
        py = self.y1 - (cy + 0.5) * cell
        a, d = u[label], v[label] - u[label]
        dd = (d * d).sum(axis=1)
        t = np.clip(((px - a[:, 0]) * d[:, 0] + (py - a[:, 1]) * d[:, 1]) / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
        dist = np.hypot(px - (a[:, 0] + t * d[:, 0]), py - (a[:, 1] + t * d[:, 1]))
        keep = np.flatnonzero(dist <= self.buffer)
        order = np.argsort(label[keep], kind="stable")
        self.cells = near[keep][order]
        self.t = t[keep][order]
        self.indptr = np.zeros(len(net.edges) + 1, np.int64)
        np.cumsum(np.bincount(label[keep], minlength=len(net.edges)), out=self.indptr[1:])

    def level(self, edges, t0, t1):
        """Flat indices of the cells whose nearest street piece is among the given pieces."""
        counts = self.indptr[edges + 1] - self.indptr[edges]
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, np.int64)
        offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        pos = np.repeat(self.indptr[edges], counts) + offs
        tt = self.t[pos]
        eps = 1e-9
        inside = (tt >= np.repeat(t0, counts) - eps) & (tt <= np.repeat(t1, counts) + eps)
        return self.cells[pos[inside]]

    def polygons(self, levels: list) -> list:
        """Nested areas of one facility: ``levels`` are cell-id arrays of increasing areas
        (e.g. its 5, 10, 15 minute bands); returns one (multi)polygon per level, each
        polygonised from one small raster window shared by all levels."""
        import shapely
        from rasterio import features
        from rasterio.transform import from_origin

        every = np.concatenate(levels) if levels else np.zeros(0, np.int64)
        if not len(every):
            return [shapely.Polygon() for _ in levels]
        cy, cx = np.divmod(every, self.w)
        r0, c0 = cy.min(), cx.min()
        value = np.zeros((cy.max() - r0 + 1, cx.max() - c0 + 1), dtype=np.int32)
        for k in range(len(levels) - 1, -1, -1):  # smaller levels overwrite larger ones
            ly, lx = np.divmod(levels[k], self.w)
            value[ly - r0, lx - c0] = k + 1
        tr = from_origin(self.x0 + c0 * self.cell, self.y1 - r0 * self.cell, self.cell, self.cell)
        out = []
        for k in range(len(levels)):
            mask = (value > 0) & (value <= k + 1)
            coords, ring_of, poly_of = [], [], []
            ring = 0
            for p, (g, _) in enumerate(features.shapes(mask.view(np.uint8), mask=mask, connectivity=8,
                                                       transform=tr)):
                for r in g["coordinates"]:  # rings: the shell, then the holes (city blocks)
                    coords.append(np.asarray(r, dtype=float))
                    ring_of.append(np.full(len(r), ring))
                    poly_of.append(p)
                    ring += 1
            if not coords:
                out.append(shapely.Polygon())
                continue
            rings = shapely.linearrings(np.concatenate(coords), indices=np.concatenate(ring_of))
            parts = shapely.polygons(rings, indices=np.asarray(poly_of))
            # Polygonised parts are disjoint (at most touching at a corner): no overlay needed.
            out.append(shapely.multipolygons(parts) if len(parts) > 1 else parts[0])
        return out


class _StreetDistances:
    """Exact distances to reached streets, sampled on a grid, for service-area polygons.

    A service area is the land within ``buffer_m`` of its reached street pieces (the union
    of their buffers). Buffering every piece and unioning them costs seconds on a city
    (thousands of overlapping buffers per band); instead, once per network, every sample
    point of a grid (spacing buffer/2) within reach of an edge is paired with that edge and
    its position along it. For a band, the distance from each sample to the nearest reached
    piece then comes from those pairs in one vectorised step, and marching squares
    (:func:`_contour_below`) draw the polygon at distance = ``buffer_m``. The distance from a
    straight street grows linearly across it, so the contour's linear interpolation puts the
    outline where the true buffer's is, except around round ends and sharp inside corners,
    which it cuts by chords (about 1.1 m² per metre of outline there; tests compare with
    shapely's buffer-union).
    """

    def __init__(self, net: Network, buffer_m: float, *, pair_budget: int = 4_000_000):
        self.buffer = b = float(buffer_m)
        self.cell = c = b / 2.0
        # samples beyond ``reach`` of every reached piece are only "far": a sample within the
        # buffer has neighbours within b + c*sqrt(2) < reach, so every value the contour
        # interpolates between is exact.
        self.reach = reach = b + 1.5 * c
        self.far = np.float32(2 * reach)
        u = net.node_xy[net.edges["u"].to_numpy(np.int64)]
        v = net.node_xy[net.edges["v"].to_numpy(np.int64)]
        lo, hi = np.minimum(u, v).min(axis=0), np.maximum(u, v).max(axis=0)
        pad = reach + 2 * c
        self.x0, self.y1 = lo[0] - pad, hi[1] + pad
        self.w = int(np.ceil((hi[0] - lo[0] + 2 * pad) / c))
        self.h = int(np.ceil((hi[1] - lo[1] + 2 * pad) / c))
        d = v - u
        length = np.hypot(d[:, 0], d[:, 1])
        # candidate samples of each edge: the cells of its bounding box grown by ``reach``
        c0 = np.floor((np.minimum(u[:, 0], v[:, 0]) - reach - self.x0) / c).astype(np.int64)
        c1 = np.floor((np.maximum(u[:, 0], v[:, 0]) + reach - self.x0) / c).astype(np.int64)
        r0 = np.floor((self.y1 - np.maximum(u[:, 1], v[:, 1]) - reach) / c).astype(np.int64)
        r1 = np.floor((self.y1 - np.minimum(u[:, 1], v[:, 1]) + reach) / c).astype(np.int64)
        nx, ny = c1 - c0 + 1, r1 - r0 + 1
        counts = nx * ny
        if counts.sum() > 100_000_000:  # about 1.6 GB of sample pairs at most
            raise InputError(f"The polygon buffer {buffer_m:g} m is too fine for a network this large "
                             f"({int(counts.sum()):,} sample points near its streets): use a larger "
                             "polygon buffer.")
        # float32 offsets from each edge's start (metres: exact enough, half the memory traffic)
        ox = (self.x0 + 0.5 * c - u[:, 0]).astype(np.float32)
        oy = (self.y1 - 0.5 * c - u[:, 1]).astype(np.float32)
        dx, dy = d[:, 0].astype(np.float32), d[:, 1].astype(np.float32)
        len32 = length.astype(np.float32)
        inv_len = (1.0 / np.maximum(length, 1e-12)).astype(np.float32)
        c32, reach2 = np.float32(c), np.float32(reach * reach)
        parts = []
        batch = (np.cumsum(counts) - counts) // pair_budget  # edges in batches of ~pair_budget candidates
        for b in np.unique(batch).tolist():
            e = np.flatnonzero(batch == b)
            k = counts[e]
            ee = np.repeat(e, k)
            j = (np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)).astype(np.int32)
            nxe = nx[ee].astype(np.int32)
            jr = j // nxe
            row = (r0[ee] + jr).astype(np.int32)
            col = (c0[ee] + (j - jr * nxe)).astype(np.int32)
            px = ox[ee] + col * c32  # sample centre minus the edge's start
            py = oy[ee] - row * c32
            il = inv_len[ee]
            t = (px * dx[ee] + py * dy[ee]) * il * il             # position along the edge, unclamped
            perp = np.abs(px * dy[ee] - py * dx[ee]) * il         # distance across the edge's line
            off = (t - np.clip(t, 0.0, 1.0)) * len32[ee]
            near = perp * perp + off * off <= reach2  # the padding keeps every candidate on the grid
            parts.append((ee[near], row[near].astype(np.int64) * self.w + col[near], t[near], perp[near]))
        edge = np.concatenate([p[0] for p in parts])
        # compact: sample ids in 32 bits where the grid allows, positions need no more than float32
        self.sample = np.concatenate([p[1] for p in parts]).astype(
            np.int32 if self.w * self.h < 2 ** 31 else np.int64)  # already grouped by edge
        self.t = np.concatenate([p[2] for p in parts]).astype(np.float32)
        self.perp = np.concatenate([p[3] for p in parts]).astype(np.float32)
        self.edge_length = length
        self.indptr = np.zeros(len(u) + 1, np.int64)
        np.cumsum(np.bincount(edge, minlength=len(u)), out=self.indptr[1:])

    def level(self, edges, t0, t1):
        """(sample, distance) pairs: the distance from each sample within reach of a reached
        piece to that piece (a sample near several pieces appears once per piece)."""
        counts = self.indptr[edges + 1] - self.indptr[edges]
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        pos = np.repeat(self.indptr[edges], counts) + offs
        t = self.t[pos]
        along = (t - np.clip(t, np.repeat(t0, counts), np.repeat(t1, counts))) * np.repeat(
            self.edge_length[edges], counts)
        dist = np.hypot(self.perp[pos], along).astype(np.float32)
        near = dist <= self.reach  # samples along the unreached rest of a partly reached edge are far
        return self.sample[pos][near], dist[near]

    def polygons(self, levels: list) -> list:
        """One (multi)polygon per level: ``levels`` are ``(sample, distance)`` pairs of the
        areas of one facility (or of one dissolved band), each drawn as the contour at
        distance = buffer on one raster window shared by all levels."""
        import shapely

        every = np.concatenate([lv[0] for lv in levels]) if levels else np.zeros(0, np.int64)
        if not len(every):
            return [shapely.Polygon() for _ in levels]
        cy, cx = np.divmod(every, self.w)
        r0, c0 = int(cy.min()) - 1, int(cx.min()) - 1  # one far sample all round closes the contours
        hh, ww = int(cy.max()) - r0 + 2, int(cx.max()) - c0 + 2
        origin = (self.x0 + c0 * self.cell, self.y1 - r0 * self.cell)
        # the levels' windows stacked one under another (each keeps its far border, so no
        # outline crosses from one to the next): one marching-squares pass for all of them
        field = np.full(len(levels) * hh * ww, self.far, dtype=np.float32)
        for k, (sample, dist) in enumerate(levels):
            ly, lx = np.divmod(sample, self.w)
            np.minimum.at(field, (k * hh + ly - r0) * ww + (lx - c0), dist)
        return _contour_below(field.reshape(len(levels) * hh, ww), self.buffer, origin, self.cell,
                              windows=len(levels))


def _contour_below(field, level, origin, cell, *, windows=1):
    """The area where ``field`` (values at cell centres, row 0 at the top, a border of values
    above ``level`` all round) is at most ``level``, as one (multi)polygon per window:
    ``field`` holds ``windows`` windows of the same place stacked one under another (each
    with its own border), and each window's outline is drawn in the place's coordinates.

    Marching squares in numpy: each square of four samples contributes the segments where
    the field crosses ``level`` (linear interpolation along the square's sides), oriented
    with the inside on the left; a saddle is resolved by the mean of its corners. Every
    crossing point then has one segment in and one out, so they join into closed rings
    (list ranking in numpy): counter-clockwise rings are outlines, clockwise ones holes (each
    in the smallest outline around it). GDAL's contour generator draws the same lines as
    fast, but its polygon mode (``ContourGenerateEx``, ``POLYGONIZE=YES``) was 20× slower."""
    import shapely

    h, w = field.shape
    window_rows = h // windows
    inside = field <= level
    if not inside.any():
        return [shapely.Polygon() for _ in range(windows)]
    # crossing points on horizontal sides ((r, c)-(r, c+1)) and vertical sides ((r, c)-(r+1, c))
    n_hor = h * (w - 1)

    def point_row(ids):
        return np.where(ids < n_hor, ids // (w - 1), (ids - n_hor) // w)

    def point_xy(ids):
        hor = ids < n_hor
        r = point_row(ids)
        c = np.where(hor, ids % (w - 1), (ids - n_hor) % w)
        r2, c2 = np.where(hor, r, r + 1), np.where(hor, c + 1, c)
        fa, fb = field[r, c].astype(float), field[r2, c2].astype(float)
        t = (level - fa) / (fb - fa)
        x = origin[0] + (c + 0.5 + t * (c2 - c)) * cell
        y = origin[1] - (r - r // window_rows * window_rows + 0.5 + t * (r2 - r)) * cell  # row in its window
        return np.column_stack([x, y])

    # only the squares the outline crosses (memory follows the outline, not the window)
    crossed = ((inside[1:, :-1] != inside[1:, 1:]) | (inside[1:, 1:] != inside[:-1, 1:]) |
               (inside[:-1, 1:] != inside[:-1, :-1]) | (inside[:-1, :-1] != inside[1:, :-1]))
    rr, cc = np.divmod(np.flatnonzero(crossed), w - 1)
    tl, tr = inside[rr, cc], inside[rr, cc + 1]
    bl, br = inside[rr + 1, cc], inside[rr + 1, cc + 1]
    # the square's sides counter-clockwise on the map (y up): bottom, right, top, left, as
    # (start corner, end corner, crossing point id)
    sides = [(bl, br, (rr + 1) * (w - 1) + cc),
             (br, tr, n_hor + rr * w + cc + 1),
             (tr, tl, rr * (w - 1) + cc),
             (tl, bl, n_hor + rr * w + cc)]
    ex = np.stack([s0 & ~s1 for s0, s1, _ in sides])    # (4, squares)
    en = np.stack([~s0 & s1 for s0, s1, _ in sides])
    pid = np.stack([sid for _, _, sid in sides])
    saddle = (ex | en).sum(axis=0) == 4
    corners = field[rr, cc].astype(float) + field[rr, cc + 1] + field[rr + 1, cc] + field[rr + 1, cc + 1]
    centre_in = corners / 4 <= level
    only_entry = np.argmax(en, axis=0)
    src, dst = [], []
    for p in range(4):
        sel = np.flatnonzero(ex[p])
        # the entry paired with this exit: the square's only one, or at a saddle the one
        # before it going round (or after it when the centre is inside: inside corners join)
        entry_side = np.where(saddle[sel], np.where(centre_in[sel], (p + 1) % 4, (p - 1) % 4), only_entry[sel])
        src.append(pid[p, sel])
        dst.append(pid[entry_side, sel])
    src, dst = np.concatenate(src), np.concatenate(dst)
    ring_xy, ring_of, ring_ids = _rings_of_successors(src, dst, point_xy)
    rings = shapely.linearrings(ring_xy, indices=ring_of)
    window_of = point_row(ring_ids[np.r_[0, np.flatnonzero(np.diff(ring_of)) + 1]]) // window_rows
    shell = shapely.is_ccw(rings)
    shells, holes = np.flatnonzero(shell), np.flatnonzero(~shell)
    if len(holes):
        outline = shapely.polygons(rings[shells])
        probe = shapely.points(shapely.get_coordinates(rings[holes])[
            np.r_[0, np.cumsum(shapely.get_num_coordinates(rings[holes]))[:-1]]])
        si, hi = shapely.STRtree(probe).query(outline, predicate="contains")  # outlines prepared
        same = window_of[shells[si]] == window_of[holes[hi]]  # windows overlap on the map
        si, hi = si[same], hi[same]
        area = shapely.area(outline)
        order = np.lexsort((area[si], hi))
        hi, si = hi[order], si[order]
        first = np.r_[True, hi[1:] != hi[:-1]]
        parent = np.full(len(holes), -1)
        parent[hi[first]] = si[first]
        ok = parent >= 0
        holes, owner_h = holes[ok], shells[parent[ok]]
    else:
        owner_h = np.zeros(0, np.int64)
    all_rings = np.r_[shells, holes]
    poly_of = np.r_[shells, owner_h]
    is_hole = np.r_[np.zeros(len(shells), bool), np.ones(len(holes), bool)]
    order = np.lexsort((is_hole, poly_of))
    part_shells, part_of = np.unique(poly_of[order], return_inverse=True)
    parts = shapely.polygons(rings[all_rings[order]], indices=part_of)
    part_window = window_of[part_shells]
    out = []
    for k in range(windows):
        mine = parts[part_window == k]
        out.append(shapely.Polygon() if not len(mine) else mine[0] if len(mine) == 1 else shapely.multipolygons(mine))
    return out


def _rings_of_successors(src, dst, point_xy):
    """``(coordinates, ring index, point ids)`` of the closed rings formed by segments ``src`` → ``dst``
    in which every point has exactly one segment out and one in (a permutation): each ring
    is cut at its smallest point id and the others are ranked along it by pointer doubling.
    (The ring's smallest point is found by pointer doubling too: scipy's connected components
    cost more in building its sparse matrix than the doubling does, for every contour.)"""
    ids, inv = np.unique(np.r_[src, dst], return_inverse=True)
    n = len(ids)
    a, b = inv[:len(src)], inv[len(src):]
    nxt = np.empty(n, np.int64)
    nxt[a] = b
    steps = int(np.ceil(np.log2(max(n, 2)))) + 1
    head, ptr = np.arange(n), nxt
    for _ in range(steps):  # head[i]: the smallest point among the next 2^k of i's ring
        head = np.minimum(head, head[ptr])
        ptr = ptr[ptr]
    last = nxt == head  # the point before the ring's head ends the list
    dist = np.where(last, 0, 1)
    ptr = np.where(last, np.arange(n), nxt)
    for _ in range(steps):
        dist = dist + dist[ptr]
        ptr = ptr[ptr]
    order = np.lexsort((-dist, head))  # rings by their head; in each, from the head to the end
    sorted_head = head[order]
    ring = np.cumsum(np.r_[False, sorted_head[1:] != sorted_head[:-1]])
    return point_xy(ids[order]), ring, ids[order]


def service_area_polygons(lines, net, *, dissolve, non_overlapping, buffer_m, crs, fb):
    import geopandas as gpd
    import shapely

    if buffer_m is None or buffer_m <= 0:
        raise InputError("The polygon buffer (distance around reached streets) must be positive.")
    if len(lines) == 0:
        return gpd.GeoDataFrame({"facility": np.zeros(0, np.int64), "band": np.zeros(0), "area_m2": np.zeros(0),
                                 "reached_length_m": np.zeros(0)}, geometry=[], crs=crs)
    # Catchments must tile (each place to one facility): nearest-street cells. Otherwise the
    # definition is the union of buffers of the reached pieces: distance contours.
    cells = _StreetCells(net, buffer_m) if non_overlapping and not dissolve else _StreetDistances(net, buffer_m)
    fb.set_progress(0.3)
    fac = lines["facility"].to_numpy(np.int64)
    band = lines["band"].to_numpy(float)
    if dissolve:
        fac = np.full(len(fac), -1)
    import rasterio

    edge_all = lines["edge_id"].to_numpy(np.int64)
    t0_all = lines["t0"].to_numpy(float)
    t1_all = lines["t1"].to_numpy(float)
    length_all = lines["length_m"].to_numpy(float)
    order = np.lexsort((band, fac))
    fs, bs = fac[order], band[order]
    starts = np.flatnonzero(np.r_[True, fs[1:] != fs[:-1]])
    ends = np.r_[starts[1:], len(fs)]
    out, ufac, uband, lengths = [], [], [], []
    with rasterio.Env():  # one GDAL environment for all polygonisations (not one per call)
        for n, (a, b) in enumerate(zip(starts, ends, strict=True)):  # one polygonisation per facility (all bands)
            if n % 8 == 0:
                fb.check()
                fb.set_progress(0.3 + 0.7 * n / len(starts))
            rows = order[a:b]
            bands_here = np.unique(bs[a:b])
            levels = []
            for bv in bands_here:
                r = rows[band[rows] == bv]
                levels.append(cells.level(edge_all[r], t0_all[r], t1_all[r]))
                ufac.append(fs[a])
                uband.append(bv)
                lengths.append(length_all[r].sum())
            out.extend(cells.polygons(levels))
    out = np.asarray(out + [None], dtype=object)[:-1]
    ufac = np.asarray(ufac, dtype=np.int64)
    uband = np.asarray(uband, dtype=float)
    lengths = np.asarray(lengths, dtype=float)
    if non_overlapping and not dissolve:
        # Catchments of one band form a coverage: simplify them together so they stay
        # edge to edge (no gaps, no overlaps). GEOS < 3.12 (QGIS 3.40 on Debian 12 has 3.11)
        # cannot; there the cell outlines stay as they are, since simplifying each catchment
        # alone would open gaps between neighbours.
        if shapely.geos_version >= (3, 12, 0):
            for b in np.unique(uband):
                idx = np.flatnonzero(uband == b)
                out[idx] = shapely.coverage_simplify(out[idx], cells.cell * 0.5, simplify_boundary=True)
    elif isinstance(cells, _StreetCells):
        out = shapely.simplify(out, cells.cell * 0.5, preserve_topology=True)
    polys = gpd.GeoDataFrame({"facility": ufac, "band": uband, "area_m2": shapely.area(out),
                              "reached_length_m": lengths}, geometry=out, crs=crs)
    return polys.sort_values(["facility", "band"]).reset_index(drop=True)

