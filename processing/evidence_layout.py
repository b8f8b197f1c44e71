"""The one place that builds JoinedUp's print layouts: graduated renderer, map page from a
``.qpt`` template, extra pages (text, tables, pictures), export to PDF/PNG and saving a
project a planner can open. Used by ``joinedup:evidencemap`` and ``joinedup:evidencepack``.

Every layout lives in a NEW ``QgsProject`` made for the run; the user's project
(``QgsProject.instance()``) is never read, written or changed. Layers are re-opened from
their files in that project; a layer that is not a file (a memory layer, a database) is
first copied into a GeoPackage beside the saved project.
"""
from __future__ import annotations

import datetime as _dt
import os
import tempfile

from qgis.core import (
    Qgis,
    QgsCoordinateTransform,
    QgsFillSymbol,
    QgsGradientColorRamp,
    QgsGradientStop,
    QgsGraduatedSymbolRenderer,
    QgsLayoutExporter,
    QgsLayoutFrame,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemManualTable,
    QgsLayoutItemMap,
    QgsLayoutItemPage,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutMultiFrame,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLayoutTableColumn,
    QgsLegendRenderer,
    QgsLegendStyle,
    QgsLineSymbol,
    QgsMarkerSymbol,
    QgsPathResolver,
    QgsPrintLayout,
    QgsProcessingException,
    QgsReadWriteContext,
    QgsRectangle,
    QgsRendererRange,
    QgsSingleSymbolRenderer,
    QgsSymbolLayerUtils,
    QgsTableCell,
    QgsTextFormat,
    QgsUnitTypes,
    QgsVectorFileWriter,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QFont
from qgis.PyQt.QtXml import QDomDocument

LAYOUT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "resources", "layouts")
PAPERS = [("A4", "portrait"), ("A4", "landscape"), ("A3", "portrait"), ("A3", "landscape")]
PAPER_LABELS = ["A4 portrait", "A4 landscape", "A3 portrait", "A3 landscape"]
PAGE_MM = {("A4", "portrait"): (210, 297), ("A4", "landscape"): (297, 210),
           ("A3", "portrait"): (297, 420), ("A3", "landscape"): (420, 297)}

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

EXPORT_ERRORS = {
    QgsLayoutExporter.ExportResult.Canceled: "the export was cancelled",
    QgsLayoutExporter.ExportResult.MemoryError: "not enough memory to render the layout "
                                                "(try a lower DPI or a smaller paper size)",
    QgsLayoutExporter.ExportResult.FileError: "the file could not be written (is the folder "
                                              "writable and the file not open in another program?)",
    QgsLayoutExporter.ExportResult.PrintError: "the printer/PDF engine failed",
    QgsLayoutExporter.ExportResult.SvgLayerError: "an SVG layer could not be written",
    QgsLayoutExporter.ExportResult.IteratorError: "the atlas could not iterate over the "
                                                  "coverage layer's features",
}


# --- checks -------------------------------------------------------------------------------

def check_writable(path: str, what: str) -> None:
    """Raise a clear QgsProcessingException unless ``path`` can be written."""
    if not path:
        return
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        raise QgsProcessingException(f"Cannot write the {what} {path}: the folder {folder} does "
                                     "not exist.")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise QgsProcessingException(f"Cannot write the {what} {path}: no permission to write "
                                     "there. Choose another folder.")


def today() -> str:
    return _dt.date.today().isoformat()


# --- renderer -----------------------------------------------------------------------------

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
              for lo, hi, colour, label in zip(lower, upper, colours, labels)]
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


# --- layers in the run's own project ------------------------------------------------------

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


# --- layouts ------------------------------------------------------------------------------

def template_path(paper: str, orientation: str) -> str:
    path = os.path.join(LAYOUT_DIR, f"evidence_{paper.lower()}_{orientation}.qpt")
    if not os.path.exists(path):
        raise QgsProcessingException(f"The layout template {path} is missing from the plugin.")
    return path


def new_layout(project, name: str, paper: str = "A4", orientation: str = "portrait") -> QgsPrintLayout:
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.setName(name)
    _size_page(layout.pageCollection().page(0), paper, orientation)
    return layout


def _size_page(page, paper, orientation):
    page.setPageSize(paper, QgsLayoutItemPage.Orientation.Portrait if orientation == "portrait"
                     else QgsLayoutItemPage.Orientation.Landscape)


