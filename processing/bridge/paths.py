"""The bridge's paths part: where a layer or an output lives on disk (files, GeoPackage tables)."""
from __future__ import annotations

import os
import re

from qgis.core import (
    QgsProcessingOutputLayerDefinition,
)

from ..database import (
    is_database_destination,
)

_OGR_URI = re.compile(r"^ogr:dbname='(?P<path>(?:[^']|'')+)'\s+table=\"(?P<table>(?:[^\"]|\"\")+)\"")


def _layer_path(path_and_layer: str) -> str:
    return path_and_layer.split("|")[0]


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


def layer_files(layer, depth: int = 0) -> set:
    """(real path, layer name or '') of every file behind ``layer``, for any provider QGIS
    can describe: OGR (``path|layername=``), delimited text (``file:///…?type=csv``),
    SpatiaLite (``dbname='…' table=…``), GDAL rasters, and the layers a virtual layer
    embeds. Memory and database layers have none."""
    from qgis.core import QgsVirtualLayerDefinition
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


def _is_file_destination(path: str) -> bool:
    """A path with an extension, not a provider URI such as ``memory:`` or ``postgres:``."""
    return bool(os.path.splitext(path)[1]) and not re.match(r"^[a-z]+:(?![\\/])", path) \
        and not is_database_destination(path)


def _destination(parameters, name, context):
    """(destination string, output definition or None) for a sink/destination parameter."""
    value = parameters.get(name)
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        dest = value.sink.valueAsString(context.expressionContext(), "")[0]
        return dest, value
    return ("" if value is None else str(value)), None



def worker_readable_file(alg, parameters, name, context):
    """``(path, layer name or None)`` of the feature-source parameter ``name`` when it is a
    GeoPackage or GeoParquet file used exactly as it is, so that Dask workers reading the file
    themselves see the features QGIS would give: an OGR layer with no subset string, and no
    'selected features only', feature limit or filter on the parameter. None otherwise (a memory
    or database layer, another format, a filtered source): then the features must be read here."""
    from qgis.core import QgsProcessingFeatureSourceDefinition

    value = parameters.get(name)
    if isinstance(value, QgsProcessingFeatureSourceDefinition):
        if value.selectedFeaturesOnly or getattr(value, "featureLimit", -1) not in (-1, None) \
                or getattr(value, "filterExpression", ""):
            return None
    return worker_readable_layer(alg.parameterAsVectorLayer(parameters, name, context))


def worker_readable_layer(layer):
    """``(path, layer name or index)`` of a vector layer that is a GeoPackage or GeoParquet file
    used as it is (an OGR layer with no subset string), for workers to read themselves; None
    otherwise (see :func:`worker_readable_file`)."""
    from qgis.core import QgsProviderRegistry

    from ...engine.scale_points import PARQUET_SUFFIXES  # the files the workers' chunk reader takes

    if layer is None or layer.providerType() != "ogr" or layer.subsetString():
        return None
    parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
    path = parts.get("path") or ""
    if not path.lower().endswith((".gpkg",) + PARQUET_SUFFIXES) or not os.path.isfile(path):
        return None
    layer_name = parts.get("layerName") or None
    if layer_name is None and parts.get("layerId") not in (None, ""):
        layer_name = int(parts["layerId"])
    return path, layer_name
