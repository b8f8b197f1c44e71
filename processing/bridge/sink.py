"""The bridge's sink part: QGIS's own feature sink, for memory layers and databases."""
from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsGeometry,
    QgsProcessingException,
    QgsProcessingUtils,
)

from .types import _python_value, _wkb_type_for, _writable, crs_to_qgis, qgis_fields


def _write_sink(alg, parameters, name, context, gdf):
    import shapely

    gdf = _writable(gdf)  # ids carried as objects get their own type back
    fields = qgis_fields(gdf)
    geometry_column = getattr(gdf, "_geometry_column_name", None)
    if geometry_column is not None and len(gdf):
        geoms = gdf.geometry.values
        kinds = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
        has_z = bool(shapely.has_z(geoms).any())
        wkb_type = _wkb_type_for(kinds, has_z)
        crs = crs_to_qgis(gdf.crs)
    else:
        wkb_type, crs = Qgis.WkbType.NoGeometry, QgsCoordinateReferenceSystem()
        geoms = None
    sink, dest_id = alg.parameterAsSink(parameters, name, context, fields, wkb_type, crs)
    if sink is None:
        raise QgsProcessingException(alg.invalidSinkError(parameters, name))
    columns = [c for c in gdf.columns if c != geometry_column]
    bulk = _bulk_features(gdf, columns, context, name) if geoms is not None else None
    if bulk is not None:  # QGIS copies the features in C++, no Python loop
        if not sink.addFeatures(bulk.getFeatures(), QgsFeatureSink.Flag.FastInsert):
            raise QgsProcessingException(f"Could not write to {name}: {sink.lastError()}")
        return dest_id
    values = gdf[columns].itertuples(index=False, name=None)
    wkbs = shapely.to_wkb(geoms) if geoms is not None else None
    features = []
    for i, row in enumerate(values):
        feature = QgsFeature(fields)
        feature.setAttributes([_python_value(v) for v in row])
        if wkbs is not None and wkbs[i] is not None:
            geometry = QgsGeometry()
            geometry.fromWkb(wkbs[i])
            feature.setGeometry(geometry)
        features.append(feature)
    if not sink.addFeatures(features, QgsFeatureSink.Flag.FastInsert):
        raise QgsProcessingException(f"Could not write to {name}: {sink.lastError()}")
    return dest_id


def _bulk_features(gdf, columns, context, name):
    """``gdf`` written in bulk (pyogrio) to a temporary FlatGeobuf and opened as a QGIS layer
    whose fields are exactly ``columns``, so a sink can take its features in one C++ call;
    None when that cannot be done (the caller then builds the features in Python)."""
    import warnings

    import pyogrio
    from qgis.core import QgsVectorLayer

    try:
        path = QgsProcessingUtils.generateTempFilename(f"{name.lower()}_sink.fgb", context)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyogrio.write_dataframe(_writable(gdf), path, driver="FlatGeobuf",
                                    layer_options={"SPATIAL_INDEX": "NO"})
    except Exception:
        return None
    layer = QgsVectorLayer(path, "sink", "ogr")
    if not layer.isValid() or layer.fields().names() != [str(c) for c in columns] \
            or layer.featureCount() != len(gdf):
        return None
    return layer

