"""The outputs of :func:`engine.linkage.link_addresses` as written by ``joinedup:linkaddresses``:
the agency's own fields (identifiers protected) beside the link, and the review layer."""
from __future__ import annotations

import pandas as pd

from .identifiers import guess_identifier_fields, protect_identifiers


def plain_table(frame) -> pd.DataFrame | None:
    """``frame``'s attributes without its geometry (None stays None)."""
    import geopandas as gpd

    if frame is None:
        return None
    return pd.DataFrame(frame.drop(columns=[frame.geometry.name]) if isinstance(frame, gpd.GeoDataFrame) else frame)


def linked_records(records, result, *, identifier_fields=None, identifier_action: str = "drop",
                   salt: str | None = None):
    """The records' own fields beside ``result`` (the link, with its point), in input order.

    Direct identifiers (``identifier_fields``, else the fields named like them) are dropped,
    hashed or kept (``identifier_action``); a record field named like a link field (or
    'geometry') is kept as ``<name>_input``. Returns ``(GeoDataFrame, note)``, the note saying
    which fields were protected (None when no field looked like an identifier)."""
    import geopandas as gpd

    from .linkage import OUTPUT_FIELDS

    attributes = plain_table(records)
    ids = list(identifier_fields or []) or guess_identifier_fields(attributes.columns)
    attributes, note = protect_identifiers(attributes, ids, action=identifier_action, salt=salt)
    clash = {c: f"{c}_input" for c in attributes.columns if c in OUTPUT_FIELDS or c == "geometry"}
    attributes = attributes.rename(columns=clash).reset_index(drop=True)
    linked = result.drop(columns=["geometry"]).reset_index(drop=True)
    return gpd.GeoDataFrame(pd.concat([attributes, linked], axis=1),
                            geometry=result.geometry.reset_index(drop=True), crs=result.crs), note


def review_layer(report, crs):
    """The review band of a run (``report.review``) at its candidates' points."""
    import geopandas as gpd

    return gpd.GeoDataFrame(report.review, geometry=gpd.GeoSeries(report.review_geometry, crs=crs), crs=crs)
