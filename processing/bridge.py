"""The one bridge between QGIS and the engine: feature sources in as GeoDataFrames, results
out as layers. Every algorithm reads and writes through here.

Reading (:func:`read_source`, :func:`read_layer`): QGIS hands us an OGR-readable file for any
source, exporting in C++ only when it has to (selected features only, a feature filter or
subset string, a memory layer, a non-OGR provider); pyogrio then reads it in bulk (numpy
arrays from GDAL; pyarrow is not needed). No Python loop over features. The layer's CRS comes
from QGIS (a user may have overridden the file's).
- Fields: every attribute field in QGIS's order, with its values and nulls (integers and
  booleans with nulls are pandas' nullable Int64/boolean, dates and date-times datetime64);
  GeoPackage's ``fid`` is not a field. ``report.fids`` has QGIS's feature ids in row order.
- Geometry: multipart stays multipart, Z is kept, M is dropped. Null and empty geometries are
  both read as None (QGIS exports "no geometry" as an empty point) and counted.
- Unreadable geometries (e.g. a ring with too few points, which strict readers reject for the
  whole layer) are repaired where GEOS can, else read as null; each is counted in the report.
- Row order is the source's order and the index is positional (0..n-1), so outputs can
  account for every input feature.

Writing (:func:`write_output`): a file destination (a path, a temporary output, or a
GeoPackage layer) is written in bulk by pyogrio (GeoPackage 1.2, which QGIS 3.40 on GDAL 3.6
reads without a warning); any other destination (``memory:``, a database) goes through QGIS's
own feature sink. Outputs never overwrite an input (file, or the same layer of a GeoPackage).
A shapefile has no date-time or boolean type: date-times are written as ISO text.
"""
from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field

from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingUtils,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QMetaType

from ..engine.geometry import drop_degenerate_rings
from .database import (
    bulk_readable_table,
    is_database_destination,
    refuse_existing_table,
    without_geometry_column,
)

# File formats pyogrio reads directly; anything else is exported to GeoPackage first.
READABLE_EXTENSIONS = ["gpkg", "shp", "geojson", "json", "fgb", "sqlite", "gml", "kml",
                       "tab", "mif", "gdb", "pbf", "osm", "geojsonl", "geojsons"]
# Extension -> GDAL driver for outputs written in bulk.
WRITE_DRIVERS = {
    ".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".geojson": "GeoJSON", ".json": "GeoJSON",
    ".fgb": "FlatGeobuf", ".sqlite": "SQLite", ".gml": "GML", ".kml": "KML", ".csv": "CSV",
    ".tab": "MapInfo File", ".xlsx": "XLSX", ".ods": "ODS",
}
_OGR_URI = re.compile(r"^ogr:dbname='(?P<path>(?:[^']|'')+)'\s+table=\"(?P<table>(?:[^\"]|\"\")+)\"")


@dataclass
class ReadReport:
    """What reading a source met: counts a help text and the log can quote."""
    name: str
    features: int = 0
    null_geometries: int = 0
    repaired_unreadable: int = 0
    unreadable_geometries: int = 0
    curves_segmentized: int = 0
    degenerate_rings_dropped: int = 0  # features that lost a ring of < 4 points, kept their area
    degenerate_polygons: int = 0  # features whose every ring had < 4 points: read as null
    path: str = ""
    notes: list = field(default_factory=list)
    fids: object = None  # numpy int64 array of QGIS feature ids, in row order

    def describe(self) -> str:
        parts = [f"{self.name}: {self.features} features read"]
        if self.null_geometries:
            parts.append(f"{self.null_geometries} with no geometry")
        if self.repaired_unreadable:
            parts.append(f"{self.repaired_unreadable} unreadable geometries repaired on read")
        if self.unreadable_geometries:
            parts.append(f"{self.unreadable_geometries} unreadable geometries (e.g. rings with too "
                         "few points) read as null")
        if self.curves_segmentized:
            parts.append(f"{self.curves_segmentized} curved geometries segmentized (at most "
                         f"{CURVE_STEP_DEGREES:g}° of arc per straight segment)")
        if self.degenerate_rings_dropped:
            parts.append(f"{self.degenerate_rings_dropped} polygons had rings of fewer than 4 points "
                         "(no area) removed")
        if self.degenerate_polygons:
            parts.append(f"{self.degenerate_polygons} polygons made only of rings of fewer than 4 "
                         "points read as null")
        return ", ".join(parts)

    @property
    def changed(self) -> bool:
        """True when reading changed or nulled some geometry (then the log says so)."""
        return bool(self.repaired_unreadable or self.unreadable_geometries or self.curves_segmentized
                    or self.degenerate_rings_dropped or self.degenerate_polygons)


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


def _layer_path(path_and_layer: str) -> str:
    return path_and_layer.split("|")[0]


