"""Every JoinedUp run recorded in the office's catalogue (``engine/catalogue.py``): the layers
and files it read, the algorithm, its parameters (secrets never), the outputs it wrote.

Called once from ``JoinedUpAlgorithm.processAlgorithm`` after ``execute()`` returns. A run never
fails because the catalogue cannot be written (locked, read-only, full disk): it warns.

Where the catalogue is: the environment variable ``JOINEDUP_CATALOGUE`` (batch runs through
``qgis_process``, tests), else the QGIS setting ``joinedup/catalogue``, else
``joinedup/catalogue.gpkg`` in the QGIS profile folder. The value ``off`` records nothing
(benchmarks, where hashing inputs would be counted in the time).
"""
from __future__ import annotations

import os

CATALOGUE_ENVIRONMENT = "JOINEDUP_CATALOGUE"
CATALOGUE_SETTING = "joinedup/catalogue"
OFF = "off"
_LAYER_TYPES = ("source", "vector", "layer", "raster", "multilayer", "mesh", "pointcloud")


def catalogue_path() -> str:
    from qgis.core import QgsApplication, QgsSettings

    return (os.environ.get(CATALOGUE_ENVIRONMENT) or str(QgsSettings().value(CATALOGUE_SETTING, "") or "")
            or os.path.join(QgsApplication.qgisSettingsDirPath(), "joinedup", "catalogue.gpkg"))


def _ref_of_layer(layer):
    from ..engine.catalogue import DatasetRef
    from .bridge import layer_files

    files = sorted(layer_files(layer))
    if not files:
        return None  # a memory or database layer: nothing on disk to record
    path, name = files[0]
    count = layer.featureCount() if hasattr(layer, "featureCount") else None
    crs = layer.crs().authid() if layer.crs().isValid() else None
    return DatasetRef(path, name or "", count if count is not None and count >= 0 else None, crs)


def _ref_of_value(value, context, *, open_layer: bool = True):
    """A DatasetRef for a parameter or result value naming a layer or a file, else None. A layer
    already in the project or the run's context is used as it is; a file is opened on its own
    (and closed again: nothing is added to the context) only with ``open_layer``, for its row
    count and CRS."""
    from qgis.core import QgsProcessingUtils, QgsVectorLayer

    from ..engine.catalogue import DatasetRef

    if not isinstance(value, str) or not value:
        return None
    layer = QgsProcessingUtils.mapLayerFromString(value, context, False)
    if layer is not None:
        return _ref_of_layer(layer)
    path = value.split("|")[0]
    if not os.path.isfile(path):
        return None
    if open_layer:
        opened = QgsVectorLayer(value, "", "ogr")
        if opened.isValid():
            return _ref_of_layer(opened)
    return DatasetRef(path)


def run_datasets(alg, parameters, context, results) -> tuple:
    """(inputs, outputs) of a finished run as DatasetRefs."""
    inputs, outputs = [], []
    for definition in alg.parameterDefinitions():
        if definition.isDestination():
            continue
        value = parameters.get(definition.name())
        values = value if isinstance(value, (list, tuple)) else [value]
        if definition.type() in _LAYER_TYPES:
            for v in values:
                layer = v if hasattr(v, "source") else None
                ref = _ref_of_layer(layer) if layer is not None else _ref_of_value(str(v) if v else "", context)
                if ref is None and definition.type() == "source":
                    source_layer = alg.parameterAsVectorLayer(parameters, definition.name(), context)
                    ref = _ref_of_layer(source_layer) if source_layer is not None else None
                if ref is not None:
                    inputs.append(ref)
        elif definition.type() == "file":  # not opened: a postcode directory can hold millions of rows
            inputs += [r for r in (_ref_of_value(v, context, open_layer=False) for v in values) if r is not None]
    for value in (results or {}).values():
        ref = _ref_of_value(value, context)
        if ref is not None and all((ref.path, ref.layer) != (i.path, i.layer) for i in inputs):
            outputs.append(ref)
    return inputs, outputs


def record_lineage(alg, parameters, context, feedback, results) -> None:
    """Record this run in the catalogue, and warn when a publication reads a dataset past its
    retention date or marked personal. Never raises: a problem becomes a warning."""
    if catalogue_path().lower() == OFF:
        return
    try:
        from ..engine.catalogue import PUBLISHING_ALGORITHMS, Catalogue

        inputs, outputs = run_datasets(alg, parameters, context, results)
        catalogue = Catalogue(catalogue_path())
        plain = {k: (v if isinstance(v, (str, int, float, bool, list, tuple, type(None))) else str(v))
                 for k, v in parameters.items()}
        catalogue.record_run(alg.id(), plain, inputs, outputs)
        if alg.id() in PUBLISHING_ALGORITHMS:
            for warning in catalogue.publication_warnings(inputs):
                feedback.pushWarning(f"Catalogue: {warning}")
    except Exception as exc:  # noqa: BLE001 - the catalogue must never fail a finished run
        feedback.pushWarning(f"The run is done, but it could not be recorded in the catalogue "
                             f"({catalogue_path()}): {exc}")


def record_terms(path: str, terms: dict, feedback) -> None:
    """Record the terms an extract is held on (owner, agreement, licence, sensitivity, personal
    data, retention; already checked with ``engine.catalogue.checked_terms``) against its file.
    Never raises: a catalogue that cannot be written only warns."""
    if catalogue_path().lower() == OFF:
        return
    try:
        from ..engine.catalogue import Catalogue, DatasetRef

        Catalogue(catalogue_path()).register(DatasetRef(path), **terms)
    except Exception as exc:  # noqa: BLE001 - the catalogue must never fail a run
        feedback.pushWarning(f"The extract's terms could not be recorded in the catalogue ({catalogue_path()}): {exc}")
