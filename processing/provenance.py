"""Provenance records for a Processing run (the format is in ``engine/provenance.py``).

Any JoinedUp algorithm can call :func:`record_run` at the end of ``run()`` to append its step
to a provenance file: every layer input with the feature count QGIS sees (respecting
filters), its CRS, file hash and date; the parameters; the output files.
"""
from __future__ import annotations

from qgis.core import Qgis, QgsProcessingParameterDefinition, QgsVectorLayer


def _layer_values(alg, parameters, definition, context):
    name = definition.name()
    kind = definition.type()
    if kind == "multilayer":
        return alg.parameterAsLayerList(parameters, name, context) or []
    if kind in ("source", "vector", "raster", "layer"):
        layer = alg.parameterAsLayer(parameters, name, context)
        return [layer] if layer is not None else []
    return []


def layer_record(layer, parameter: str | None = None) -> dict:
    from ..engine.provenance import describe_file
    from .evidence_layout import display_name

    features = layer.featureCount() if isinstance(layer, QgsVectorLayer) else None
    crs = layer.crs().authid() or (layer.crs().description() if layer.crs().isValid() else None)
    if layer.providerType() in ("ogr", "gdal"):
        return describe_file(layer.source(), name=display_name(layer), parameter=parameter,
                             features=features, crs=crs or None)
    record = {"parameter": parameter, "name": display_name(layer), "provider": layer.providerType(),
              "features": features, "crs": crs or None}
    if layer.providerType() == "postgres":  # the database and table, never the credentials
        from qgis.core import QgsDataSourceUri

        from .database import table_label

        record["table"] = table_label(QgsDataSourceUri(layer.source()))
    return {k: v for k, v in record.items() if v is not None}


def input_records(alg, parameters, context) -> list:
    """One record per layer given to a layer parameter of this run (all of a multi-layer)."""
    records = []
    for definition in alg.parameterDefinitions():
        if definition.isDestination() or definition.name() not in parameters:
            continue
        if parameters.get(definition.name()) in (None, ""):
            continue
        for layer in _layer_values(alg, parameters, definition, context):
            records.append(layer_record(layer, definition.name()))
    return records


def parameter_values(alg, parameters, context) -> dict:
    out = {}
    for definition in alg.parameterDefinitions():
        if definition.name() not in parameters:
            continue
        if definition.flags() & QgsProcessingParameterDefinition.Flag.FlagHidden:
            continue
        value = parameters[definition.name()]
        if isinstance(value, (list, tuple)):
            out[definition.name()] = [str(v) for v in value]
            continue
        try:
            text = definition.valueAsString(value, context)[0] if not isinstance(value, (int, float, bool)) else value
        except Exception:
            text = str(value)
        out[definition.name()] = text
    return out


def make_step(alg, parameters, context, *, started: str, outputs: dict, notes=()) -> dict:
    from ..engine.provenance import describe_file, now_utc

    output_records = [describe_file(path, parameter=name, count_features=path.lower().endswith(
        (".gpkg", ".shp", ".geojson", ".fgb", ".csv")))
        for name, path in outputs.items() if path]
    return {
        "algorithm": alg.id() or f"joinedup:{alg.name()}",
        "title": alg.displayName(),
        "started": started,
        "finished": now_utc(),
        "parameters": parameter_values(alg, parameters, context),
        "inputs": input_records(alg, parameters, context),
        "outputs": output_records,
        "software": {"joinedup": plugin_version(), "qgis": Qgis.version()},
        "notes": list(notes),
    }


def record_run(path: str, alg, parameters, context, *, started: str, outputs: dict, notes=()) -> dict:
    """Append this run's step to the provenance file ``path``; returns the stored step."""
    from ..engine.provenance import append_step

    return append_step(path, make_step(alg, parameters, context, started=started,
                                       outputs=outputs, notes=notes))


def plugin_version() -> str:
    import configparser
    import os

    metadata = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "metadata.txt")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(metadata, encoding="utf-8")
        return parser.get("general", "version")
    except Exception:
        return "unknown"