def read_source(alg, parameters, name, context, feedback, *, required=True, columns=None,
                xy_points=False):
    """Read the feature-source parameter ``name`` into a GeoDataFrame.

    Returns ``(gdf, report)``; ``(None, None)`` when the parameter is optional and unset.
    ``gdf.attrs`` carries ``source_name`` (the layer's name), ``source_path``,
    ``geometry_type`` (QGIS's geometry type name) and ``geometry_kind`` ('point', 'line',
    'polygon' or 'none') for messages and provenance. ``report.fids`` holds QGIS's feature
    ids in row order (kept through QGIS's export of selections, filters and memory layers).
    ``columns``: read only these attribute fields (None: all). ``xy_points=True``: a layer
    of plain 2D points comes back with null geometries and ``gdf.attrs['xy'] = (x, y)``
    (seconds faster for millions of points; only for engines that accept it).
    """
    source = alg.parameterAsSource(parameters, name, context)
    if source is None:
        if not required:
            return None, None
        raise QgsProcessingException(alg.invalidSourceError(parameters, name))
    layer = alg.parameterAsVectorLayer(parameters, name, context)
    display = layer_display_name(layer) if layer is not None else (source.sourceName() or name)
    table = bulk_readable_table(layer, parameters.get(name))
    if table is not None:
        read = _read_database_table(*table, display=display, source=source, columns=columns,
                                    xy_points=xy_points)
        if read is not None:
            if read[1].changed:
                feedback.pushWarning(read[1].describe())
            return read
    path, layer_name = alg.parameterAsCompatibleSourceLayerPathAndLayerName(
        parameters, name, context, READABLE_EXTENSIONS, "gpkg", feedback)
    if feedback is not None and feedback.isCanceled():  # QGIS's export stops on cancel: no file
        raise QgsProcessingException("Cancelled: no output was written.")
    file_path = _layer_path(path)
    gdf, report = read_file(file_path, layer_name or None, display=display,
                            crs=crs_to_engine(source.sourceCrs()), fields=source.fields(),
                            columns=columns, xy_points=xy_points)
    gdf.attrs["geometry_type"] = QgsWkbTypes.displayString(source.wkbType())
    gdf.attrs["geometry_kind"] = _geometry_kind(source.wkbType())
    if report.changed:
        feedback.pushWarning(report.describe())
    return gdf, report


def _read_database_table(connection, table, *, display, source, columns, xy_points):
    """A whole PostGIS table through GDAL's PostgreSQL driver, as :func:`read_source` returns
    it; None when GDAL cannot (the caller then takes QGIS's export). GDAL gives the primary key
    as the feature id, where QGIS shows it as a field too: it is put back in QGIS's place."""
    try:
        gdf, report = read_file(connection, table, display=display, crs=crs_to_engine(source.sourceCrs()),
                                fields=source.fields(), columns=columns, xy_points=xy_points)
    except Exception:  # never a message here: ``connection`` may hold a password
        return None
    report.path = f"PostGIS table {table}"
    gdf.attrs["source_path"] = report.path
    wanted = [f.name() for f in source.fields() if columns is None or f.name() in columns]
    missing = [n for n in wanted if n not in gdf.columns]
    if len(missing) > 1 or (missing and len(report.fids) != len(gdf)):
        return None
    for key in missing:  # the primary key
        gdf.insert(wanted.index(key), key, report.fids)
    gdf.attrs["geometry_type"] = QgsWkbTypes.displayString(source.wkbType())
    gdf.attrs["geometry_kind"] = _geometry_kind(source.wkbType())
    return gdf, report


def read_layer(layer, context, feedback, *, selected_only=False):
    """Read a vector layer (e.g. one of a multiple-layers parameter) into a GeoDataFrame,
    exactly as :func:`read_source` reads a source parameter. Returns ``(gdf, report)``."""
    path, layer_name = QgsProcessingUtils.convertToCompatibleFormatAndLayerName(
        layer, selected_only, layer.name() or "layer", READABLE_EXTENSIONS, "gpkg", context, feedback)
    gdf, report = read_file(_layer_path(path), layer_name or None, display=layer.name(),
                            crs=crs_to_engine(layer.crs()), fields=layer.fields())
    gdf.attrs["geometry_type"] = QgsWkbTypes.displayString(layer.wkbType())
    gdf.attrs["geometry_kind"] = _geometry_kind(layer.wkbType())
    if feedback is not None and report.changed:
        feedback.pushWarning(report.describe())
    return gdf, report


# Formats read through GDAL's own columnar (Arrow) interface straight into numpy: about
# 6-10x faster than pyogrio's row-by-row read for 1M features, and no pyarrow needed.
COLUMNAR_EXTENSIONS = (".gpkg", ".fgb")
# Features per batch of that read (GDAL's default is 65,536).
TEXT_BATCH_ROWS = 2048


