"""The bridge's write part: results out: files written in bulk and atomically, everything else through the sink."""
from __future__ import annotations

import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingUtils,
)
from qgis.PyQt.QtCore import QMetaType

from ..database import (
    is_database_destination,
    refuse_existing_table,
    without_geometry_column,
)
from .destinations import check_not_input
from .paths import (
    _OGR_URI,
    _destination,
    _is_file_destination,
    _layer_path,
    file_family,
)
from .sink import _write_sink
from .types import _writable, crs_to_engine

# Extension -> GDAL driver for outputs written in bulk.
WRITE_DRIVERS = {
    ".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".geojson": "GeoJSON", ".json": "GeoJSON",
    ".fgb": "FlatGeobuf", ".sqlite": "SQLite", ".gml": "GML", ".kml": "KML", ".csv": "CSV",
    ".tab": "MapInfo File", ".xlsx": "XLSX", ".ods": "ODS",
}


# Drivers written through GDAL's Arrow interface where it exists: columnar formats whose Arrow
# writer QGIS reads back unchanged (tests/test_speed_writes.py compares both paths' files).
ARROW_WRITE_DRIVERS = ("GPKG", "FlatGeobuf")
ARROW_WRITE_MIN_GDAL = (3, 8, 0)  # OGRLayer::WriteArrowBatch


def arrow_write_available(driver, *, gdal_version=None, has_pyarrow=None) -> bool:
    """Whether ``driver`` is written column by column (pyogrio's ``use_arrow=True``: GDAL's
    ``WriteArrowBatch``, no Python object per feature): GDAL >= 3.8 (Debian 13's 3.10; not
    Debian 12's 3.6, which keeps pyogrio's feature-by-feature C loop), pyarrow installed,
    and a driver in ``ARROW_WRITE_DRIVERS``. ``gdal_version``/``has_pyarrow`` default to
    this machine's."""
    if driver not in ARROW_WRITE_DRIVERS:
        return False
    if gdal_version is None:
        import pyogrio

        gdal_version = pyogrio.__gdal_version__
    if tuple(gdal_version[:3]) < ARROW_WRITE_MIN_GDAL:
        return False
    if has_pyarrow is None:
        import importlib.util

        has_pyarrow = importlib.util.find_spec("pyarrow") is not None
    return bool(has_pyarrow)


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
    if arrow_write_available(driver):
        kwargs["use_arrow"] = True
        frame = _arrow_typed(frame)
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
        raise QgsProcessingException(f"Could not write {path}: {exc}") from exc
    return sorted({str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)})


def _arrow_typed(frame):
    """``frame`` with every object column that holds no value at all (an empty output, or a
    column that is NULL in every row) typed as text, as the classic writer types it. Arrow
    gives such a column its null type, which GDAL's WriteArrowBatch refuses ("Type 'n' for
    field ... is not supported"): seen on Debian 13 (GDAL 3.10), where every output with an
    all-NULL text column failed to write."""
    empty = [c for c in frame.columns if c != getattr(frame, "_geometry_column_name", None)
             and frame[c].dtype == object and not frame[c].notna().any()]
    if not empty:
        return frame
    frame = frame.copy(deep=False)
    for column in empty:
        frame[column] = frame[column].astype("string")
    return frame


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


def _load_on_completion(context, definition, result, alg, name):
    if definition is None or definition.destinationProject is None:
        return
    output = next((o for o in alg.outputDefinitions() if o.name() == name), None)
    display = definition.destinationName or (output.description() if output else name)
    details = QgsProcessingContext.LayerDetails(display, definition.destinationProject, name)
    context.addLayerToLoadOnCompletion(result, details)


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