def add_page(layout, paper: str = "A4", orientation: str = "portrait") -> int:
    """Append a page; returns its index."""
    page = QgsLayoutItemPage(layout)
    _size_page(page, paper, orientation)
    layout.pageCollection().addPage(page)
    return layout.pageCollection().pageCount() - 1


def text_format(size_pt: float, bold: bool = False, colour: str = "#141414") -> QgsTextFormat:
    fmt = QgsTextFormat()
    font = QFont("DejaVu Sans")
    font.setBold(bold)
    fmt.setFont(font)
    fmt.setSize(size_pt)
    fmt.setSizeUnit(Qgis.RenderUnit.Points)
    fmt.setColor(QColor(colour))
    return fmt


def _place(item, page: int, x: float, y: float, w: float, h: float):
    item.attemptResize(QgsLayoutSize(w, h, Qgis.LayoutUnit.Millimeters))
    item.attemptMove(QgsLayoutPoint(x, y, Qgis.LayoutUnit.Millimeters), True, False, page)


def add_label(layout, page: int, text: str, box, *, size: float = 10, bold: bool = False,
              item_id: str = "", colour: str = "#141414") -> QgsLayoutItemLabel:
    label = QgsLayoutItemLabel(layout)
    label.setText(text)
    label.setTextFormat(text_format(size, bold, colour))
    label.setVAlign(Qt.AlignmentFlag.AlignTop)
    if item_id:
        label.setId(item_id)
    layout.addLayoutItem(label)
    _place(label, page, *box)
    return label


def add_picture(layout, page: int, path: str, box, item_id: str = "") -> QgsLayoutItemPicture:
    picture = QgsLayoutItemPicture(layout)
    fmt = Qgis.PictureFormat.SVG if path.lower().endswith(".svg") else Qgis.PictureFormat.Raster
    picture.setPicturePath(path, fmt)
    picture.setResizeMode(QgsLayoutItemPicture.ResizeMode.Zoom)
    if item_id:
        picture.setId(item_id)
    layout.addLayoutItem(picture)
    _place(picture, page, *box)
    return picture


TABLE_CELL_MARGIN = 1.0


def add_table(layout, page: int, headers, rows, box, *, widths=None, repeat: bool = False,
              size: float = 8, item_id: str = "") -> QgsLayoutItemManualTable:
    """A manual table (headers, rows of text) in a frame; ``repeat`` adds pages at the end of
    the layout until every row is shown."""
    table = QgsLayoutItemManualTable.create(layout)
    layout.addMultiFrame(table)
    columns = []
    for i, header in enumerate(headers):
        column = QgsLayoutTableColumn(header)
        if widths:
            column.setWidth(widths[i])
        columns.append(column)
    table.setHeaders(columns)
    table.setIncludeTableHeader(True)
    table.setTableContents([[QgsTableCell(str(v)) for v in row] for row in rows])
    if widths:
        table.setColumnWidths([float(w) for w in widths])  # the manual table's own widths win
    table.setContentTextFormat(text_format(size))
    table.setHeaderTextFormat(text_format(size, True))
    table.setWrapBehavior(QgsLayoutItemManualTable.WrapBehavior.WrapText)
    table.setCellMargin(TABLE_CELL_MARGIN)
    frame = QgsLayoutFrame(layout, table)
    if item_id:
        frame.setId(item_id)
    _place(frame, page, *box)
    table.addFrame(frame)
    if repeat:
        table.setResizeMode(QgsLayoutMultiFrame.ResizeMode.RepeatUntilFinished)
    return table


def north_arrow_path() -> str:
    path = QgsSymbolLayerUtils.svgSymbolNameToPath("arrows/NorthArrow_02.svg", QgsPathResolver())
    if path and os.path.exists(path):
        return path
    return os.path.join(LAYOUT_DIR, "north_arrow.svg")


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


# --- export and save ----------------------------------------------------------------------

def _raise_export(result, what: str, path: str, exporter=None):
    if result == QgsLayoutExporter.ExportResult.Success:
        return
    detail = EXPORT_ERRORS.get(result, f"error code {int(result)}")
    extra = ""
    if exporter is not None and exporter.errorMessage():
        extra = f" ({exporter.errorMessage()})"
    raise QgsProcessingException(f"Could not export the {what} to {path}: {detail}{extra}.")


