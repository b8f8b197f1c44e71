"""Every text of the evidence pack fits its frame: each label's text, wrapped by Qt at the
label's width in the label's font, is no taller than the label; each table's frames hold all
its rows. Checked on the saved project (.qgz) of a pack made of findings, so what a planner
reopens is what is checked. The pages are also rendered to .build/artefacts/ to be looked at."""
import pytest
from conftest import REPO
from findings_helpers import make_findings_data

MM_PER_PT = 25.4 / 72.0


@pytest.fixture(scope="module")
def pack_project(plugin, real_data, tmp_path_factory):
    from qgis import processing

    folder = tmp_path_factory.mktemp("fit")
    make_findings_data(real_data, folder / "data", lambda alg, params, **kw: processing.run(alg, params, **kw))
    results = processing.run("joinedup:evidencepack", {
        "INPUT": str(folder / "data" / "now.gpkg"), "FIELD": "population", "NAME_FIELD": "name", "DPI": 60,
        "TITLE": "Where people live, and where incidents concentrate in the sample city's central zones",
        "UNITS": "residents per zone",  # a long legend title: "Residents (residents per zone)"
        "ORGANISATION": "City data office", "FINDINGS_FILE": str(folder / "data" / "findings.json"),
        "OUTPUT": str(folder / "pack.pdf"), "OUTPUT_PROJECT": str(folder / "pack.qgz")})
    return results


def _needed_height_mm(label) -> float:
    """Qt's own word wrap of the label's text in its font at its width (font sized in
    pixels, 10 per point, so no screen resolution enters)."""
    from qgis.PyQt.QtCore import QRectF, Qt
    from qgis.PyQt.QtGui import QFont, QFontMetricsF

    fmt = label.textFormat()
    font = QFont(fmt.font())
    font.setPixelSize(int(round(fmt.size() * 10)))
    width_mm = label.rect().width() - 2 * label.marginX()
    width_px = width_mm / MM_PER_PT * 10
    box = QFontMetricsF(font).boundingRect(QRectF(0, 0, width_px, 1e7),
                                           int(Qt.TextFlag.TextWordWrap), label.currentText())
    return box.height() / 10 * MM_PER_PT + 2 * label.marginY()


def _word_width_mm(word, fmt) -> float:
    from qgis.PyQt.QtGui import QFont, QFontMetricsF

    font = QFont(fmt.font())
    font.setPixelSize(int(round(fmt.size() * 10)))
    return QFontMetricsF(font).horizontalAdvance(word) / 10 * MM_PER_PT


def test_every_label_fits_and_every_table_shows_all_rows(pack_project, tmp_path):
    from qgis.core import QgsLayoutItemLabel, QgsLayoutItemManualTable, QgsProject

    project = QgsProject()
    assert project.read(pack_project["OUTPUT_PROJECT"])
    layers = list(project.mapLayers().values())
    assert layers and all(layer.isValid() for layer in layers)  # the project reopens whole
    layouts = project.layoutManager().printLayouts()
    assert len(layouts) == 1
    layout = layouts[0]
    labels = [i for i in layout.items() if isinstance(i, QgsLayoutItemLabel) and i.currentText().strip()]
    assert len(labels) > 30
    too_small = []
    for label in labels:
        need = _needed_height_mm(label)
        if need > label.rect().height() + 0.5:
            too_small.append((label.id() or label.currentText()[:40], round(need, 1),
                              round(label.rect().height(), 1)))
    assert too_small == [], too_small
    tables = [m for m in layout.multiFrames() if isinstance(m, QgsLayoutItemManualTable)]
    assert tables
    for table in tables:
        shown = sum(frame.rect().height() for frame in table.frames())
        assert shown + 0.5 >= table.totalSize().height(), table.frames()[0].id()
        assert table.totalSize().width() <= table.frames()[0].rect().width() + 0.5, table.frames()[0].id()
        # no word wider than its column (a word that cannot wrap would be cut off)
        cell_font = table.contentTextFormat()
        header_font = table.headerTextFormat()
        rows = [[c.content() for c in row] for row in table.tableContents()]
        for i, column in enumerate(table.headers()):
            room = table.columnWidths()[i] if table.columnWidths() else column.width()
            for text, fmt in [(column.heading(), header_font)] + [(row[i], cell_font) for row in rows]:
                widest = max((_word_width_mm(word, fmt) for word in str(text).split()), default=0)
                assert widest <= room + 0.3, (table.frames()[0].id(), text, widest, room)
    _scale_bar_labels_stand_apart(layout)
    _legends_fit_their_boxes(layout)
    # the pages, rendered for a person to look at
    from qgis.core import QgsLayoutExporter

    out = REPO / ".build" / "artefacts" / "evidence_pack"
    out.mkdir(parents=True, exist_ok=True)
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = 60
    assert QgsLayoutExporter(layout).exportToImage(str(out / "page.png"), settings) == \
        QgsLayoutExporter.ExportResult.Success
    project.clear()


def _scale_bar_labels_stand_apart(layout):
    """Every scale bar's labels (centred on the ticks, as QGIS draws them) are narrower than
    the space between ticks: the segment's length on paper from the linked map's own scale,
    the labels' widths from Qt in the bar's font."""
    from qgis.core import Qgis, QgsLayoutItemScaleBar, QgsUnitTypes

    bars = [i for i in layout.items() if isinstance(i, QgsLayoutItemScaleBar)]
    assert bars
    for bar in bars:
        metres = bar.unitsPerSegment() * QgsUnitTypes.fromUnitToUnitFactor(bar.units(), Qgis.DistanceUnit.Meters)
        segment_mm = metres * 1000.0 / bar.linkedMap().scale()
        ticks = [f"{k * bar.unitsPerSegment():,g}" for k in range(bar.numberOfSegments() + 1)]
        ticks[-1] += " " + bar.unitLabel()
        widths = [_word_width_mm(t, bar.textFormat()) for t in ticks]
        closest = min(segment_mm - (a + b) / 2 for a, b in zip(widths, widths[1:], strict=False))
        assert closest >= 1.0, (bar.id(), ticks, round(segment_mm, 1), [round(w, 1) for w in widths])


def _legends_fit_their_boxes(layout):
    """Every legend fits its box (the template's box is fixed: the notes sit beside it): QGIS's
    own legend renderer's minimum size, and every title line measured by Qt."""
    from qgis.core import (
        QgsLayoutItemLegend,
        QgsLayoutUtils,
        QgsLegendRenderer,
        QgsLegendStyle,
        QgsTextFormat,
    )

    legends = [i for i in layout.items() if isinstance(i, QgsLayoutItemLegend)]
    assert legends
    for legend in legends:
        context = QgsLayoutUtils.createRenderContextForLayout(layout, None)
        need = QgsLegendRenderer(legend.model(), legend.legendSettings()).minimumSize(context)
        assert need.height() <= legend.rect().height() + 0.3, (legend.title(), need.height())
        assert need.width() <= legend.rect().width() + 0.3, (legend.title(), need.width())
        style = legend.style(QgsLegendStyle.Style.Title)  # kept: its text format is a reference
        fmt = QgsTextFormat(style.textFormat())
        room = legend.rect().width() - 2 * legend.boxSpace()
        for line in legend.title().split("\n"):
            assert _word_width_mm(line, fmt) <= room + 0.3, (legend.title(), round(room, 1))
