"""The bridge's types part: CRS, field and geometry types translated between QGIS and geopandas."""
from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsField,
    QgsFields,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QMetaType

# What GDAL calls a GeoPackage layer's CRS when it has none (srs_id -1 and 0; geopandas and
# QGIS write these for a layer without CRS). QGIS shows it as a valid CRS, pyproj reads the
# first as geographic: both would turn metres into "degrees". It is no CRS.
_UNDEFINED_CRS_NAMES = ("Undefined geographic SRS", "Undefined Cartesian SRS", "Undefined SRS")


def _is_undefined(crs) -> bool:
    text = crs if isinstance(crs, str) else getattr(crs, "name", "") or ""
    return any(name in text for name in _UNDEFINED_CRS_NAMES)


def crs_to_engine(crs: QgsCoordinateReferenceSystem):
    """A QGIS CRS as something geopandas/pyproj accepts (EPSG code when there is one); None
    for no CRS, including a GeoPackage's 'Undefined geographic/Cartesian SRS'."""
    if crs is None or not crs.isValid() or _is_undefined(crs.description()):
        return None
    authid = crs.authid()
    if authid.upper().startswith("EPSG:"):
        return authid
    return crs.toWkt(Qgis.CrsWktVariant.Preferred)


def crs_to_qgis(crs) -> QgsCoordinateReferenceSystem:
    if crs is None:
        return QgsCoordinateReferenceSystem()
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    if epsg:
        return QgsCoordinateReferenceSystem(f"EPSG:{epsg}")
    return QgsCoordinateReferenceSystem.fromWkt(crs.to_wkt() if hasattr(crs, "to_wkt") else str(crs))


def _kind_of_name(geometry_type) -> str:
    text = (geometry_type or "").lower()
    if "point" in text:
        return "point"
    if "polygon" in text or "surface" in text:
        return "polygon"
    if "line" in text or "curve" in text:  # CompoundCurve, CircularString, MultiCurve
        return "line"
    return "none"


def _geometry_kind(wkb_type) -> str:
    geometry_type = QgsWkbTypes.geometryType(wkb_type)
    return {Qgis.GeometryType.Point: "point", Qgis.GeometryType.Line: "line",
            Qgis.GeometryType.Polygon: "polygon"}.get(geometry_type, "none")


def _writable(gdf, driver=None):
    """Columns GDAL can store: object columns of mixed content become text; a shapefile has
    no date-time type, so its date-times are written as ISO text (dates alone as YYYY-MM-DD)."""
    import pandas as pd

    frame = gdf.copy(deep=False)  # columns are replaced below, never changed in place
    for column in frame.columns:
        if column == getattr(frame, "_geometry_column_name", None):
            continue
        series = frame[column]
        if driver == "ESRI Shapefile" and pd.api.types.is_datetime64_any_dtype(series.dtype):
            midnight = series.dropna().dt.normalize().eq(series.dropna()).all()
            text = series.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%dT%H:%M:%S")
            frame[column] = text.astype(object).where(series.notna(), None)
            continue
        if series.dtype == object:
            typed = _typed_objects(series)
            if typed is not None:
                frame[column] = typed
                continue
            sample = series.dropna()
            if len(sample) and not all(isinstance(v, str) for v in sample.iloc[:1000]):
                frame[column] = series.map(
                    lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
    return frame


def _typed_objects(series):
    """An object column whose values are all of one kind (ids carried through an engine as
    Python objects) as that kind: whole numbers as nullable integers, floats, booleans,
    date-times; None for text or mixed content. So an integer ``track_id`` stays an
    integer in the output, not text."""
    import pandas as pd

    kind = pd.api.types.infer_dtype(series, skipna=True)
    try:
        if kind == "integer":
            return series.astype("Int64")
        if kind in ("floating", "mixed-integer-float", "decimal"):
            return pd.to_numeric(series).astype(float)
        if kind == "boolean":
            return series.astype("boolean")
        if kind in ("datetime64", "datetime"):
            return pd.to_datetime(series).astype("datetime64[ms]")
    except (TypeError, ValueError, OverflowError):
        return None
    return None


def qgis_fields(gdf) -> QgsFields:
    """QgsFields for the attribute columns of a (Geo)DataFrame."""
    import pandas as pd

    fields = QgsFields()
    geometry_column = getattr(gdf, "_geometry_column_name", None)
    for column in gdf.columns:
        if column == geometry_column:
            continue
        dtype = gdf[column].dtype
        if pd.api.types.is_bool_dtype(dtype):
            kind = QMetaType.Type.Bool
        elif pd.api.types.is_integer_dtype(dtype):
            kind = QMetaType.Type.LongLong
        elif pd.api.types.is_float_dtype(dtype):
            kind = QMetaType.Type.Double
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kind = QMetaType.Type.QDate if _is_date_column(gdf, column) else QMetaType.Type.QDateTime
        else:
            kind = QMetaType.Type.QString
        fields.append(QgsField(str(column), kind))
    return fields


def _is_date_column(gdf, column) -> bool:
    """A date-time column named as a date field of an input (``attrs['date_fields']``, set by
    :func:`write_output`) that still holds dates only: written back as a date, not a
    date-time (the engine holds dates and date-times alike)."""
    if column not in gdf.attrs.get("date_fields", ()):
        return False
    values = gdf[column].dropna()
    return bool((values == values.dt.normalize()).all())


def _python_value(value):
    """A pandas/numpy value as something a QGIS feature accepts (None for every kind of null;
    QDateTime/QDate for timestamps and dates, which QGIS does not convert from Python's)."""
    import datetime

    import numpy as np
    import pandas as pd
    from qgis.PyQt.QtCore import QDate, QDateTime

    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if not isinstance(value, (str, bytes)) and pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("UTC").tz_localize(None)
        return QDateTime(value.to_pydatetime())
    if isinstance(value, datetime.datetime):
        return QDateTime(value)
    if isinstance(value, datetime.date):
        return QDate(value)
    return value


def _wkb_type_for(kinds: set, has_z: bool):
    # shapely type ids: 0 point, 1 linestring, 2 linearring, 3 polygon, 4 multipoint,
    # 5 multilinestring, 6 multipolygon, 7 collection
    if kinds <= {0}:
        base = Qgis.WkbType.Point
    elif kinds <= {0, 4}:
        base = Qgis.WkbType.MultiPoint
    elif kinds <= {1}:
        base = Qgis.WkbType.LineString
    elif kinds <= {1, 5}:
        base = Qgis.WkbType.MultiLineString
    elif kinds <= {3}:
        base = Qgis.WkbType.Polygon
    elif kinds <= {3, 6}:
        base = Qgis.WkbType.MultiPolygon
    else:
        base = Qgis.WkbType.GeometryCollection
    return QgsWkbTypes.addZ(base) if has_z else base