def export_pdf(layout, path: str, dpi: float) -> None:
    check_writable(path, "PDF")
    exporter = QgsLayoutExporter(layout)
    settings = QgsLayoutExporter.PdfExportSettings()
    settings.dpi = float(dpi)
    settings.textRenderFormat = Qgis.TextRenderFormat.AlwaysText  # searchable, accessible text
    settings.rasterizeWholeImage = False
    settings.forceVectorOutput = False
    settings.appendGeoreference = True
    settings.exportMetadata = True
    result = exporter.exportToPdf(path, settings)
    _raise_export(result, "layout as PDF", path, exporter)


def export_atlas_pdf(layout, path: str, dpi: float, feedback=None) -> int:
    """Export the layout's atlas into one multi-page PDF; returns the number of pages."""
    check_writable(path, "atlas PDF")
    atlas = layout.atlas()
    settings = QgsLayoutExporter.PdfExportSettings()
    settings.dpi = float(dpi)
    settings.textRenderFormat = Qgis.TextRenderFormat.AlwaysText
    result, error = QgsLayoutExporter.exportToPdf(atlas, path, settings)
    if result != QgsLayoutExporter.ExportResult.Success:
        detail = EXPORT_ERRORS.get(result, f"error code {int(result)}")
        raise QgsProcessingException(f"Could not export the atlas to {path}: {detail}"
                                     f"{' (' + error + ')' if error else ''}.")
    return atlas.count()


def export_png(layout, path: str, dpi: float, page: int = 0) -> str:
    """Export one page as PNG; returns the written file's path."""
    check_writable(path, "PNG")
    exporter = QgsLayoutExporter(layout)
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = float(dpi)
    settings.pages = [page]
    settings.generateWorldFile = False
    result = exporter.exportToImage(path, settings)
    _raise_export(result, "layout as PNG", path, exporter)
    if not os.path.exists(path):  # single-page exports keep the name; others get a suffix
        root, ext = os.path.splitext(path)
        alt = f"{root}_{page + 1}{ext}"
        if os.path.exists(alt):
            os.replace(alt, path)
    return path


def save_project(project, path: str) -> None:
    check_writable(path, "project")
    project.setFileName(path)
    if not project.write(path):
        raise QgsProcessingException(f"Could not save the project {path}: {project.error()}")


def data_dir_for(project_path: str, fallback_dir: str) -> str:
    if project_path:
        root = os.path.splitext(os.path.abspath(project_path))[0]
        return root + "_data"
    return fallback_dir or tempfile.mkdtemp(prefix="joinedup-layout-")


# --- the evidence map, from parameters to a filled map page (shared by both algorithms) ----

METHOD_KEYS = ["jenks", "quantile", "equal", "pretty", "stddev", "manual"]
METHOD_LABELS = ["Natural breaks (Jenks, exact)", "Quantile (equal counts)", "Equal interval",
                 "Pretty breaks (rounded)", "Standard deviation", "Manual breaks"]
DEFAULT_DISCLOSURE = ("Disclosure control: none applied by JoinedUp. Check that small counts "
                      "cannot identify people before publishing.")