def _read_columnar(file_path, layer_name, columns):
    """``(meta, fids, wkb, columns)`` like ``pyogrio.raw.read`` but through GDAL's
    ``GetArrowStreamAsNumPy`` (GDAL >= 3.6), or None where that path does not apply (then
    the caller reads with pyogrio). ``columns``: attribute fields to read (None: all)."""
    import numpy as np
    import pandas as pd

    if not file_path.lower().endswith(COLUMNAR_EXTENSIONS) or os.environ.get("JOINEDUP_READER") == "pyogrio":
        return None
    try:
        from osgeo import ogr  # QGIS's own GDAL bindings
    except ImportError:
        return None
    ogr.UseExceptions()
    ds = ogr.Open(file_path)
    if ds is None:
        return None
    layer = ds.GetLayerByName(layer_name) if layer_name else ds.GetLayer(0)
    if layer is None or not hasattr(layer, "GetArrowStreamAsNumPy"):
        return None
    defn = layer.GetLayerDefn()
    names = [defn.GetFieldDefn(k).GetName() for k in range(defn.GetFieldCount())]
    kinds = [defn.GetFieldDefn(k).GetType() for k in range(defn.GetFieldCount())]
    if columns is not None:
        wanted = {c.lower() for c in columns}
        layer.SetIgnoredFields([n for n in names if n.lower() not in wanted])
        keep = [k for k, n in enumerate(names) if n.lower() in wanted]
        names, kinds = [names[k] for k in keep], [kinds[k] for k in keep]
    supported = (ogr.OFTInteger, ogr.OFTInteger64, ogr.OFTReal, ogr.OFTString, ogr.OFTDate,
                 ogr.OFTDateTime)
    if any(k not in supported for k in kinds) or any(
            defn.GetFieldDefn(defn.GetFieldIndex(nm)).GetSubType() != ogr.OFSTNone for nm in names):
        return None  # booleans, int16, float32, times, binaries ...: the general reader
    if ogr.GT_HasM(layer.GetGeomType()):
        return None  # the general reader drops M, as documented
    fid_name = layer.GetFIDColumn() or "OGC_FID"
    geom_name = layer.GetGeometryColumn() or "wkb_geometry"
    has_geometry = defn.GetGeomFieldCount() > 0
    layer.ResetReading()
    parts = {n: [] for n in names + [fid_name, geom_name]}
    text_fields = {nm for nm, k in zip(names, kinds) if k == ogr.OFTString}
    # GDAL hands text as fixed-width bytes padded to the batch's longest value: small batches,
    # each decoded to Python strings at once, keep one long free-text note from costing
    # (rows x its length) bytes.
    stream = layer.GetArrowStreamAsNumPy(options=["GEOMETRY_ENCODING=WKB",
                                                  f"MAX_FEATURES_IN_BATCH={TEXT_BATCH_ROWS}"])
    for batch in stream:
        for key, values in batch.items():
            if key in text_fields:
                decoded = _decode_utf8(np.ma.getdata(values))
                parts[key].append(np.ma.array(decoded, mask=np.ma.getmaskarray(values))
                                  if np.ma.isMaskedArray(values) else decoded)
            elif key in parts:
                # copies: the batch's memory belongs to the stream, released below
                parts[key].append(values.copy())
    del stream  # release GDAL's objects now, not at interpreter exit
    n = sum(len(v) for v in parts[fid_name]) if parts[fid_name] else layer.GetFeatureCount()

    def joined(key):
        chunks = parts[key]
        if not chunks:
            return None
        return np.ma.concatenate(chunks) if any(np.ma.isMaskedArray(c) for c in chunks) \
            else np.concatenate(chunks)

    out_columns, dtypes = [], []
    for name, kind in zip(names, kinds):
        values = joined(name)
        if values is None:
            values = np.ma.masked_all(n, dtype=object)
        mask = np.ma.getmaskarray(values) if np.ma.isMaskedArray(values) else np.zeros(n, bool)
        data = np.ma.getdata(values)
        if kind == ogr.OFTString:
            text = np.asarray(data, dtype=object).copy()  # decoded batch by batch above
            text[mask] = None
            out_columns.append(text)
            dtypes.append("object")
        elif kind in (ogr.OFTInteger, ogr.OFTInteger64):
            if mask.any():
                out_columns.append(pd.array(np.where(mask, 0, data).astype(np.int64), dtype="Int64"))
                out_columns[-1][mask] = pd.NA
            else:
                out_columns.append(data.astype(np.int64))
            dtypes.append("int64")
        elif kind == ogr.OFTReal:
            out_columns.append(np.where(mask, np.nan, data.astype(float)))
            dtypes.append("float64")
        else:  # dates
            out_columns.append(np.where(mask, np.datetime64("NaT"), data).astype("datetime64[ms]"))
            dtypes.append("datetime64[ms]")
    wkb = None
    if has_geometry:
        geoms = joined(geom_name)
        if geoms is None:
            wkb = np.full(n, None, dtype=object)
        else:
            mask = np.ma.getmaskarray(geoms) if np.ma.isMaskedArray(geoms) else np.zeros(n, bool)
            wkb = np.ma.getdata(geoms).astype(object)
            wkb[mask] = None
    fids = joined(fid_name)
    fids = np.asarray(fids if fids is not None else np.arange(n), dtype=np.int64)
    srs = layer.GetSpatialRef()
    crs = None
    if srs is not None:
        code = srs.GetAuthorityCode(None)
        crs = f"{srs.GetAuthorityName(None)}:{code}" if code else srs.ExportToWkt()
    meta = {"fields": names, "dtypes": dtypes, "crs": crs,
            "geometry_type": ogr.GeometryTypeToName(layer.GetGeomType()) if has_geometry else None}
    del layer, srs
    ds = None  # noqa: F841  (closes the file)
    return meta, fids, wkb, out_columns


def _decode_utf8(data):
    """GDAL's UTF-8 byte strings as Python strings, one by one. (``astype("S")`` would first
    copy every value padded to the longest: one 50 kB note in 1M rows asks for 50 GB.)"""
    import numpy as np

    out = np.empty(len(data), dtype=object)
    out[:] = [value.decode("utf-8", "replace") if isinstance(value, bytes) else value for value in data]
    return out


