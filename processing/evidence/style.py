"""Colours and symbols of the evidence maps: colour-blind-safe ramps, the graduated renderer
and the quiet grey style of context layers.
"""
from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsFillSymbol,
    QgsGradientColorRamp,
    QgsGradientStop,
    QgsGraduatedSymbolRenderer,
    QgsLineSymbol,
    QgsMarkerSymbol,
    QgsRendererRange,
    QgsSingleSymbolRenderer,
    QgsVectorLayer,
)
from qgis.PyQt.QtGui import QColor

# Colour-blind-safe sequential ramps (matplotlib's viridis and cividis; ColorBrewer's
# YlOrRd, YlGnBu and Greys), 9 stops each, light-to-dark where that reads as "more".
RAMPS = {
    "Viridis": ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962",
                "#addc30", "#fde725"],
    "Cividis": ["#00224e", "#123570", "#3b496c", "#575d6d", "#707173", "#8a8779", "#a69d75",
                "#c4b56c", "#fee838"],
    "YlOrRd": ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c",
               "#bd0026", "#800026"],
    "YlGnBu": ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8",
               "#253494", "#081d58"],
    "Greys": ["#f0f0f0", "#d9d9d9", "#bdbdbd", "#969696", "#737373", "#525252", "#252525",
              "#101010", "#000000"],
}


RAMP_NAMES = list(RAMPS)


# Viridis and cividis run dark-to-light; on a map "more" reads as darker, so they are
# reversed by default; the ColorBrewer ramps already run light-to-dark.
REVERSED_BY_DEFAULT = {"Viridis", "Cividis"}


def color_ramp(name: str, invert: bool = False) -> QgsGradientColorRamp:
    colours = [QColor(c) for c in RAMPS.get(name, RAMPS["Viridis"])]
    if (name in REVERSED_BY_DEFAULT) != bool(invert):
        colours = colours[::-1]
    stops = [QgsGradientStop(i / (len(colours) - 1), c) for i, c in enumerate(colours[1:-1], 1)]
    return QgsGradientColorRamp(colours[0], colours[-1], False, stops)


def class_colours(ramp: QgsGradientColorRamp, k: int) -> list:
    if k == 1:
        return [ramp.color(1.0)]
    return [ramp.color(i / (k - 1)) for i in range(k)]


def base_symbol(geometry_type, colour: QColor):
    if geometry_type == Qgis.GeometryType.Point:
        return QgsMarkerSymbol.createSimple({"name": "circle", "color": colour.name(), "size": "2.2",
                                             "outline_color": "#333333", "outline_width": "0.15"})
    if geometry_type == Qgis.GeometryType.Line:
        return QgsLineSymbol.createSimple({"color": colour.name(), "width": "0.8",
                                           "capstyle": "round"})
    return QgsFillSymbol.createSimple({"color": colour.name(), "outline_color": "#4d4d4d",
                                       "outline_width": "0.1"})


def graduated_renderer(layer: QgsVectorLayer, field: str, lower, upper, labels,
                       ramp_name: str = "Viridis", invert: bool = False) -> QgsGraduatedSymbolRenderer:
    """A graduated renderer with one range per class (upper bound inclusive, like QGIS)."""
    ramp = color_ramp(ramp_name, invert)
    colours = class_colours(ramp, len(upper))
    ranges = [QgsRendererRange(float(lo), float(hi), base_symbol(layer.geometryType(), colour), label)
              for lo, hi, colour, label in zip(lower, upper, colours, labels, strict=True)]
    renderer = QgsGraduatedSymbolRenderer(field, ranges)
    renderer.setSourceColorRamp(ramp.clone())
    renderer.setSourceSymbol(base_symbol(layer.geometryType(), QColor("#888888")))
    return renderer


def context_style(layer: QgsVectorLayer) -> None:
    """A quiet grey style for context layers (roads, boundaries) so the evidence stands out."""
    geometry_type = layer.geometryType()
    if geometry_type == Qgis.GeometryType.Polygon:
        symbol = QgsFillSymbol.createSimple({"color": "255,255,255,0", "outline_color": "#555555",
                                             "outline_width": "0.3"})
    elif geometry_type == Qgis.GeometryType.Line:
        symbol = QgsLineSymbol.createSimple({"color": "#9a9a9a", "width": "0.2"})
    else:
        symbol = QgsMarkerSymbol.createSimple({"name": "circle", "color": "#777777", "size": "1",
                                               "outline_style": "no"})
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