def add_map_parameters(alg, *, prefix_help: str = "") -> None:
    """The classification, style and text parameters both evidence algorithms share."""
    from qgis.core import (
        QgsProcessingParameterBoolean,
        QgsProcessingParameterEnum,
        QgsProcessingParameterMultipleLayers,
        QgsProcessingParameterNumber,
        QgsProcessingParameterString,
        QgsProcessing,
    )


    alg.add_parameter(QgsProcessingParameterEnum("METHOD", alg.tr("Classification method"), METHOD_LABELS,
                                   defaultValue=0),
        "How values are split into classes. Natural breaks is the exact Fisher–Jenks optimum "
        "(sampled above 1,000,000 distinct values); quantile puts equal numbers of features in "
        "each class; equal interval splits the range evenly; pretty uses round numbers; "
        "standard deviation uses classes one standard deviation wide around the mean; manual "
        "uses MANUAL_BREAKS.")
    alg.add_parameter(QgsProcessingParameterNumber("CLASSES", alg.tr("Number of classes"),
                                     QgsProcessingParameterNumber.Type.Integer, 5, False, 2, 12),
        "How many classes (2–12). Fewer are made, with a warning in the log, when the field has "
        "fewer distinct values.")
    alg.add_parameter(QgsProcessingParameterString("MANUAL_BREAKS", alg.tr("Manual breaks (upper bounds)"),
                                     optional=True),
        "For the manual method: the upper bounds of the classes separated by commas, e.g. "
        "'10, 20, 50'; the last class runs to the largest value.", True)
    alg.add_parameter(QgsProcessingParameterEnum("RAMP", alg.tr("Colour ramp"), RAMP_NAMES, defaultValue=0),
        "Colour ramp for the classes; all are readable with common colour-vision deficiencies "
        "(viridis, cividis) or are ColorBrewer sequential ramps. Darker means more.")
    alg.add_parameter(QgsProcessingParameterBoolean("INVERT_RAMP", alg.tr("Invert colour ramp"), False),
        "Reverse the ramp (darker means less).", True)
    alg.add_parameter(QgsProcessingParameterString("UNITS", alg.tr("Units for class labels"), "", optional=True),
        "Units written after each class label, e.g. 'm²', 'per 1,000 people', 'min'.")
    alg.add_parameter(QgsProcessingParameterNumber("DECIMALS", alg.tr("Decimals in class labels (-1 = automatic)"),
                                     QgsProcessingParameterNumber.Type.Integer, -1, False, -1, 8),
        "Decimal places in the class labels; -1 chooses enough to tell the bounds apart.", True)
    alg.add_parameter(QgsProcessingParameterMultipleLayers("CONTEXT", alg.tr("Context layers (roads, boundaries)"),
                                             QgsProcessing.SourceType.TypeVectorAnyGeometry,
                                             optional=True),
        "Layers drawn in quiet grey for orientation (roads, district boundaries). They are not "
        "in the legend.")
    alg.add_parameter(QgsProcessingParameterString("TITLE", alg.tr("Title"), "", optional=True),
        "Title printed at the top; default '<field> by <layer>'.")
    alg.add_parameter(QgsProcessingParameterString("SUBTITLE", alg.tr("Subtitle"), "", optional=True),
        "A line under the title, e.g. the question the map answers.")
    alg.add_parameter(QgsProcessingParameterString("ORGANISATION", alg.tr("Organisation"), "", optional=True),
        "Who made the map, printed in the footer with the date.")
    alg.add_parameter(QgsProcessingParameterString("SOURCES", alg.tr("Sources and licences"), "", optional=True),
        "Data sources and their licences, e.g. '© OpenStreetMap contributors, ODbL 1.0'. Default: "
        "the names of the layers used.")
    alg.add_parameter(QgsProcessingParameterString("NOTES", alg.tr("Method notes"), "", optional=True,
                                     multiLine=True),
        "Extra notes on the method, printed after the automatic description of the "
        "classification.")
    alg.add_parameter(QgsProcessingParameterString("DISCLOSURE", alg.tr("Disclosure control statement"),
                                     DEFAULT_DISCLOSURE, optional=True, multiLine=True),
        "What was done so that no person can be identified (suppression, rounding, "
        "aggregation). Printed on the map.")
    alg.add_parameter(QgsProcessingParameterString("DATE", alg.tr("Date"), "", optional=True),
        "Date printed in the footer; default today (YYYY-MM-DD).", True)


