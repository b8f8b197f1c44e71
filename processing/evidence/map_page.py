"""The map page: the evidence-map template filled (map, legend and scale bar that fit, north
arrow, texts), for the evidence map, the pack's headline and each finding.
"""
from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLegendRenderer,
    QgsLegendStyle,
    QgsProcessingException,
    QgsReadWriteContext,
    QgsRectangle,
    QgsTextFormat,
    QgsUnitTypes,
    QgsVectorLayer,
)
from qgis.PyQt.QtXml import QDomDocument

from .items import north_arrow_path, shrink_to_fit, template_path, wrap_to_width
from .layers import display_name, layer_extent, padded, project_layer
from .params import MapRequest, field_label, method_text
from .style import context_style, graduated_renderer


def place_map_page(layout, page: int, *, paper: str, orientation: str, layer, map_layers,
                   extent: QgsRectangle, crs, texts: dict, legend_title: str) -> dict:
    """Load the evidence-map template's items onto ``page`` of ``layout`` and fill them.

    ``map_layers`` are drawn top first; the legend shows ``layer`` (the classified one).
    ``texts`` has title, subtitle, notes, sources and footer. Returns the items by id.
    """
    doc = QDomDocument()
    with open(template_path(paper, orientation), encoding="utf-8") as handle:
        if not doc.setContent(handle.read()):
            raise QgsProcessingException(f"The layout template for {paper} {orientation} is not valid XML.")
    items, ok = layout.loadFromTemplate(doc, QgsReadWriteContext(), False)
    if not ok:
        raise QgsProcessingException(f"The layout template for {paper} {orientation} could not be loaded.")
    found = {}
    for item in items:
        if item.id():
            item.attemptMove(item.pagePositionWithUnits(), True, False, page)
            found[item.id()] = item
    map_item = found.get("map")
    if not isinstance(map_item, QgsLayoutItemMap):
        raise QgsProcessingException("The layout template has no map item with the id 'map'.")
    map_item.setCrs(crs)
    map_item.setLayers(list(map_layers))
    map_item.setKeepLayerSet(True)
    map_item.zoomToExtent(padded(extent, 0.04))
    for key in ("title", "subtitle", "notes", "sources", "footer"):
        if isinstance(found.get(key), QgsLayoutItemLabel):
            found[key].setText(texts.get(key, ""))
            shrink_to_fit(found[key])
    legend = found.get("legend")
    if isinstance(legend, QgsLayoutItemLegend):
        legend.setLinkedMap(map_item)
        legend.setAutoUpdateModel(False)
        root = legend.model().rootGroup()
        root.removeAllChildren()
        node = root.addLayer(layer)
        if node is not None:  # the legend title names the field; the layer name is noise
            QgsLegendRenderer.setNodeLegendStyle(node, QgsLegendStyle.Style.Hidden)
        fit_legend(layout, legend, legend_title)
    scalebar = found.get("scalebar")
    if isinstance(scalebar, QgsLayoutItemScaleBar):
        scalebar.setLinkedMap(map_item)
        fit_scale_bar(scalebar, map_item)
    arrow = found.get("north_arrow")
    if isinstance(arrow, QgsLayoutItemPicture):
        arrow.setPicturePath(north_arrow_path(), Qgis.PictureFormat.SVG)
        arrow.setLinkedMap(map_item)
    return found


def scale_segment(width_m: float, map_width_mm: float, bar_mm: float = 40.0) -> float:
    """Ground length (m) of one scale-bar segment: a round number (1, 2 or 5 × 10^n m) so
    that two segments fill about ``bar_mm`` of a map ``map_width_mm`` wide showing
    ``width_m``; the labels then stand 13 to 27 mm apart and never run together."""
    import math

    target = width_m * (bar_mm / 2) / map_width_mm
    power = 10 ** math.floor(math.log10(target))
    return min((m * power for m in (1, 2, 5, 10)), key=lambda s: abs(math.log(s / target)))


def fit_scale_bar(bar, map_item) -> None:
    """Two segments of a round length sized from the map's extent and width (metres, or km
    from 1 km a segment), so the labels stand well apart at any scale."""
    segment_m = scale_segment(_map_width_m(map_item), map_item.rect().width())
    in_km = segment_m >= 1000
    bar.setUnits(Qgis.DistanceUnit.Kilometers if in_km else Qgis.DistanceUnit.Meters)
    bar.setUnitLabel("km" if in_km else "m")
    bar.setMapUnitsPerScaleBarUnit(1.0)  # labels count whole bar units (a template may have set another)
    bar.setSegmentSizeMode(Qgis.ScaleBarSegmentSizeMode.Fixed)
    bar.setUnitsPerSegment(segment_m / 1000 if in_km else segment_m)
    bar.setNumberOfSegments(2)
    bar.setNumberOfSegmentsLeft(0)
    bar.resizeToMinimumWidth()
    bar.update()


