"""Point layers routed on a network (origins, destinations, incidents, facilities): their
parameters, reading them with their ids, logging the points off the network, and turning an
engine table into what the user sees (ids first, costs in metres or minutes)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
)

if TYPE_CHECKING:
    from .network_params import NetworkSettings


def add_point_source(alg, name: str, label: str, help_text: str, id_name: str, id_label: str):
    """A point layer parameter and its optional id field."""
    alg.add_parameter(QgsProcessingParameterFeatureSource(name, alg.tr(label),
                                                          [QgsProcessing.SourceType.TypeVectorPoint]), help_text)
    alg.add_parameter(QgsProcessingParameterField(id_name, alg.tr(id_label), parentLayerParameterName=name,
                                                  optional=True),
                      "Field identifying each feature in the outputs. Empty: the feature's row number "
                      "(from 0). Duplicate or null ids are kept and logged.")


def read_points(alg, parameters, name, context, feedback, *, id_field_param: str | None = None,
                required: bool = True):
    """A point layer and its id values. Returns ``(gdf, ids)``; ``ids`` are the id field's
    values, or the feature's row number (from 0) when no id field is set. Duplicate or null
    ids are logged (rows stay distinct through their row number)."""
    import numpy as np

    from .bridge import read_source

    gdf, report = read_source(alg, parameters, name, context, feedback, required=required)
    if gdf is None:
        return None, None
    feedback.pushInfo(report.describe())
    if len(gdf) == 0:
        raise QgsProcessingException(f"{report.name} is empty: nothing to route.")
    if gdf.attrs.get("geometry_kind") not in ("point", None):
        raise QgsProcessingException(f"{report.name} must be a point layer.")
    field = alg.parameterAsString(parameters, id_field_param, context) if id_field_param else ""
    if field:
        if field not in gdf.columns:
            raise QgsProcessingException(f"Field {field!r} is not in {report.name}.")
        import pandas as pd

        null_mask = pd.isna(gdf[field]).to_numpy()
        ids = gdf[field].to_numpy(dtype=object) if null_mask.any() else gdf[field].to_numpy()
        if null_mask.any():
            ids[null_mask] = None
        nulls = int(null_mask.sum())
        dups = int(gdf[field].duplicated(keep=False).sum())
        if nulls:
            feedback.pushWarning(f"{report.name}: {nulls} features have a null {field!r}; they are "
                                 "kept and can be told apart by their row number.")
        if dups:
            feedback.pushWarning(f"{report.name}: {dups} features share an {field!r} value with another; "
                                 "they are kept as separate rows (see the row number fields).")
    else:
        ids = np.arange(len(gdf), dtype=np.int64)
    return gdf, ids


def describe_unsnapped(feedback, name, snap, ids, max_snap_m):
    """Log points that are not on the network (no geometry, or beyond MAX_SNAP)."""
    import numpy as np

    off = np.flatnonzero(snap.edge < 0)
    if not len(off):
        return
    no_geom = off[np.isnan(snap.snap_dist_m[off])]
    far = off[~np.isnan(snap.snap_dist_m[off])]
    if len(no_geom):
        feedback.pushWarning(f"{name}: {len(no_geom)} features have no geometry: not routed.")
    if len(far):
        sample = ", ".join(f"{ids[i]} ({snap.snap_dist_m[i]:.0f} m)" for i in far[:5])
        feedback.pushWarning(f"{name}: {len(far)} points are farther than {max_snap_m:g} m from the "
                             f"network and are not routed, e.g. {sample}.")


def take_ids(ids, rows):
    """The ids of ``rows`` (-1 = none) as a pandas Series with a 0..n-1 index: integer ids stay
    integers (nullable), missing ones are null."""
    import numpy as np
    import pandas as pd

    rows = np.asarray(rows, dtype=np.int64)
    s = pd.Series(ids)
    if pd.api.types.is_integer_dtype(s.dtype):
        s = s.astype("Int64")
    if len(s) == 0:
        return pd.Series([None] * len(rows), dtype=object)
    out = s.iloc[np.maximum(rows, 0)].reset_index(drop=True)
    if (rows < 0).any():
        out = out.astype(object) if not isinstance(out.dtype, pd.api.extensions.ExtensionDtype) else out
        out[rows < 0] = None
    return out


def user_table(table, settings: NetworkSettings, ids: dict, *, reason_last: bool = False):
    """An engine table as the user sees it: id columns first (``ids``: column name → (ids of
    the layer, the table's row column)), cost in metres or minutes, ``time_min`` for the
    engine's seconds; ``reason_last`` moves the reason column to the end."""
    for position, (column, (values, row_column)) in enumerate(ids.items()):
        table.insert(position, column, take_ids(values, table[row_column].to_numpy()))
    table["cost"] = settings.to_user(table["cost"])
    table["time_min"] = table.pop("time_s") / 60.0
    if reason_last:
        table["reason"] = table.pop("reason")
    return table