def read_file(file_path, layer_name=None, *, display=None, crs=None, fields=None, columns=None,
              xy_points=False):
    """Bulk read of one OGR layer into a GeoDataFrame (pyogrio; no pyarrow needed, no Python
    loop over features). ``crs`` overrides the file's; ``fields`` (QgsFields) fixes the
    attribute columns and their order. Integer and boolean fields with nulls become pandas'
    nullable ``Int64``/``boolean`` (not float), dates ``datetime64``, nulls stay null."""
    import warnings

    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely
    from pyogrio.raw import read

    display = display or os.path.basename(file_path)
    report = ReadReport(name=display, path=file_path)
    try:
        curved_layer = _declares_curves(file_path, layer_name)
        # GDAL makes curves straight itself when pyogrio has switched its curve support off
        # (process-wide, once pyogrio has read): then with QGIS's step too
        with warnings.catch_warnings(record=True) as caught, \
                _gdal_option("OGR_ARC_STEPSIZE", f"{CURVE_STEP_DEGREES:g}"):
            warnings.simplefilter("always")
            try:
                fast = _read_columnar(file_path, layer_name, columns)
            except Exception:  # any surprise: the general reader below
                fast = None
            if fast is not None:
                meta, fids, wkb, columns = fast
            else:
                meta, fids, wkb, columns = read(file_path, layer=layer_name, return_fids=True,
                                                columns=columns, xy_points=xy_points)
    except Exception as exc:  # GDAL's own message names the problem
        raise QgsProcessingException(f"Could not read {display} ({file_path}): {exc}")
    report.notes.extend(sorted({str(w.message) for w in caught if "GDAL" in w.category.__name__
                                or issubclass(w.category, RuntimeWarning)}))
    n = len(fids) if fids is not None else (len(wkb) if wkb is not None else len(columns[0]) if columns else 0)
    frame = pd.DataFrame({field_name: _column(values, dtype) for field_name, values, dtype
                          in zip(meta["fields"], columns, meta["dtypes"])}, index=range(n))
    xy = _point_xy(wkb) if (xy_points and wkb is not None) else None
    if xy is not None:
        # plain 2D points: coordinates only, no geometry objects (see xy_points)
        geoms = np.full(n, None, dtype=object)
        report.null_geometries = int(np.isnan(xy[0]).sum())
    elif wkb is not None:
        wkb = np.asarray(wkb, dtype=object)
        try:
            geoms = shapely.from_wkb(wkb, on_invalid="ignore")
        except NotImplementedError:
            # shapely 2.1 on GEOS 3.13 (Debian 13) refuses a curve outright, where older ones read
            # it as null: segmentize the curves first, found by their WKB type
            rows = np.flatnonzero([_is_curved_wkb(item) for item in wkb])
            wkb[rows] = _segmentize_curves(wkb[rows])
            report.curves_segmentized = len(rows)
            geoms = shapely.from_wkb(wkb, on_invalid="ignore")
        bad = np.flatnonzero(shapely.is_missing(geoms) & pd.notna(wkb))
        if bad.size:  # curves (GEOS has none), then what GEOS can repair
            linear = _segmentize_curves(wkb[bad])
            curved = np.not_equal(linear, None).astype(bool)
            report.curves_segmentized += int(curved.sum())
            wkb[bad[curved]] = linear[curved]
            fixed = shapely.from_wkb(wkb[bad], on_invalid="fix")
            geoms[bad] = fixed
            report.repaired_unreadable = int((~shapely.is_missing(fixed) & ~curved).sum())
            report.unreadable_geometries = int(shapely.is_missing(fixed).sum())
        # QGIS exports a feature with no geometry as an empty one (POINT EMPTY): both are null here.
        geoms[shapely.is_empty(geoms)] = None
        report.degenerate_rings_dropped, report.degenerate_polygons = drop_degenerate_rings(geoms)
        _drop_m(geoms)
    else:
        geoms = np.full(n, None, dtype=object)
    report.features = n
    if curved_layer and wkb is not None:  # a curved layer type: every feature was a curve
        report.curves_segmentized = int((~shapely.is_missing(geoms)).sum())
    if xy is None:
        report.null_geometries = (int(shapely.is_missing(geoms).sum()) - report.unreadable_geometries
                                  - report.degenerate_polygons)
    report.fids = np.asarray(fids if fids is not None else np.arange(n), dtype=np.int64)
    if crs is None and meta.get("crs") and not _is_undefined(meta["crs"]):
        crs = meta["crs"]
    if fields is not None:
        frame = _drop_fid(frame, fields)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
    gdf.attrs["source_name"] = display
    gdf.attrs["source_path"] = file_path
    gdf.attrs["geometry_kind"] = _kind_of_name(meta.get("geometry_type"))
    if xy is not None:
        gdf.attrs["xy"] = xy
    return gdf, report


# Curves become straight segments of at most this much arc: QGIS's own default
# (QgsAbstractGeometry.segmentize), so lengths and areas match QGIS's for the same layer.
CURVE_STEP_DEGREES = 1.0


def _declares_curves(file_path, layer_name) -> bool:
    """True when the layer's declared geometry type is curved (CompoundCurve, CurvePolygon,
    MultiSurface ...): GDAL's row reader has made its features straight."""
    try:
        from osgeo import ogr
    except ImportError:
        return False
    enabled = ogr.GetNonLinearGeometriesEnabledFlag()
    ogr.SetNonLinearGeometriesEnabledFlag(True)  # else GDAL reports the straightened type
    try:
        ds = ogr.Open(file_path)
        layer = ds.GetLayerByName(layer_name) if layer_name else ds.GetLayer(0)
        return bool(ogr.GT_IsNonLinear(layer.GetGeomType()))
    except Exception:  # any surprise: nothing to report
        return False
    finally:
        ogr.SetNonLinearGeometriesEnabledFlag(enabled)


