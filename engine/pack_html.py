"""The evidence pack as one self-contained, offline HTML page (QGIS-free): the same findings
as the PDF, for readers who use a screen reader, zoom or their own colours.

Accessibility choices (WCAG 2.2 AA): a language, one ``h1`` then ``h2`` per section and
``h3`` per table (no level skipped); every picture has alt text that says what it shows and
its main numbers; tables are real tables with a caption and column headers; meaning is never
carried by colour alone (the maps' classes are named in their alt text, and every mapped
number is in a table or the text); text contrast at least 7:1; no script, no fetched file
(pictures are inline ``data:`` URIs), so the page works offline and cannot call out.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field

STYLE = """
body{font-family:"DejaVu Sans",Arial,sans-serif;color:#141414;background:#fff;max-width:60rem;
margin:0 auto;padding:1rem 1.5rem;line-height:1.5}
h1{font-size:1.9rem;margin:.5rem 0}h2{font-size:1.45rem;margin-top:2.5rem;border-top:2px solid #1b4f61;
padding-top:1rem}h3{font-size:1.1rem}
.kicker{color:#0d4a5c;font-weight:bold;letter-spacing:.05em;text-transform:uppercase}
img{max-width:100%;height:auto;border:1px solid #767676}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
caption{text-align:left;font-weight:bold;padding:.25rem 0}
th,td{border:1px solid #767676;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.number{text-align:right;font-variant-numeric:tabular-nums}
.note{border-left:4px solid #1b4f61;padding-left:.75rem}
footer{margin-top:3rem;font-size:.85rem;color:#333}
"""


@dataclass
class Picture:
    path: str
    alt: str
    caption: str = ""


@dataclass
class Section:
    """One section of the page: a heading, paragraphs, pictures and tables."""
    heading: str
    paragraphs: list = field(default_factory=list)
    pictures: list = field(default_factory=list)
    tables: list = field(default_factory=list)  # (caption, headers, rows)


def _data_uri(path: str) -> str:
    with open(path, "rb") as handle:
        return "data:image/png;base64," + base64.b64encode(handle.read()).decode("ascii")


def _is_number(text: str) -> bool:
    t = str(text).replace(",", "").replace(" ", "").replace("%", "").replace("–", "").replace("-", "")
    return t.replace(".", "", 1).isdigit()


def _table(caption: str, headers, rows) -> str:
    out = [f"<table><caption>{html.escape(caption)}</caption><thead><tr>"]
    out += [f'<th scope="col">{html.escape(str(h))}</th>' for h in headers]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            text = html.escape(str(value))
            if i == 0:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                cells.append(f'<td class="number">{text}</td>' if _is_number(value) else f"<td>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render(*, title: str, kicker: str, byline: str, summary: list, sections: list, footer: str,
           language: str = "en") -> str:
    """The page's HTML text."""
    parts = ["<!DOCTYPE html>", f'<html lang="{html.escape(language)}">', "<head>",
             '<meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{html.escape(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
             "<header>", f'<p class="kicker">{html.escape(kicker)}</p>', f"<h1>{html.escape(title)}</h1>"]
    if byline:
        parts.append(f"<p>{html.escape(byline)}</p>")
    parts.append("</header>")
    parts.append("<main>")
    if summary:
        parts.append('<section aria-labelledby="in-brief"><h2 id="in-brief">In brief</h2>')
        parts += [f"<p>{html.escape(p)}</p>" for p in summary if p]
        parts.append("</section>")
    for number, section in enumerate(sections, start=1):
        anchor = f"section-{number}"
        parts.append(f'<section aria-labelledby="{anchor}"><h2 id="{anchor}">{html.escape(section.heading)}</h2>')
        for paragraph in section.paragraphs:
            css = ' class="note"' if paragraph.startswith(("Analyst's note", "Disclosure control")) else ""
            parts += [f"<p{css}>{html.escape(line)}</p>" for line in paragraph.split("\n") if line.strip()]
        for picture in section.pictures:
            alt = html.escape(picture.alt, quote=True)
            parts.append("<figure>" + f'<img src="{_data_uri(picture.path)}" alt="{alt}">'
                         + (f"<figcaption>{html.escape(picture.caption)}</figcaption>" if picture.caption else "")
                         + "</figure>")
        for caption, headers, rows in section.tables:
            parts.append(f"<h3>{html.escape(caption)}</h3>")
            parts.append(_table(caption, headers, rows))
        parts.append("</section>")
    parts.append("</main>")
    parts.append(f"<footer><p>{html.escape(footer)}</p></footer>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write(path: str, **page) -> str:
    text = render(**page)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def map_alt_text(title: str, label: str, class_labels, *, extra: str = "") -> str:
    """What a choropleth map shows, in words (a screen reader cannot see the colours)."""
    classes = "; ".join(str(c) for c in class_labels)
    text = (f"Map: {title}. Areas are shaded by {label.lower()} in {len(class_labels)} classes, "
            f"lightest to darkest: {classes}. The page has a legend, a scale bar and a north arrow.")
    return text + (" " + extra if extra else "")
