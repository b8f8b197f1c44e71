"""Layout items and text that fits: pages, labels, pictures and tables, and the Qt measures
(word wrap, row heights, column widths) that keep every text inside its frame.
"""
from __future__ import annotations

import os

from qgis.core import (
    Qgis,
    QgsLayoutFrame,
    QgsLayoutItemLabel,
    QgsLayoutItemManualTable,
    QgsLayoutItemPage,
    QgsLayoutItemPicture,
    QgsLayoutMultiFrame,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLayoutTableColumn,
    QgsPathResolver,
    QgsPrintLayout,
    QgsProcessingException,
    QgsSymbolLayerUtils,
    QgsTableCell,
    QgsTextFormat,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QFont

LAYOUT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                          "resources", "layouts")


PAPERS = [("A4", "portrait"), ("A4", "landscape"), ("A3", "portrait"), ("A3", "landscape")]


PAPER_LABELS = ["A4 portrait", "A4 landscape", "A3 portrait", "A3 landscape"]


PAGE_MM = {("A4", "portrait"): (210, 297), ("A4", "landscape"): (297, 210),
           ("A3", "portrait"): (297, 420), ("A3", "landscape"): (420, 297)}


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
    return [f + spare * w / sum(wants) for f, w in zip(floors, wants, strict=True)]


def row_height(cells, widths, size_pt: float, *, bold: bool = False) -> float:
    """Height (mm) of one table row: its tallest wrapped cell plus the cell margins."""
    return max(text_height(str(c), w, size_pt, bold=bold, pad=0.0)
               for c, w in zip(cells, widths, strict=True)) + 2 * TABLE_CELL_MARGIN + 0.5


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