@contextlib.contextmanager
def _gdal_option(key: str, value: str):
    """A GDAL configuration option for one read, then as it was (other plugins share GDAL)."""
    import pyogrio

    before = pyogrio.get_gdal_config_option(key)
    pyogrio.set_gdal_config_options({key: value})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({key: before})


def _is_curved_wkb(item) -> bool:
    """Whether one WKB (ISO or extended) is a CircularString, CompoundCurve, CurvePolygon,
    MultiCurve or MultiSurface, from its header alone."""
    if item is None or len(item) < 5:
        return False
    code = int.from_bytes(bytes(item[1:5]), "little" if item[0] == 1 else "big")
    return (code & 0x0FFFFFFF) % 1000 in (8, 9, 10, 11, 12)


def _segmentize_curves(wkb):
    """Linear WKB for each curved geometry in ``wkb`` (CircularString, CompoundCurve,
    CurvePolygon, MultiCurve, MultiSurface), None for anything else. GEOS has no curves, so
    QGIS segmentizes them, as it does when it draws or measures them."""
    import math

    import numpy as np
    from qgis.core import QgsAbstractGeometry

    out = np.full(len(wkb), None, dtype=object)
    for i, item in enumerate(wkb):
        if item is None:
            continue
        geometry = QgsGeometry()
        geometry.fromWkb(bytes(item))
        if geometry.isNull() or not QgsWkbTypes.isCurvedType(geometry.wkbType()):
            continue
        linear = geometry.constGet().segmentize(math.radians(CURVE_STEP_DEGREES),
                                                QgsAbstractGeometry.SegmentationToleranceType.MaximumAngle)
        out[i] = bytes(QgsGeometry(linear).asWkb())
    return out


def _point_xy(wkb):
    """``(x, y)`` float arrays (NaN for a null) when every geometry is a plain little-endian
    2D WKB point, else None. Making a million GEOS points costs seconds; an engine that only
    needs coordinates (a point-in-polygon join) can skip that."""
    import numpy as np

    wkb = np.asarray(wkb, dtype=object)
    present = np.not_equal(wkb, None).astype(bool)
    items = wkb[present]
    if not len(items):
        return None
    try:
        flat = np.frombuffer(b"".join(items), dtype=np.uint8)
    except TypeError:
        return None
    if flat.size != 21 * len(items):
        return None
    rec = flat.reshape(-1, 21)
    if not ((rec[:, 0] == 1) & (rec[:, 1] == 1) & (rec[:, 2:5] == 0).all(axis=1)).all():
        return None
    coords = rec[:, 5:21].copy().view("<f8").reshape(-1, 2)
    x = np.full(len(wkb), np.nan)
    y = np.full(len(wkb), np.nan)
    x[present], y[present] = coords[:, 0], coords[:, 1]
    if np.isnan(x[present]).any() or np.isnan(y[present]).any():
        return None  # POINT EMPTY: the general path handles it
    return x, y


def _drop_m(geoms) -> None:
    """Drop M values in place (Z stays): the engine and the outputs are XY or XYZ."""
    import shapely

    if not hasattr(shapely, "has_m") or shapely.geos_version < (3, 12, 0):
        return  # shapely < 2.1 or GEOS < 3.12 (Debian 12's 3.11) never reads M
    m = shapely.has_m(geoms)
    if not m.any():
        return
    z = shapely.has_z(geoms)
    if (m & z).any():
        geoms[m & z] = shapely.from_wkb(shapely.to_wkb(geoms[m & z], output_dimension=3))
    if (m & ~z).any():
        geoms[m & ~z] = shapely.force_2d(geoms[m & ~z])



def _column(values, dtype):
    """One pyogrio column as a pandas array: integer/boolean columns that came back as float
    because they hold nulls are made nullable integers/booleans again."""
    import numpy as np
    import pandas as pd

    declared = str(dtype)
    if declared.startswith(("int", "uint")) and values.dtype.kind == "f":
        return pd.array(values, dtype="Int64")
    if values.dtype.kind == "M":
        return values.astype("datetime64[ms]")
    if declared == "bool" and values.dtype.kind in "fO":
        return pd.array(np.where(pd.isna(values), None, values == 1), dtype="boolean")
    return values


def _kind_of_name(geometry_type) -> str:
    text = (geometry_type or "").lower()
    if "point" in text:
        return "point"
    if "polygon" in text or "surface" in text:
        return "polygon"
    if "line" in text or "curve" in text:  # CompoundCurve, CircularString, MultiCurve
        return "line"
    return "none"


def _drop_fid(frame, fields):
    """Keep exactly QGIS's attribute fields, in QGIS's order, minus GeoPackage's ``fid``."""
    names = [f.name() for f in fields]
    keep = [n for n in names if n in frame.columns and n.lower() != "fid"]
    extra = [c for c in frame.columns if c not in keep and c.lower() != "fid" and c not in names]
    return frame[keep + extra]


