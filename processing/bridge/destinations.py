"""The bridge's destinations part: the check that outputs never replace an input."""
from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingUtils,
)

from .paths import (
    _OGR_URI,
    _destination,
    _is_file_destination,
    file_family,
    layer_files,
)


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


def _overwrite_message(path, table) -> str:
    return (f"The output {path}{f' (layer {table})' if table else ''} is one of this run's "
            "inputs; JoinedUp never overwrites an input. Choose another file name.")


def check_not_input(alg, parameters, context, path, table=None) -> None:
    """Refuse to write ``path`` (or layer ``table`` in it) when it is one of this run's inputs:
    for destinations written outside :func:`write_output` (a raster, a saved network)."""
    if _overwrites_input(path, table, input_paths(alg, parameters, context)):
        raise QgsProcessingException(_overwrite_message(path, table))

