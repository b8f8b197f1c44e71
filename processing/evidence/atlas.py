"""The evidence pack's atlas section in the print layout: one page per area with its map (the
area outlined, its neighbours and the context layers in grey, a scale bar and a north arrow)
and its profile table (engine/atlas.py), one line per indicator.

All the area maps draw ONE styled layer: a rule-based renderer outlines the feature whose id
the map item names (``@map_id`` is ``atlas_map_<feature id>``), so the saved project stays
small and a planner can restyle every page at once.
"""
from __future__ import annotations

from qgis.core import (
    QgsFillSymbol,
    QgsLayoutItemMap,
    QgsLayoutItemScaleBar,
    QgsLayoutPoint,
    QgsProcessingException,
    QgsRectangle,
    QgsRuleBasedRenderer,
)

from .items import (
    _place,
    add_label,
    add_page,
    add_picture,
    add_table,
    column_widths,
    north_arrow_path,
    row_height,
    text_format,
    text_height,
)
from .layers import display_name, project_layer
from .map_page import fit_scale_bar
from .pages import MARGIN, PACK_PAPER, TEXT_WIDTH
from .style import context_style

MAP_ID_PREFIX = "atlas_map_"
HIGHLIGHT = "#b2182b"  # a dark red outline: contrast 7:1 on white, seen with common colour-vision deficiencies
MAP_BOX = (MARGIN, 38.0, TEXT_WIDTH, 118.0)


def area_style(layer) -> None:
    """The outlined area (the one the page's map is about) and its grey neighbours."""
    root = QgsRuleBasedRenderer.Rule(None)
    this = QgsFillSymbol.createSimple({"color": "255,255,255,0", "outline_color": HIGHLIGHT,
                                       "outline_width": "1.2"})
    others = QgsFillSymbol.createSimple({"color": "#eeeeee", "outline_color": "#9a9a9a", "outline_width": "0.15"})
    root.appendChild(QgsRuleBasedRenderer.Rule(others, 0, 0, "", "Other areas"))
    root.appendChild(QgsRuleBasedRenderer.Rule(this, 0, 0, f"@map_id = '{MAP_ID_PREFIX}' || to_string($id)",
                                               "This area"))
    layer.setRenderer(QgsRuleBasedRenderer(root))


def atlas_pages(project, layout, req, atlas, layer, context, data_dir, feedback) -> list:
    """One page per area of ``atlas`` (an engine Atlas over ``layer``, in its feature order)
    appended to ``layout``. ``feedback``: an engine Feedback (progress, Cancel). Returns
    ``[(page, map item)]`` in area order."""
    from qgis.core import Qgis

    areas = project_layer(project, layer, atlas.title, data_dir, context)
    area_style(areas)
    context_layers = []
    for other in req.context_layers:
        copy = project_layer(project, other, display_name(other), data_dir, context)
        context_style(copy)
        context_layers.append(copy)
    features = {f.id(): f for f in areas.getFeatures()}
    ids = list(features)
    crs = areas.crs() if areas.crs().isValid() else project.crs()
    pages = []
    for number, area in enumerate(atlas.areas):
        feedback.check()
        feedback.set_progress(number / len(atlas.areas))
        page = add_page(layout, *PACK_PAPER)
        title = f"Area profile: {area.name}"
        add_label(layout, page, title, (MARGIN, 12, TEXT_WIDTH, 10), size=16, bold=True,
                     item_id=f"atlas_{area.row + 1}_title")
        add_label(layout, page, area.sentence + f" The map outlines {area.name} in dark red.",
                     (MARGIN, 24, TEXT_WIDTH, text_height(area.sentence, TEXT_WIDTH, 10) + 5), size=10)
        fid = ids[area.row]
        map_item = QgsLayoutItemMap(layout)
        map_item.setId(f"{MAP_ID_PREFIX}{fid}")
        layout.addLayoutItem(map_item)
        _place(map_item, page, *MAP_BOX)
        map_item.setCrs(crs)
        map_item.setLayers(context_layers + [areas])  # the outline above the streets
        map_item.setKeepLayerSet(True)
        map_item.setFrameEnabled(True)
        bounds = QgsRectangle(features[fid].geometry().boundingBox())
        side = max(bounds.width(), bounds.height(), 1.0)
        bounds.grow(side * 1.2)  # the neighbours around it, for orientation
        map_item.zoomToExtent(bounds)
        bar = QgsLayoutItemScaleBar(layout)
        bar.setStyle("Single Box")
        bar.setLinkedMap(map_item)
        bar.setTextFormat(text_format(7))
        fit_scale_bar(bar, map_item)
        layout.addLayoutItem(bar)
        bar.setId(f"atlas_{area.row + 1}_scalebar")
        bar.attemptMove(QgsLayoutPoint(MAP_BOX[0] + 3, MAP_BOX[1] + MAP_BOX[3] - 12, Qgis.LayoutUnit.Millimeters),
                        True, False, page)
        add_picture(layout, page, north_arrow_path(),
                       (MAP_BOX[0] + MAP_BOX[2] - 13, MAP_BOX[1] + 3, 10, 12),
                       item_id=f"atlas_{area.row + 1}_north_arrow").setLinkedMap(map_item)
        y = MAP_BOX[1] + MAP_BOX[3] + 6
        add_label(layout, page, f"{area.name} against the city", (MARGIN, y, TEXT_WIDTH, 8),
                     size=12, bold=True)
        widths = column_widths(atlas.headers, area.rows, TEXT_WIDTH)
        height = row_height(atlas.headers, widths, 8, bold=True) + sum(row_height(r, widths, 8)
                                                                            for r in area.rows)
        add_table(layout, page, atlas.headers, area.rows, (MARGIN, y + 10, TEXT_WIDTH, height + 2),
                     widths=widths, size=8, item_id=f"atlas_{area.row + 1}_table")
        pages.append((page, map_item))
    return pages


def map_picture(layout, map_item, path: str, dpi: float) -> str:
    """The map of one area page as a PNG (for the HTML twin: the map only, not the page)."""
    from qgis.core import QgsLayoutExporter
    from qgis.PyQt.QtCore import QSize, Qt
    from qgis.PyQt.QtGui import QImage

    image = QgsLayoutExporter(layout).renderRegionToImage(map_item.sceneBoundingRect(), QSize(), dpi)
    # 256 colours are plenty for a grey map with one outline, and a third of the bytes: 150
    # areas stay a page a browser opens quickly
    image = image.convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.AvoidDither)
    if image.isNull() or not image.save(path, "PNG"):
        raise QgsProcessingException(f"Could not render the map of {map_item.id()} to {path}.")
    return path


def alt_text(area, others: int) -> str:
    return (f"Map of {area.name}, outlined in dark red, with the {others} other areas in grey and the streets "
            "for orientation; a scale bar and a north arrow. Its numbers are in the table below.")