def fit_legend(layout, legend, title: str, smallest: float = 0.6) -> None:
    """The template's legend box is fixed (the notes sit beside it): the title wraps to its
    width, and title and class labels are set smaller (half a point at a time, to 60 %) until
    QGIS's own legend renderer says the whole legend fits the box."""
    from qgis.core import QgsLayoutUtils

    styles = (QgsLegendStyle.Style.Title, QgsLegendStyle.Style.SymbolLabel)
    originals = {s: legend.style(s) for s in styles}  # kept alive: textFormat() is a reference into them
    sizes = {s: QgsTextFormat(style.textFormat()).size() for s, style in originals.items()}
    bold = QgsTextFormat(originals[QgsLegendStyle.Style.Title].textFormat()).font().bold()
    scale = 1.0
    while True:
        for kind in styles:
            style = legend.style(kind)  # a copy: changed, then set back
            fmt = QgsTextFormat(style.textFormat())
            fmt.setSize(sizes[kind] * scale)
            style.setTextFormat(fmt)
            legend.setStyle(kind, style)
        title_size = sizes[QgsLegendStyle.Style.Title] * scale
        legend.setTitle(wrap_to_width(title, legend.rect().width() - 2 * legend.boxSpace() - 1, title_size,
                                      bold=bold))
        legend.updateLegend()
        context = QgsLayoutUtils.createRenderContextForLayout(layout, None)
        need = QgsLegendRenderer(legend.model(), legend.legendSettings()).minimumSize(context)
        if (need.height() <= legend.rect().height() and need.width() <= legend.rect().width()) \
                or scale <= smallest:
            return
        scale -= 0.5 / sizes[QgsLegendStyle.Style.Title]


def _map_width_m(map_item) -> float:
    units = map_item.crs().mapUnits()
    if units == Qgis.DistanceUnit.Degrees:
        return map_item.extent().width() * 111_000.0
    return map_item.extent().width() * QgsUnitTypes.fromUnitToUnitFactor(units, Qgis.DistanceUnit.Meters)


def build_map_page(project, layout, page: int, req: MapRequest, cls, labels, context, data_dir,
                   *, coverage=None, subtitle_suffix: str = "") -> dict:
    """Add the classified layer (and context, coverage) to ``project`` and fill a map page.
    Returns the template items by id plus 'layer' (the styled layer in ``project``)."""
    main = project_layer(project, req.layer, req.name, data_dir, context)
    main.setRenderer(graduated_renderer(main, req.field, cls.lower_bounds, cls.breaks, labels,
                                        req.ramp, req.invert))
    others = []
    for layer in req.context_layers:
        copy = project_layer(project, layer, display_name(layer), data_dir, context)
        context_style(copy)
        others.append(copy)
    if coverage is not None:
        others.insert(0, coverage)
    # Filled polygons go under the context lines; points and lines go on top of them.
    if main.geometryType() == Qgis.GeometryType.Polygon:
        map_layers = others + [main]
    else:
        map_layers = [main] + others
    crs = main.crs() if main.crs().isValid() else project.crs()
    if not project.crs().isValid():
        project.setCrs(crs)
    texts = {"title": req.title, "subtitle": req.subtitle + subtitle_suffix,
             "notes": method_text(req, cls), "sources": req.source_text(),
             "footer": req.footer_text()}
    legend_title = field_label(req) + (f" ({req.units})" if req.units else "")
    items = place_map_page(layout, page, paper=req.paper, orientation=req.orientation, layer=main,
                           map_layers=map_layers, extent=layer_extent(main, crs, context), crs=crs,
                           texts=texts, legend_title=legend_title)
    items["layer"] = main
    return items


class FixedClasses:
    """Classes given as (lower, upper, label) — e.g. hot-spot classes — in the shape
    ``build_map_page`` expects of an engine Classification."""

    def __init__(self, classes):
        self.lower_bounds = [float(lo) for lo, _, _ in classes]
        self.breaks = [float(hi) for _, hi, _ in classes]
        self.k = len(classes)
        self.labels = [text for _, _, text in classes]
        self.notes = []


def finding_request(req: MapRequest, layer: QgsVectorLayer, result, *, label_units: str = ""):
    """The pack's map request, retargeted at one finding's layer and field."""
    import copy

    one = copy.copy(req)
    one.layer = layer
    one.field = result.map_field
    one.label = result.map_label
    one.units = result.map_units
    one.name = display_name(layer)
    one.title = result.title
    one.subtitle = ""
    one.notes = ""
    return one
