"""The bridge's read part: sources in as GeoDataFrames, with a ReadReport of what reading met."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from qgis.core import (
    QgsProcessingException,
    QgsProcessingUtils,
    QgsWkbTypes,
)

from ...engine.columns import ogr_column
from ...engine.geometry import drop_degenerate_rings
from ..database import (
    bulk_readable_table,
)
from .gdal import _gdal_option, ogr_exceptions
from .geometry import (
    CURVE_STEP_DEGREES,
    _declares_curves,
    _drop_m,
    _is_curved_wkb,
    _point_xy,
    _segmentize_curves,
)
from .paths import _layer_path, layer_display_name
from .types import _geometry_kind, _is_undefined, _kind_of_name, crs_to_engine

# File formats pyogrio reads directly; anything else is exported to GeoPackage first.
READABLE_EXTENSIONS = ["gpkg", "shp", "geojson", "json", "fgb", "sqlite", "gml", "kml",
                       "tab", "mif", "gdb", "pbf", "osm", "geojsonl", "geojsons"]


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
        from ...engine.errors import EngineCancelled

        raise EngineCancelled("Cancelled by the user.")
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


# Features per batch of that read when it includes text (see below), and when it does not:
# GDAL's default, which on a GeoPackage of 1M points is 0.11 s against 0.15 s in batches of
# 2,048 (Debian 13's GDAL 3.10 fills the batches on a second thread).
TEXT_BATCH_ROWS = 2048
BATCH_ROWS = 65536


def _read_columnar(file_path, layer_name, columns):
    """``(meta, fids, wkb, columns)`` like ``pyogrio.raw.read`` but through GDAL's
    ``GetArrowStreamAsNumPy`` (GDAL >= 3.6), or None where that path does not apply (then
    the caller reads with pyogrio). ``columns``: attribute fields to read (None: all)."""
    if not file_path.lower().endswith(COLUMNAR_EXTENSIONS) or os.environ.get("JOINEDUP_READER") == "pyogrio":
        return None
    try:
        from osgeo import ogr  # QGIS's own GDAL bindings
    except ImportError:
        return None
    with ogr_exceptions():
        return _read_columnar_arrays(ogr, file_path, layer_name, columns)


def _read_columnar_arrays(ogr, file_path, layer_name, columns):
    """:func:`_read_columnar`'s work, with OGR raising exceptions (the caller sets that)."""
    import numpy as np
    import pandas as pd

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
    text_fields = {nm for nm, k in zip(names, kinds, strict=True) if k == ogr.OFTString}
    # GDAL hands text as fixed-width bytes padded to the batch's longest value: small batches,
    # each decoded to Python strings at once, keep one long free-text note from costing
    # (rows x its length) bytes.
    batch_rows = TEXT_BATCH_ROWS if text_fields else BATCH_ROWS
    stream = layer.GetArrowStreamAsNumPy(options=["GEOMETRY_ENCODING=WKB",
                                                  f"MAX_FEATURES_IN_BATCH={batch_rows}"])
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
    for name, kind in zip(names, kinds, strict=True):
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
            wkb = np.ma.getdata(geoms)
            if mask.any() or wkb.dtype.kind != "V":
                wkb = wkb.astype(object)
                wkb[mask] = None
            # else GDAL's fixed-width WKB records as they are (``|V21`` for 2D points):
            # _point_xy reads coordinates from them in place; other users make bytes of them
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
        raise QgsProcessingException(f"Could not read {display} ({file_path}): {exc}") from exc
    report.notes.extend(sorted({str(w.message) for w in caught if "GDAL" in w.category.__name__
                                or issubclass(w.category, RuntimeWarning)}))
    n = len(fids) if fids is not None else (len(wkb) if wkb is not None else len(columns[0]) if columns else 0)
    frame = pd.DataFrame({field_name: ogr_column(values, dtype) for field_name, values, dtype
                          in zip(meta["fields"], columns, meta["dtypes"], strict=True)}, index=range(n))
    xy = _point_xy(wkb) if (xy_points and wkb is not None) else None
    if xy is not None:
        # plain 2D points: coordinates only, no geometry objects (see xy_points)
        geoms = np.full(n, None, dtype=object)
        report.null_geometries = int(np.isnan(xy[0]).sum())
    elif wkb is not None:
        wkb = np.asarray(wkb, dtype=object)  # GDAL's fixed-width records become bytes here
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


def _drop_fid(frame, fields):
    """Keep exactly QGIS's attribute fields, in QGIS's order, minus GeoPackage's ``fid``."""
    names = [f.name() for f in fields]
    keep = [n for n in names if n in frame.columns and n.lower() != "fid"]
    extra = [c for c in frame.columns if c not in keep and c.lower() != "fid" and c not in names]
    return frame[keep + extra]