def _geometry_kind(wkb_type) -> str:
    geometry_type = QgsWkbTypes.geometryType(wkb_type)
    return {Qgis.GeometryType.Point: "point", Qgis.GeometryType.Line: "line",
            Qgis.GeometryType.Polygon: "polygon"}.get(geometry_type, "none")


# Formats stored as several files beside each other: writing one replaces them all.
_FAMILIES = (
    (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qpj", ".shp.xml"),
    (".tab", ".dat", ".map", ".id", ".ind"),
    (".mif", ".mid"),
    (".csv", ".csvt"),
)


def file_family(path: str) -> set:
    """Real paths of every file a dataset at ``path`` is stored in (a shapefile's sidecars,
    a MapInfo table's .dat/.map/.id, a CSV's .csvt), whether or not they exist yet."""
    real = os.path.realpath(path)
    base, ext = os.path.splitext(real)
    ext = ext.lower()
    for family in _FAMILIES:
        if ext in family:
            return {base + side for side in family} | {real}
    return {real}


def _overwrites_input(path, table, inputs) -> bool:
    """True when writing ``path`` (a whole file, or layer ``table`` in it) would replace an input.
    ``inputs`` holds (real path, layer name or '') pairs from :func:`input_paths`; a file of
    the output's family (e.g. the .dbf of a .shp output) counts as the output."""
    written = file_family(path)
    for input_path, input_layer in inputs:
        if input_path not in written:
            continue
        if table is None or not input_layer or input_layer.lower() == table.lower():
            return True
    return False


def layer_files(layer, depth: int = 0) -> set:
    """(real path, layer name or '') of every file behind ``layer``, for any provider QGIS
    can describe: OGR (``path|layername=``), delimited text (``file:///…?type=csv``),
    SpatiaLite (``dbname='…' table=…``), GDAL rasters, and the layers a virtual layer
    embeds. Memory and database layers have none."""
    from qgis.core import QgsProviderRegistry, QgsVirtualLayerDefinition
    from qgis.PyQt.QtCore import QUrl

    source, provider = layer.source(), layer.providerType()
    if provider == "virtual" and depth < 3:
        files = set()
        definition = QgsVirtualLayerDefinition.fromUrl(QUrl.fromEncoded(source.encode()))
        for embedded in definition.sourceLayers():
            if embedded.isReferenced():
                continue  # a project layer: it is an input of its own if the run uses it
            files |= _files_of(embedded.provider(), embedded.source())
        return files
    return _files_of(provider, source)


def _files_of(provider: str, source: str) -> set:
    from qgis.core import QgsProviderRegistry

    parts = QgsProviderRegistry.instance().decodeUri(provider, source) if provider else {}
    path = parts.get("path") or ""
    if not path:
        if provider in ("memory", "virtual", "postgres", "oracle", "mssql", "hana", "wfs", "arcgisfeatureserver"):
            return set()
        path = _layer_path(source)  # an unknown provider: the source up to '|' is the best guess
        if not os.path.exists(path):
            return set()
    name = parts.get("layerName") or ""
    name = name if isinstance(name, str) else ""
    return {(member, name) for member in file_family(path)}


def layer_display_name(layer) -> str:
    """The name to use in messages: a layer opened as ``file.gpkg|layername=x`` (qgis_process,
    models) is called after its file by QGIS; ``x`` says which layer it is."""
    inner = _layer_name_of(layer.source())
    stem = os.path.splitext(os.path.basename(_layer_path(layer.source())))[0]
    return inner if inner and layer.name() in ("", stem) else layer.name()


def _layer_name_of(source: str) -> str:
    match = re.search(r"\|layername=([^|]+)", source)
    return match.group(1) if match else ""


_LAYER_TYPES = ("source", "vector", "multilayer", "raster", "layer", "mesh", "pointcloud",
                "vectortile")


def input_paths(alg, parameters, context) -> set:
    """(real path, layer name) of every layer input of this run, so outputs never replace them."""
    paths = set()
    for definition in alg.parameterDefinitions():
        if definition.isDestination() or definition.type() not in _LAYER_TYPES:
            continue  # a field name or a text value is not a layer (GDAL would print errors)
        value = parameters.get(definition.name())
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            layer = QgsProcessingUtils.mapLayerFromString(str(v), context) if isinstance(v, str) else None
            if layer is None and definition.type() in ("source", "vector", "multilayer", "raster"):
                try:
                    layer = alg.parameterAsLayer(parameters, definition.name(), context)
                except Exception:
                    layer = None
            if layer is not None and layer.source():
                paths |= layer_files(layer)
    return paths


def check_destinations(alg, parameters, context) -> None:
    """Before any work: refuse every file destination of this run (sinks, rasters, files such
    as checknetwork's SAVE_NETWORK) that is, or shares a file with, one of its inputs."""
    inputs = None
    for definition in alg.destinationParameterDefinitions():
        dest, _ = _destination(parameters, definition.name(), context)
        if not dest or dest == QgsProcessing.TEMPORARY_OUTPUT:
            continue
        match = _OGR_URI.match(dest)
        path, table = (match.group("path").replace("''", "'"), match.group("table").replace('""', '"')) \
            if match else (dest, None)
        if not _is_file_destination(path):
            continue
        inputs = input_paths(alg, parameters, context) if inputs is None else inputs
        if _overwrites_input(path, table, inputs):
            raise QgsProcessingException(_overwrite_message(path, table))


def _is_file_destination(path: str) -> bool:
    """A path with an extension, not a provider URI such as ``memory:`` or ``postgres:``."""
    return bool(os.path.splitext(path)[1]) and not re.match(r"^[a-z]+:(?![\\/])", path) \
        and not is_database_destination(path)


def _overwrite_message(path, table) -> str:
    return (f"The output {path}{f' (layer {table})' if table else ''} is one of this run's "
            "inputs; JoinedUp never overwrites an input. Choose another file name.")


def check_not_input(alg, parameters, context, path, table=None) -> None:
    """Refuse to write ``path`` (or layer ``table`` in it) when it is one of this run's inputs:
    for destinations written outside :func:`write_output` (a raster, a saved network)."""
    if _overwrites_input(path, table, input_paths(alg, parameters, context)):
        raise QgsProcessingException(_overwrite_message(path, table))


def _destination(parameters, name, context):
    """(destination string, output definition or None) for a sink/destination parameter."""
    value = parameters.get(name)
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        dest = value.sink.valueAsString(context.expressionContext(), "")[0]
        return dest, value
    return ("" if value is None else str(value)), None


def write_output(alg, parameters, name, context, gdf, *, layer_name=None,
                 promote_to_multi=None, geometry_type=None, feedback=None, crs_of="INPUT"):
    """Write ``gdf`` to the sink parameter ``name``; returns the value for the results dict
    (the output path, or a layer id for a QGIS sink). ``gdf`` with no geometry column, or
    with only null geometries and ``geometry_type='None'``, is written as a table. With
    ``feedback``, GDAL's notes (e.g. shapefile field names shortened) go to the log."""
    dest, definition = _destination(parameters, name, context)
    if not dest:
        return None
    gdf.attrs["date_fields"] = _input_date_fields(alg, parameters, context)
    gdf = in_input_crs(alg, parameters, context, gdf, crs_of)
    if dest == QgsProcessing.TEMPORARY_OUTPUT:
        dest = QgsProcessingUtils.generateTempFilename(f"{name.lower()}.gpkg", context)
    table = None
    match = _OGR_URI.match(dest)
    if match:
        path, table = match.group("path").replace("''", "'"), match.group("table").replace('""', '"')
    else:
        path = dest
    ext = os.path.splitext(path)[1].lower()
    is_file = _is_file_destination(path)
    if is_file:  # every file format, also those QGIS's sink writes (.mif, .dxf, .gpx ...)
        check_not_input(alg, parameters, context, path, table)
    if ext in WRITE_DRIVERS and is_file:
        notes = _write_file(gdf, path, WRITE_DRIVERS[ext], table, promote_to_multi, geometry_type)
        if feedback is not None:
            for note in notes:
                feedback.pushWarning(f"{os.path.basename(path)}: {note}")
        if table is None and ext == ".shp" and not os.path.exists(path):
            path = os.path.splitext(path)[0] + ".dbf"  # a table: GDAL writes only the .dbf
        result = f"{path}|layername={table}" if table else path
        _load_on_completion(context, definition, result, alg, name)
        return result
    if is_database_destination(dest):
        refuse_existing_table(dest, name)
        if getattr(gdf, "_geometry_column_name", None) is None:
            parameters = without_geometry_column(parameters, name, dest)
    elif is_file and table is None:  # a format QGIS's own writer handles (.mif, .dxf, .gpx ...)
        return _write_sink_atomically(alg, parameters, name, context, gdf, path)
    return _write_sink(alg, parameters, name, context, gdf)


def _write_sink_atomically(alg, parameters, name, context, gdf, path):
    """QGIS's feature sink into a temporary file beside ``path``, moved over it once QGIS has
    closed the file: as :func:`_write_file`, a failed write leaves the old file as it was."""
    import gc

    from qgis.core import QgsProperty

    temporary = _temporary_beside(path)
    value = parameters.get(name)
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        redirected = QgsProcessingOutputLayerDefinition(value)
        redirected.sink = QgsProperty.fromValue(temporary)
    else:
        redirected = temporary
    written = temporary
    try:
        dest_id = _write_sink(alg, {**parameters, name: redirected}, name, context, gdf)
        gc.collect()  # QGIS's writer closes the file when its sink object goes
        # QGIS may add its format's own extension (a MapInfo table 'x.mif' becomes 'x.mif.tab')
        written = _layer_path(dest_id) if _layer_path(dest_id).startswith(temporary) else temporary
        final = path + written[len(temporary):]
        _move_family(written, final)
    except BaseException:
        _remove_family(written)
        _remove_family(temporary)
        raise
    if context.willLoadLayerOnCompletion(dest_id):  # load the real file, not the temporary one
        layers = context.layersToLoadOnCompletion()
        details = layers.pop(dest_id)
        layers[final] = details
        context.setLayersToLoadOnCompletion(layers)
    return final


def in_input_crs(alg, parameters, context, gdf, crs_of="INPUT"):
    """``gdf`` in the CRS of the algorithm's main input layer (parameter ``crs_of``), as QGIS's
    own algorithms write their outputs: the engine measures in a metric CRS (engine/crs.py)
    that may differ from the input's (degrees, feet, Web Mercator), but the user gets the
    input's CRS back. Unchanged where there is no such layer, either side has no CRS, or they
    are the same."""
    gdf_crs = getattr(gdf, "crs", None) if getattr(gdf, "_geometry_column_name", None) else None
    definition = alg.parameterDefinition(crs_of)
    if gdf_crs is None or definition is None or definition.type() not in ("source", "vector"):
        return gdf
    source = alg.parameterAsSource(parameters, crs_of, context)
    target = crs_to_engine(source.sourceCrs()) if source is not None else None
    if target is None or gdf_crs.equals(target):
        return gdf
    return gdf.to_crs(target)


def _write_file(gdf, path, driver, table, promote_to_multi, geometry_type):
    """Write ``gdf`` with pyogrio. A whole file is written atomically: to a temporary name
    beside the target, then moved over it (with every sidecar of its format), so a failed or
    cancelled write leaves the old file as it was, never nothing or half a file. A layer
    added to an existing GeoPackage is written inside that file (GDAL's transaction)."""
    import pyogrio

    _check_folder(path)
    frame = _writable(gdf, driver)
    kwargs = {}
    if driver == "GPKG":
        # GeoPackage 1.2: QGIS 3.40 on GDAL 3.6 warns about the newer files pyogrio's GDAL writes.
        kwargs["dataset_options"] = {"VERSION": "1.2"}
    if table:
        kwargs["layer"] = table
        if driver == "GPKG":
            kwargs["layer_options"] = {"OVERWRITE": "YES"}
    if geometry_type:
        kwargs["geometry_type"] = geometry_type
    if promote_to_multi is not None:
        kwargs["promote_to_multi"] = promote_to_multi
    if driver == "CSV" and getattr(frame, "geometry", None) is not None and hasattr(frame, "crs"):
        kwargs["layer_options"] = {"GEOMETRY": "AS_WKT"}
    in_place = table is not None and os.path.exists(path)
    if not in_place and "layer" not in kwargs and driver not in ("CSV",):
        # the layer is named after the target, not the temporary file
        kwargs["layer"] = os.path.splitext(os.path.basename(path))[0]
    import warnings

    def write(target):
        pyogrio.write_dataframe(frame, target, driver=driver, **kwargs)

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            write(path) if in_place else write_atomically(path, write)
    except Exception as exc:
        raise QgsProcessingException(f"Could not write {path}: {exc}")
    return sorted({str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)})


