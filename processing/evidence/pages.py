"""The evidence pack's own pages: cover, summary, charts, method, provenance, each finding's
text pages, and the footer and page numbers on every page.
"""
from __future__ import annotations

import os

from qgis.core import (
    QgsLayoutItemLabel,
    QgsLayoutItemManualTable,
)
from qgis.PyQt.QtCore import Qt

from .items import add_label, add_page, add_picture, add_table, column_widths, row_height, shrink_to_fit, text_height
from .params import MapRequest, field_label

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
