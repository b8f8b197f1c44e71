"""Origin–destination tables in chunks of origins, in this process or on a Dask cluster
(:mod:`engine.scale`): the network and the snapped destinations go to each worker once, each
task is :func:`engine.network_tools.od_table` for a chunk of origins, and the chunks' rows are
put back in origin order. Each origin's rows depend only on that origin, so the table is the
one :func:`od_table` gives for all origins at once: the same rows and reasons, and costs equal
to about 1e-12 relative (the routing graph with fewer snapped origins adds the same lengths in
another order). The chunked table is the same to the last bit in-process and on a cluster.
"""
from __future__ import annotations

import numpy as np

from .errors import as_feedback

ORIGINS_PER_TASK = 256


def od_table_in_chunks(net, o, d, *, execution=None, origins_per_task: int = ORIGINS_PER_TASK, feedback=None,
                       **options):
    """:func:`engine.network_tools.od_table` (same arguments in ``options``: weight, max_cost,
    k, access_speed_kmh) for chunks of ``origins_per_task`` origins, run where ``execution``
    says; ``origin_row`` is the row among all origins."""
    import pandas as pd

    from .scale import run_tasks

    fb = as_feedback(feedback)
    starts = range(0, len(o), max(1, int(origins_per_task)))
    tasks = [(o.take(np.arange(s, min(s + origins_per_task, len(o)))), s, options) for s in starts]
    parts = run_tasks(_od_chunk, (net, d), tasks, execution=execution, feedback=fb)
    if not parts:
        from .network_tools import od_table

        return od_table(net, o, d, **options)
    return pd.concat(parts, ignore_index=True)


def _od_chunk(shared, origins, first_row, options):
    from .network_tools import od_table

    net, d = shared
    table = od_table(net, origins, d, **options)
    table["origin_row"] = table["origin_row"] + first_row
    return table
