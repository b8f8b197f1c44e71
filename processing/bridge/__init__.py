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

The package's modules, one concern each:

- ``read``: sources in as GeoDataFrames, with a ReadReport of what reading met.
- ``geometry``: curves straightened as QGIS does, M dropped, point coordinates read fast.
- ``write``: results out: files written in bulk and atomically, everything else through the sink.
- ``sink``: QGIS's own feature sink, for memory layers and databases.
- ``types``: CRS, field and geometry types translated between QGIS and geopandas.
- ``paths``: where a layer or an output lives on disk (files, GeoPackage tables).
- ``destinations``: the check that outputs never replace an input.
- ``gdal``: GDAL's process-wide settings, changed only around the bridge's own work.

Every name lives in one module and is re-exported here, so callers import from
``processing.bridge`` (the names starting with ``_`` too, where a test or a caller used them
before the split).
"""
from __future__ import annotations

from .destinations import (  # noqa: F401
    _LAYER_TYPES,
    _overwrite_message,
    _overwrites_input,
    check_destinations,
    check_not_input,
    input_paths,
)
from .gdal import (  # noqa: F401
    _gdal_option,
    ogr_exceptions,
)
from .geometry import (  # noqa: F401
    CURVE_STEP_DEGREES,
    _declares_curves,
    _drop_m,
    _is_curved_wkb,
    _point_xy,
    _segmentize_curves,
)
from .paths import (  # noqa: F401
    _FAMILIES,
    _OGR_URI,
    _destination,
    _files_of,
    _is_file_destination,
    _layer_name_of,
    _layer_path,
    file_family,
    layer_display_name,
    layer_files,
    worker_readable_file,
    worker_readable_layer,
)
from .read import (  # noqa: F401
    COLUMNAR_EXTENSIONS,
    READABLE_EXTENSIONS,
    TEXT_BATCH_ROWS,
    ReadReport,
    _decode_utf8,
    _drop_fid,
    _read_columnar,
    _read_columnar_arrays,
    _read_database_table,
    read_file,
    read_layer,
    read_source,
)
from .sink import (  # noqa: F401
    _bulk_features,
    _write_sink,
)
from .types import (  # noqa: F401
    _UNDEFINED_CRS_NAMES,
    _geometry_kind,
    _is_date_column,
    _is_undefined,
    _kind_of_name,
    _python_value,
    _typed_objects,
    _wkb_type_for,
    _writable,
    crs_to_engine,
    crs_to_qgis,
    qgis_fields,
)
from .write import (  # noqa: F401
    ARROW_WRITE_DRIVERS,
    WRITE_DRIVERS,
    _check_folder,
    _input_date_fields,
    _load_on_completion,
    _move_family,
    _remove_family,
    _temporary_beside,
    _write_file,
    _write_sink_atomically,
    arrow_write_available,
    in_input_crs,
    write_atomically,
    write_output,
)