def _check_folder(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise QgsProcessingException(f"Cannot write {path}: the folder does not exist or is not writable.")


def write_atomically(path: str, write) -> None:
    """``write(temporary_path)`` (any writer: a layer, a raster, a saved network), then the
    result moved over ``path`` with every sidecar: a failed write leaves the old file as it was."""
    _check_folder(path)
    temporary = _temporary_beside(path)
    try:
        write(temporary)
        _move_family(temporary, path)
    except BaseException:
        _remove_family(temporary)
        raise


def _temporary_beside(path: str) -> str:
    """A new file name in ``path``'s folder (same file system, so the final move is atomic)
    with ``path``'s extension; nothing exists under it or its sidecars."""
    import uuid

    folder = os.path.dirname(os.path.abspath(path))
    stem, ext = os.path.splitext(os.path.basename(path))
    # no dot but the extension's: QGIS's writer takes everything after the first dot as the
    # extension and would pick another format
    return os.path.join(folder, f"{stem}_joinedup_partial_{uuid.uuid4().hex[:8]}{ext}")


def _move_family(written: str, path: str) -> None:
    """Move the files of ``written`` over those of ``path`` (each move atomic); files of the
    old ``path`` that the new write has not (a stale .prj or .qix) are removed."""
    real = os.path.realpath(path)
    base_new, base_old = os.path.splitext(written)[0], os.path.splitext(real)[0]
    # the main file last: until then a reader still sees the old dataset
    members = sorted(file_family(path), key=lambda member: member == real)
    for member in members:
        suffix = member[len(base_old):]
        if os.path.exists(base_new + suffix):
            os.replace(base_new + suffix, member)
        elif os.path.exists(member):
            os.remove(member)


def _remove_family(written: str) -> None:
    for member in file_family(written):
        if os.path.exists(member):
            os.remove(member)


def _writable(gdf, driver=None):
    """Columns GDAL can store: object columns of mixed content become text; a shapefile has
    no date-time type, so its date-times are written as ISO text (dates alone as YYYY-MM-DD)."""
    import pandas as pd

    frame = gdf.copy()
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
                frame[column] = series.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
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


def _load_on_completion(context, definition, result, alg, name):
    if definition is None or definition.destinationProject is None:
        return
    output = next((o for o in alg.outputDefinitions() if o.name() == name), None)
    display = definition.destinationName or (output.description() if output else name)
    details = QgsProcessingContext.LayerDetails(display, definition.destinationProject, name)
    context.addLayerToLoadOnCompletion(result, details)


# --- the general path through QGIS's feature sink (memory layers, databases) ---------------

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


def _input_date_fields(alg, parameters, context) -> set:
    """Names of the date (not date-time) fields of this run's vector inputs."""
    names = set()
    for definition in alg.parameterDefinitions():
        if definition.isDestination() or definition.type() not in ("source", "vector"):
            continue
        if parameters.get(definition.name()) in (None, ""):
            continue
        try:
            source = alg.parameterAsSource(parameters, definition.name(), context)
        except Exception:
            continue
        if source is not None:
            names.update(f.name() for f in source.fields() if f.type() == QMetaType.Type.QDate)
    return names


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
