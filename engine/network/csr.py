"""Compressed sparse row graphs for the searches: arcs reduced to the cheapest, virtual
source/sink arcs stacked onto a base graph, sums along shortest-path trees, arc → edge ids.
Arrays only."""
from __future__ import annotations

import numpy as np


def csr_stack(base, extra, total, base_edge, extra_edge):
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


def csr_min(src, dst, cost, eid, n):
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


def tree_sums(pred, keys, arc_value, total):
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


def arc_edges(graph, arc_edge, a, b):
    """Edge ids of the stored arcs a[i] → b[i]."""
    out = np.empty(len(a), np.int64)
    for i, (x, y) in enumerate(zip(a, b)):
        lo, hi = graph.indptr[x], graph.indptr[x + 1]
        j = lo + np.searchsorted(graph.indices[lo:hi], y)
        out[i] = arc_edge[j]
    return out


def pairs_on_same_edge(edges_a, edges_b):
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
