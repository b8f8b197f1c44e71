"""The evidence pack's HTML twin: self-contained and offline, headings in order, alt text on
every picture, real tables, checked with axe-core (pinned in tests/a11y, installed with
``npm ci --prefix tests/a11y``) run inside Debian's headless chromium: zero violations."""
import html as html_lib
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from conftest import REPO
from findings_helpers import make_findings_data

AXE = REPO / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def pack_html(plugin, real_data, tmp_path_factory):
    from qgis import processing

    def run_alg(alg, params, **kw):
        return processing.run(alg, params, **kw)

    folder = tmp_path_factory.mktemp("html")
    findings, _, _ = make_findings_data(real_data, folder / "data", run_alg)
    results = processing.run("joinedup:evidencepack", {
        "INPUT": str(folder / "data" / "now.gpkg"), "FIELD": "population", "NAME_FIELD": "name", "DPI": 60,
        "TITLE": "Where people live", "ORGANISATION": "City data office",
        "FINDINGS_FILE": str(folder / "data" / "findings.json"), "OUTPUT": str(folder / "pack.pdf")})
    page = folder / "pack.html"
    assert results["OUTPUT_HTML"] == str(page)  # beside the PDF by default
    return page, findings


class Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings, self.images, self.tables, self.fetches, self.scripts = [], [], 0, [], 0
        self._in_heading = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self._in_heading = [int(tag[1]), ""]
        if tag == "img":
            self.images.append(attrs)
        if tag == "table":
            self.tables += 1
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href", "poster", "data"):
            value = attrs.get(key) or ""
            if value and not value.startswith(("data:", "#")):
                self.fetches.append(value)
        if tag == "link":
            self.fetches.append(str(attrs))

    def handle_data(self, data):
        if self._in_heading is not None:
            self._in_heading[1] += data

    def handle_endtag(self, tag):
        if self._in_heading is not None and tag == f"h{self._in_heading[0]}":
            self.headings.append(tuple(self._in_heading))
            self._in_heading = None


def test_html_is_self_contained_with_headings_in_order_and_alt_text(pack_html):
    page, findings = pack_html
    outline = Outline()
    text = page.read_text(encoding="utf-8")
    outline.feed(text)
    assert outline.fetches == [] and outline.scripts == 0  # nothing to fetch, nothing to run
    assert "url(" not in text and "@import" not in text
    levels = [level for level, _ in outline.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:]))  # no level skipped
    titles = [title for _, title in outline.headings]
    for number, finding in enumerate(findings["findings"], start=1):
        assert f"Finding {number}. {finding['title']}" in titles
    assert outline.images and all(len(img.get("alt", "")) > 40 for img in outline.images)
    assert all(img["src"].startswith("data:image/png;base64,") for img in outline.images)
    assert outline.tables >= len(findings["findings"]) + 1
    readable = html_lib.unescape(text.split('id="section-')[0] + text.split("Provenance</h2>")[0])
    for raw in ("gap_now", "population", "point_count", "gi_class"):
        assert raw not in re.sub(r"<[^>]+>", " ", readable), raw


def _axe_violations(page, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (apt-get install --no-install-recommends chromium)"
    assert AXE.is_file(), "axe-core is needed: npm ci --prefix tests/a11y"
    runner = ("<script>" + AXE.read_text(encoding="utf-8") + "</script><script>"
              "axe.run(document, {resultTypes: ['violations']}).then(function (r) {"
              "  var out = document.createElement('pre'); out.id = 'axe-result';"
              "  out.textContent = JSON.stringify(r.violations.map(function (v) {"
              "    return {id: v.id, impact: v.impact, help: v.help,"
              "            nodes: v.nodes.map(function (n) { return n.target; })}; }));"
              "  document.body.appendChild(out);"
              "}).catch(function (e) { var out = document.createElement('pre'); out.id = 'axe-result';"
              "  out.textContent = JSON.stringify([{id: 'axe-error', help: String(e)}]);"
              "  document.body.appendChild(out); });</script>")
    checked = tmp_path / "checked.html"
    checked.write_text(page.read_text(encoding="utf-8").replace("</body>", runner + "</body>"),
                       encoding="utf-8")
    done = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           "--virtual-time-budget=30000", "--dump-dom", checked.as_uri()],
                          capture_output=True, text=True, timeout=300)
    found = re.search(r'<pre id="axe-result">(.*?)</pre>', done.stdout, re.S)
    assert found, f"axe did not report (chromium exit {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(html_lib.unescape(found.group(1)))


def test_html_has_no_accessibility_violations_in_a_real_browser(pack_html, tmp_path):
    page, _ = pack_html
    violations = _axe_violations(page, tmp_path)
    assert violations == [], json.dumps(violations, indent=1)[:4000]


def test_axe_in_chromium_does_find_a_violation(tmp_path):
    """The check can fail: an image without alt text and a skipped heading level."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
                    '<h1>A</h1><img src="data:image/png;base64,iVBORw0KGgo="></main></body></html>')
    ids = {v["id"] for v in _axe_violations(page, tmp_path)}
    assert "image-alt" in ids
