"""Write the evidence-map print layout templates ``resources/layouts/evidence_<paper>_<orientation>.qpt``.

Run with QGIS's Python (``.venv/bin/python -P scripts/make_layout_templates.py [OUT_FOLDER]``);
the .qpt files are committed, so this only needs re-running after a change here
(tests/test_regenerate_resources.py checks that the committed files are what this writes). A GIS officer may also edit
a template in QGIS's layout designer (Layout > Save as Template): JoinedUp finds the items by
their ids (map, legend, scalebar, north_arrow, title, subtitle, notes, sources, footer) and
skips any that are missing.
"""
from __future__ import annotations

import math
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPage,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutMeasurement,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsPrintLayout,
    QgsProject,
    QgsReadWriteContext,
    QgsTextFormat,
)
from qgis.PyQt.QtCore import Qt  # noqa: E402
from qgis.PyQt.QtGui import QColor, QFont  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "resources", "layouts")

# Boxes in millimetres on A4 (x, y, width, height) and font sizes in points; A3 is A4 × √2.
BOXES = {
    "portrait": {
        "title": (10, 8, 190, 11, 18, True), "subtitle": (10, 19, 190, 7, 11, False),
        "map": (10, 28, 190, 186),
        "north_arrow": (186, 31, 10, 14),
        "legend": (10, 217, 72, 55),
        "scalebar": (88, 217, 70, 13),
        "notes": (88, 231, 112, 42, 7, False),
        "sources": (10, 274, 190, 12, 7, False),
        "footer": (10, 287, 190, 6, 7, False),
    },
    "landscape": {
        "title": (10, 8, 277, 11, 18, True), "subtitle": (10, 19, 277, 7, 11, False),
        "map": (10, 28, 195, 172),
        "north_arrow": (191, 31, 10, 14),
        "legend": (210, 28, 77, 70),
        "scalebar": (210, 100, 77, 13),
        "notes": (210, 115, 77, 55, 7, False),
        "sources": (210, 172, 77, 20, 7, False),
        "footer": (10, 202, 277, 6, 7, False),
    },
}
PLACEHOLDERS = {"title": "Title", "subtitle": "Subtitle", "notes": "Method and disclosure notes",
                "sources": "Sources and licences", "footer": "Organisation · date"}


def text_format(size_pt: float, bold: bool) -> QgsTextFormat:
    fmt = QgsTextFormat()
    font = QFont("DejaVu Sans")
    font.setBold(bold)
    fmt.setFont(font)
    fmt.setSize(size_pt)
    fmt.setSizeUnit(Qgis.RenderUnit.Points)
    fmt.setColor(QColor(20, 20, 20))
    return fmt


def build(project: QgsProject, paper: str, orientation: str) -> QgsPrintLayout:
    scale = math.sqrt(2) if paper == "A3" else 1.0
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.setName(f"Evidence map {paper} {orientation}")
    page = layout.pageCollection().page(0)
    page.setPageSize(paper, QgsLayoutItemPage.Orientation.Portrait if orientation == "portrait"
                     else QgsLayoutItemPage.Orientation.Landscape)

    def place(item, box):
        x, y, w, h = (v * scale for v in box[:4])
        item.attemptMove(QgsLayoutPoint(x, y, Qgis.LayoutUnit.Millimeters))
        item.attemptResize(QgsLayoutSize(w, h, Qgis.LayoutUnit.Millimeters))

    boxes = BOXES[orientation]
    map_item = QgsLayoutItemMap(layout)
    map_item.setId("map")
    map_item.setFrameEnabled(True)
    map_item.setFrameStrokeWidth(QgsLayoutMeasurement(0.3, Qgis.LayoutUnit.Millimeters))
    layout.addLayoutItem(map_item)
    place(map_item, boxes["map"])

    for key in ("title", "subtitle", "notes", "sources", "footer"):
        label = QgsLayoutItemLabel(layout)
        label.setId(key)
        label.setText(PLACEHOLDERS[key])
        size, bold = boxes[key][4], boxes[key][5]
        label.setTextFormat(text_format(size * scale, bold))
        label.setVAlign(Qt.AlignmentFlag.AlignTop)
        label.setMode(QgsLayoutItemLabel.Mode.ModeFont)
        layout.addLayoutItem(label)
        place(label, boxes[key])

    legend = QgsLayoutItemLegend(layout)
    legend.setId("legend")
    legend.setTitle("Legend")
    legend.setLinkedMap(map_item)
    legend.setAutoUpdateModel(False)
    legend.setResizeToContents(False)
    legend.setFrameEnabled(False)
    layout.addLayoutItem(legend)
    place(legend, boxes["legend"])

    scalebar = QgsLayoutItemScaleBar(layout)
    scalebar.setId("scalebar")
    scalebar.setStyle("Single Box")
    scalebar.setLinkedMap(map_item)
    layout.addLayoutItem(scalebar)
    place(scalebar, boxes["scalebar"])

    arrow = QgsLayoutItemPicture(layout)
    arrow.setId("north_arrow")
    arrow.setLinkedMap(map_item)
    arrow.setNorthMode(QgsLayoutItemPicture.NorthMode.GridNorth)
    arrow.setBackgroundEnabled(True)
    arrow.setBackgroundColor(QColor(255, 255, 255, 200))
    layout.addLayoutItem(arrow)
    place(arrow, boxes["north_arrow"])
    return layout


def main() -> int:
    app = QgsApplication([], False)
    app.initQgis()
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    os.makedirs(out, exist_ok=True)
    project = QgsProject()  # kept alive while its layouts exist
    keep = []
    for paper in ("A4", "A3"):
        for orientation in ("portrait", "landscape"):
            layout = build(project, paper, orientation)
            keep.append(layout)
            path = os.path.join(out, f"evidence_{paper.lower()}_{orientation}.qpt")
            if not layout.saveAsTemplate(path, QgsReadWriteContext()):
                print(f"could not write {path}", file=sys.stderr)
                return 1
            print(path)
    sys.stdout.flush()
    os._exit(0)  # skip Qt/QGIS teardown of the layouts (it can crash at exit)


if __name__ == "__main__":
    sys.exit(main())
