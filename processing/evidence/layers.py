"""Layers in the run's own project: copies a saved project can re-open, a finding's layer
for QGIS and the engine, the published counts of a counts table, extents.
"""
from __future__ import annotations

import os

from qgis.core import (
    QgsCoordinateTransform,
    QgsProcessingException,
    QgsRectangle,
    QgsVectorFileWriter,
    QgsVectorLayer,
)


def display_name(layer: QgsVectorLayer) -> str:
    """The layer's name; for a layer opened from 'file.gpkg|layername=x', the table name x."""
    source = layer.source()
    base = os.path.splitext(os.path.basename(source.split("|")[0]))[0]
    if "layername=" in source and layer.name() == base:
        return source.split("layername=", 1)[1].split("|", 1)[0]
    return layer.name()


def project_layer(project, layer: QgsVectorLayer, name: str, data_dir: str, context) -> QgsVectorLayer:
    """A copy of ``layer`` in ``project`` that a saved project can re-open: the same file
    when the layer is a file, else a GeoPackage copy in ``data_dir``."""
    source = layer.source()
    path = source.split("|")[0]
    if layer.providerType() == "ogr" and os.path.isfile(path):
        copy = QgsVectorLayer(source, name, "ogr")
        if layer.subsetString():
            copy.setSubsetString(layer.subsetString())
    else:
        os.makedirs(data_dir, exist_ok=True)
        safe = "".join(c if c.isalnum() else "_" for c in name) or "layer"
        target = os.path.join(data_dir, "layers.gpkg")
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        options.layerName = safe
        options.actionOnExistingFile = (QgsVectorFileWriter.ActionOnExistingFile.CreateOrOverwriteLayer
                                        if os.path.exists(target)
                                        else QgsVectorFileWriter.ActionOnExistingFile.CreateOrOverwriteFile)
        error = QgsVectorFileWriter.writeAsVectorFormatV3(layer, target, context.transformContext(), options)
        if error[0] != QgsVectorFileWriter.WriterError.NoError:
            raise QgsProcessingException(f"Could not copy {name} into {target} for the project: {error[1]}")
        copy = QgsVectorLayer(f"{target}|layername={safe}", name, "ogr")
    if not copy.isValid():
        raise QgsProcessingException(f"Could not open {name} ({source}) for the print layout.")
    if layer.crs().isValid():
        copy.setCrs(layer.crs())
    project.addMapLayer(copy)
    return copy


def padded(extent: QgsRectangle, fraction: float) -> QgsRectangle:
    out = QgsRectangle(extent)
    if out.isEmpty():
        out.grow(100.0 if out.width() == 0 and out.height() == 0 else 0.0)
    dx, dy = out.width() * fraction, out.height() * fraction
    return QgsRectangle(out.xMinimum() - dx, out.yMinimum() - dy, out.xMaximum() + dx, out.yMaximum() + dy)


def layer_extent(layer, crs, context) -> QgsRectangle:
    extent = layer.extent()
    if layer.crs() != crs and layer.crs().isValid():
        extent = QgsCoordinateTransform(layer.crs(), crs, context.transformContext()).transformBoundingBox(extent)
    return extent


def field_aliases(layer: QgsVectorLayer) -> dict:
    return {f.name(): f.alias() for f in layer.fields() if f.alias()}


def open_finding_layer(source: str, what: str):
    """A finding's layer as a QgsVectorLayer (for the map and its aliases) and a GeoDataFrame
    (for the engine)."""
    from ..bridge import read_file

    path, _, rest = source.partition("|")
    layer_name = rest.split("layername=", 1)[1].split("|")[0] if "layername=" in rest else None
    if not os.path.isfile(path):
        raise QgsProcessingException(f"Finding '{what}': the layer file {path} does not exist.")
    name = layer_name or os.path.splitext(os.path.basename(path))[0]
    layer = QgsVectorLayer(source, name, "ogr")
    if not layer.isValid():
        raise QgsProcessingException(f"Finding '{what}': {source} could not be opened as a layer.")
    gdf, _ = read_file(path, layer_name, display=name)
    return layer, gdf


def area_of_point(points, areas):
    """Row of ``areas`` holding each point (the first, if areas overlap); -1 outside all."""
    import numpy as np
    import shapely

    where = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(areas) == 0:
        return where
    pts = points.geometry.to_crs(areas.crs).values if points.crs and areas.crs else points.geometry.values
    tree = shapely.STRtree(np.asarray(areas.geometry.values))
    p_idx, a_idx = tree.query(np.asarray(pts), predicate="within")
    first = np.unique(p_idx, return_index=True)
    where[first[0]] = a_idx[first[1]]
    return where


def published_counts_layer(areas, result, data_dir: str, what: str):
    """The areas with only their published counts (hidden ones null), written beside the
    project so the map and the saved project show nothing the tables do not."""
    import geopandas as gpd

    os.makedirs(data_dir, exist_ok=True)
    safe = "".join(c if c.isalnum() else "_" for c in what.lower()).strip("_")[:40] or "counts"
    target = os.path.join(data_dir, f"{safe}.gpkg")
    frame = gpd.GeoDataFrame({result.map_field: result.map_values}, geometry=areas.geometry.values,
                             crs=areas.crs)
    frame.to_file(target, layer=safe, driver="GPKG", engine="pyogrio")
    layer = QgsVectorLayer(f"{target}|layername={safe}", result.map_label, "ogr")
    if not layer.isValid():
        raise QgsProcessingException(f"Could not write the published counts for '{what}' to {target}.")
    return layer, frame