class MapRequest:
    """The evidence-map parameters of one run, read once."""

    def __init__(self, alg, parameters, context, layer_param="INPUT", field_param="FIELD"):
        self.layer = alg.parameterAsVectorLayer(parameters, layer_param, context)
        if self.layer is None:
            raise QgsProcessingException(alg.invalidSourceError(parameters, layer_param))
        self.layer_param = layer_param
        self.field = alg.parameterAsString(parameters, field_param, context)
        if self.layer.fields().indexOf(self.field) < 0:
            raise QgsProcessingException(
                f"The field '{self.field}' is not in {display_name(self.layer)}; its fields are: "
                f"{', '.join(self.layer.fields().names()) or 'none'}.")
        self.method = METHOD_KEYS[alg.parameterAsEnum(parameters, "METHOD", context)]
        self.classes = alg.parameterAsInt(parameters, "CLASSES", context)
        self.manual = alg.parameterAsString(parameters, "MANUAL_BREAKS", context)
        self.ramp = RAMP_NAMES[alg.parameterAsEnum(parameters, "RAMP", context)]
        self.invert = alg.parameterAsBool(parameters, "INVERT_RAMP", context)
        self.units = alg.parameterAsString(parameters, "UNITS", context).strip()
        self.decimals = alg.parameterAsInt(parameters, "DECIMALS", context)
        self.context_layers = [lyr for lyr in (alg.parameterAsLayerList(parameters, "CONTEXT", context) or [])
                               if isinstance(lyr, QgsVectorLayer)]
        self.name = display_name(self.layer)
        self.title = alg.parameterAsString(parameters, "TITLE", context).strip() or \
            f"{self.field} by {self.name}"
        self.subtitle = alg.parameterAsString(parameters, "SUBTITLE", context).strip()
        self.organisation = alg.parameterAsString(parameters, "ORGANISATION", context).strip()
        self.sources = alg.parameterAsString(parameters, "SOURCES", context).strip()
        self.notes = alg.parameterAsString(parameters, "NOTES", context).strip()
        disclosure = parameters.get("DISCLOSURE")
        self.disclosure = (DEFAULT_DISCLOSURE if disclosure is None
                           else alg.parameterAsString(parameters, "DISCLOSURE", context).strip())
        self.date = alg.parameterAsString(parameters, "DATE", context).strip() or today()
        self.paper, self.orientation = "A4", "portrait"

    def source_text(self) -> str:
        names = [self.name] + [display_name(lyr) for lyr in self.context_layers]
        return "Sources: " + (self.sources or ", ".join(names))

    def footer_text(self) -> str:
        crs = self.layer.crs().authid() or self.layer.crs().description()
        parts = [p for p in (self.organisation, self.date, f"Projection {crs}" if crs else "",
                             "Made with QGIS and JoinedUp") if p]
        return " · ".join(parts)


def classify_request(alg, parameters, context, feedback, req: MapRequest, *, start=0.0, end=0.3):
    """Read the field through the bridge and classify it with the engine.
    Returns ``(classification, labels, gdf)``."""
    from ..engine.classify import class_breaks
    from .base import engine_feedback
    from .bridge import read_source

    gdf, report = read_source(alg, parameters, req.layer_param, context, feedback)
    feedback.pushInfo(report.describe())
    what = f"The field '{req.field}' of {req.name}"
    if req.field not in gdf.columns:
        raise QgsProcessingException(f"{what} could not be read.")
    cls = class_breaks(gdf[req.field], method=req.method, n_classes=req.classes,
                       manual_breaks=req.manual, what=what,
                       feedback=engine_feedback(feedback, start, end))
    for note in cls.notes:
        feedback.pushWarning(note)
    labels = cls.labels(units=req.units, decimals=req.decimals)
    return cls, labels, gdf


def field_label(req) -> str:
    """The human label of the mapped field (the findings file's label table or the field's
    alias), else its name (evidencemap, where the user chose the field)."""
    return getattr(req, "label", "") or req.field


def method_text(req: MapRequest, cls) -> str:
    text = "Method: " + (getattr(req, "method_note", "") or
                         cls.describe(field_name=field_label(req).lower(), units=req.units))
    if req.notes:
        text += " " + req.notes
    if req.disclosure:
        text += "\n" + req.disclosure
    return text


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


# --- the evidence pack's other pages ------------------------------------------------------

PACK_PAPER = ("A4", "portrait")
MARGIN = 15.0
TEXT_WIDTH = 210.0 - 2 * MARGIN


def heading(layout, page: int, text: str, y: float = 12.0, size: float = 18) -> QgsLayoutItemLabel:
    return add_label(layout, page, text, (MARGIN, y, TEXT_WIDTH, 12), size=size, bold=True)


def cover_page(layout, page: int, req: MapRequest, findings: str) -> None:
    add_label(layout, page, "EVIDENCE PACK", (MARGIN, 40, TEXT_WIDTH, 8), size=10, bold=True,
              colour="#1b6f8a")
    shrink_to_fit(add_label(layout, page, req.title, (MARGIN, 52, TEXT_WIDTH, 30), size=26, bold=True,
                            item_id="pack_title"))
    if req.subtitle:
        add_label(layout, page, req.subtitle, (MARGIN, 84, TEXT_WIDTH, 14), size=14)
    who = " · ".join(p for p in (req.organisation, req.date) if p)
    add_label(layout, page, who, (MARGIN, 100, TEXT_WIDTH, 8), size=11)
    add_label(layout, page, "In brief", (MARGIN, 125, TEXT_WIDTH, 8), size=13, bold=True)
    add_label(layout, page, findings, (MARGIN, 135, TEXT_WIDTH, 60), size=11)
    if req.disclosure:
        add_label(layout, page, req.disclosure, (MARGIN, 245, TEXT_WIDTH, 20), size=9, item_id="disclosure")
    add_label(layout, page, "Made with QGIS and JoinedUp. Contents: summary of findings, map, "
              "charts, method, sources and licences, provenance.", (MARGIN, 275, TEXT_WIDTH, 10), size=8,
              colour="#555555")


def summary_page(layout, page: int, req: MapRequest, findings: str, top, labels_for, stats_text: str,
                 highest: bool) -> None:
    heading(layout, page, "Summary of findings")
    add_label(layout, page, findings + ("\n\n" + req.notes if req.notes else ""),
              (MARGIN, 26, TEXT_WIDTH, 34), size=10)
    add_label(layout, page, stats_text, (MARGIN, 62, TEXT_WIDTH, 10), size=8, colour="#444444")
    word = "highest" if highest else "lowest"
    add_label(layout, page, f"The {len(top)} areas with the {word} {field_label(req).lower()}",
              (MARGIN, 76, TEXT_WIDTH, 8), size=12, bold=True)
    unit = f" ({req.units})" if req.units else ""
    rows = [[int(r["rank"]), r["name"], labels_for["value"](r["value"]), labels_for["class"](r["value"])]
            for _, r in top.iterrows()]
    add_table(layout, page, ["Rank", "Area", f"{field_label(req)}{unit}", "Map class"], rows,
              (MARGIN, 86, TEXT_WIDTH, 195), widths=[12, 84, 34, 42], size=9, item_id="top_table")


def charts_page(layout, page: int, pictures: list, note: str = "") -> None:
    heading(layout, page, "Charts")
    y = 26.0
    for path in pictures:
        add_picture(layout, page, path, (MARGIN, y, TEXT_WIDTH, 122))
        y += 126
    if note:
        add_label(layout, page, note, (MARGIN, y, TEXT_WIDTH, 20), size=10)


def method_page(layout, page: int, req: MapRequest, method: str, inputs_text: str) -> None:
    heading(layout, page, "Method, sources and disclosure control")
    blocks = [("Method", method), ("Sources and licences", req.source_text().replace("Sources: ", "", 1)
                                    + "\n" + inputs_text),
              ("Disclosure control", req.disclosure or "None stated.")]
    y = 28.0
    for title, text in blocks:
        add_label(layout, page, title, (MARGIN, y, TEXT_WIDTH, 8), size=12, bold=True)
        lines = max(2, text.count("\n") + 1 + len(text) // 95)
        height = min(90.0, 5.0 * lines + 4)
        add_label(layout, page, text, (MARGIN, y + 9, TEXT_WIDTH, height), size=9,
                  item_id="disclosure_text" if title == "Disclosure control" else "")
        y += 9 + height + 6


def provenance_rows(steps: list) -> list:
    """One table row per step: step, algorithm and time, inputs, parameters, outputs."""
    rows = []
    for step in steps:
        inputs = []
        for i in step.get("inputs", []):
            parts = [str(i.get("name", "?"))]
            if i.get("layer") and i.get("layer") != i.get("name"):
                parts[0] += f" ({i['layer']})"
            if i.get("features") is not None:
                parts.append(f"{i['features']:,} features" if isinstance(i["features"], int) else str(i["features"]))
            if i.get("crs"):
                parts.append(str(i["crs"]))
            if i.get("path"):
                parts.append(os.path.basename(str(i["path"])))
            if i.get("sha256"):
                parts.append("sha256 " + str(i["sha256"])[:16])
            if i.get("modified"):
                parts.append(str(i["modified"])[:10])
            inputs.append(", ".join(parts))
        params = "\n".join(f"{k}={_short(v)}" for k, v in (step.get("parameters") or {}).items()
                            if v not in (None, "", []))
        outputs = "\n".join(os.path.basename(str(o.get("path", ""))) for o in step.get("outputs", []))
        when = " → ".join(str(t)[:19].replace("T", " ") for t in (step.get("started"), step.get("finished")) if t)
        rows.append([str(step.get("step", "")), f"{step.get('algorithm', '?')}\n{when}",
                     "\n\n".join(inputs) or "—", params[:800] or "—", outputs or "—"])
    return rows


def _short(value) -> str:
    if isinstance(value, list):
        return ", ".join(_short(v) for v in value)
    text = str(value)
    if "/" in text or "\\" in text:  # a path: its file name (and layer) say enough
        path, _, rest = text.partition("|")
        text = os.path.basename(path.replace("\\", "/")) + (
            ":" + rest.split("layername=", 1)[1].split("|")[0] if "layername=" in rest else "")
    return text[:120]


def number_pages(layout, footer: str, *, skip_footer=(), paper_height: float = 297.0) -> int:
    """A footer on every page of the pack, extra provenance pages included: ``footer`` at the
    left (not on pages in ``skip_footer``, whose template prints its own) and 'Page i of N'
    at the right. Call once every page exists. Returns N."""
    for table in layout.multiFrames():  # let repeating tables add the pages they need
        table.recalculateFrameSizes()
    pages = layout.pageCollection().pageCount()
    y = paper_height - 9.0
    for page in range(pages):
        if page not in skip_footer:
            add_label(layout, page, footer, (MARGIN, y, TEXT_WIDTH - 30, 5), size=7,
                      item_id=f"page_footer_{page + 1}", colour="#555555")
        number = add_label(layout, page, f"Page {page + 1} of {pages}",
                           (MARGIN + TEXT_WIDTH - 28, y, 28, 5), size=7,
                           item_id=f"page_number_{page + 1}", colour="#555555")
        number.setHAlign(Qt.AlignmentFlag.AlignRight)
    return pages


def provenance_page(layout, page: int, steps: list) -> QgsLayoutItemManualTable:
    heading(layout, page, "Provenance")
    add_label(layout, page, "Every step that produced this evidence, with its inputs (feature "
              "counts as used, CRS, file name, SHA-256 prefix and date), parameters and outputs.",
              (MARGIN, 25, TEXT_WIDTH, 10), size=9)
    return add_table(layout, page, ["#", "Algorithm and time", "Inputs", "Parameters", "Outputs"],
                     provenance_rows(steps), (MARGIN, 37, TEXT_WIDTH, 245),
                     widths=[5, 31, 56, 48, 28], size=7, repeat=True, item_id="provenance_table")


# --- findings ------------------------------------------------------------------------------

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


def finding_pages(layout, number: int, result) -> None:
    """The finding's text page(s), appended to ``layout``: title, the plain-language paragraph
    (numbers from the data), the analyst's sentence, what disclosure control hid, then the
    table, continued on further pages (each with its header row) when it is long."""
    page = add_page(layout, *PACK_PAPER)
    title = f"Finding {number}. {result.title}"
    title_height = text_height(title, TEXT_WIDTH, 16, bold=True)
    add_label(layout, page, title, (MARGIN, 12, TEXT_WIDTH, title_height), size=16, bold=True,
              item_id=f"finding_{number}_title")
    blocks = [result.paragraph]
    if result.note:
        blocks.append("Analyst's note: " + result.note)
    if result.suppressed:
        blocks.append("Disclosure control: " + result.suppressed)
    text = "\n\n".join(blocks)
    y = 12 + title_height + 3
    height = text_height(text, TEXT_WIDTH, 10)
    add_label(layout, page, text, (MARGIN, y, TEXT_WIDTH, height), size=10,
              item_id=f"finding_{number}_text")
    y += height + 5
    add_label(layout, page, result.table_title, (MARGIN, y, TEXT_WIDTH, 8), size=12, bold=True)
    y += 10
    widths = column_widths(result.headers, result.rows, TEXT_WIDTH)
    bottom = 297.0 - 14.0  # above the footer
    header_h = row_height(result.headers, widths, 8, bold=True)
    part, chunk, used = 1, [], header_h
    for row in result.rows:
        h = row_height(row, widths, 8)
        if chunk and y + used + h > bottom:
            add_table(layout, page, result.headers, chunk, (MARGIN, y, TEXT_WIDTH, used + 2),
                      widths=widths, size=8, item_id=f"finding_{number}_table_{part}")
            page, part, chunk, used = add_page(layout, *PACK_PAPER), part + 1, [], header_h
            add_label(layout, page, f"{title} (continued)", (MARGIN, 12, TEXT_WIDTH, title_height),
                      size=16, bold=True)
            y = 12 + title_height + 4
        chunk.append(row)
        used += h
    add_table(layout, page, result.headers, chunk, (MARGIN, y, TEXT_WIDTH, used + 2), widths=widths,
              size=8, item_id=f"finding_{number}_table_{part}")


def column_widths(headers, rows, total: float, *, size_pt: float = 8) -> list:
    """Widths (mm) of a table that is ``total`` wide overall (the cell margins and grid lines
    taken off): each column at least as wide as its longest word (bold header or cell, so no
    word is cut), the rest shared in proportion to each column's longest text (capped)."""
    from qgis.PyQt.QtGui import QFontMetricsF

    def word_mm(text, bold):
        font = QFont(text_format(size_pt, bold).font())
        font.setPixelSize(int(round(size_pt * 10)))
        metrics = QFontMetricsF(font)
        words = str(text).split() or [""]
        return max(metrics.horizontalAdvance(w) for w in words) / 10 * 25.4 / 72 + 0.5

    n = len(headers)
    room = total - n * (2 * TABLE_CELL_MARGIN + 0.3) - 0.3
    floors = [max([word_mm(h, True)] + [word_mm(r[i], False) for r in rows]) for i, h in enumerate(headers)]
    wants = [max([min(len(str(h)), 34) * 0.8] + [min(len(str(r[i])), 34) for r in rows]) + 2
             for i, h in enumerate(headers)]
    spare = max(0.0, room - sum(floors))
    return [f + spare * w / sum(wants) for f, w in zip(floors, wants)]


def row_height(cells, widths, size_pt: float, *, bold: bool = False) -> float:
    """Height (mm) of one table row: its tallest wrapped cell plus the cell margins."""
    return max(text_height(str(c), w, size_pt, bold=bold, pad=0.0)
               for c, w in zip(cells, widths)) + 2 * TABLE_CELL_MARGIN + 0.5


def wrap_to_width(text: str, width_mm: float, size_pt: float, *, bold: bool = False) -> str:
    """``text`` with line breaks where Qt's metrics of the label font say a line would pass
    ``width_mm`` (for items that do not wrap by themselves, such as a legend's title)."""
    from qgis.PyQt.QtGui import QFontMetricsF

    font = QFont(text_format(size_pt, bold).font())
    font.setPixelSize(int(round(size_pt * 10)))
    metrics = QFontMetricsF(font)
    room = width_mm / 25.4 * 72.0 * 10
    lines, current = [], ""
    for word in text.split():
        trial = (current + " " + word).strip()
        if current and metrics.horizontalAdvance(trial) > room:
            lines.append(current)
            current = word
        else:
            current = trial
    return "\n".join(lines + [current])


def text_height(text: str, width_mm: float, size_pt: float, *, bold: bool = False,
                pad: float = 3.0) -> float:
    """Height (mm) a wrapped label of ``text`` needs, measured word by word with the font the
    label uses (so a paragraph of any length is neither cut off nor overlaps what follows).
    The font is sized in pixels (10 per point) so the measure does not depend on a screen."""
    from qgis.PyQt.QtGui import QFontMetricsF

    scale = 10.0
    font = QFont(text_format(size_pt, bold).font())
    font.setPixelSize(int(round(size_pt * scale)))
    metrics = QFontMetricsF(font)
    room = width_mm / 25.4 * 72.0 * scale * 0.95  # the label's own margin, and some slack
    lines = 0
    for paragraph in text.split("\n"):
        current, count = "", 1
        for word in paragraph.split(" "):
            trial = (current + " " + word).strip()
            if current and metrics.horizontalAdvance(trial) > room:
                count, current = count + 1, word
            else:
                current = trial
        lines += count
    return lines * metrics.lineSpacing() / scale * 25.4 / 72.0 + pad


def field_aliases(layer: QgsVectorLayer) -> dict:
    return {f.name(): f.alias() for f in layer.fields() if f.alias()}


def open_finding_layer(source: str, what: str):
    """A finding's layer as a QgsVectorLayer (for the map and its aliases) and a GeoDataFrame
    (for the engine)."""
    from .bridge import read_file

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


def shrink_to_fit(label: QgsLayoutItemLabel, smallest: float = 0.6) -> None:
    """Make a label's font smaller (1 pt at a time, down to ``smallest`` of its size) until its
    wrapped text fits the label's box: a long title is set smaller rather than cut off."""
    fmt = label.textFormat()
    size = fmt.size()
    floor = size * smallest
    width = label.rect().width() - 2 * label.marginX()
    height = label.rect().height() - 2 * label.marginY()
    bold = fmt.font().bold()
    text = label.currentText()
    while size > floor and text_height(text, width, size, bold=bold, pad=0.0) > height:
        size -= 1
    if size != fmt.size():
        fmt.setSize(max(size, floor))
        label.setTextFormat(fmt)
