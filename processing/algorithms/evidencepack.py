"""joinedup:evidencepack — one multi-page PDF: cover, findings, map, charts, method and
sources, provenance."""
from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
)

from ..base import JoinedUpAlgorithm


class EvidencePack(JoinedUpAlgorithm):
    ALG_ID = "evidencepack"
    DISPLAY_NAME = "Evidence pack (multi-page PDF)"
    GROUP = "evidence"
    ICON = "evidencepack"
    TAGS = "report,pdf,pack,evidence,provenance,summary,chart,table,mayor,decision"
    HELP = (
        "Makes one multi-page A4 PDF for a decision-maker from a layer of areas (INPUT) and the "
        "numeric FIELD that ranks them (e.g. a priority index):\n"
        "1. cover: title, subtitle, organisation, date, a short plain-language summary and the "
        "disclosure-control statement;\n"
        "2. summary of findings: statistics and a table of the TOP_N areas (highest first, or "
        "lowest with LOWEST_FIRST) named by NAME_FIELD, with their map class;\n"
        "3. the map: the same print layout as joinedup:evidencemap (legend, scale bar, north "
        "arrow, sources, method notes);\n"
        "4. charts: the distribution of FIELD with the class breaks, and the top areas as "
        "ranked bars (needs matplotlib; without it the page says so);\n"
        "5. method, sources and licences, disclosure control;\n"
        "6. provenance: every step in the PROVENANCE file (written by joinedup:evidencemap, "
        "scripts/provenance.py after a qgis_process step, or any algorithm) and this pack's own "
        "inputs, each with feature counts, CRS, file hash and date. The pack appends its own step "
        "to that file. The provenance table continues on extra pages as needed.\n\n"
        "Nulls: areas whose FIELD is null or not a number are left out of the ranking, the "
        "charts and the classification, and counted in the text. A layer with no features or no "
        "values stops with a message. OUTPUT_PROJECT saves the pack's layout in a new QGIS "
        "project; the open project is never changed.\n\n"
        "FINDINGS_FILE (JSON, docs/evidence.md) adds one section per finding after the charts: a map "
        "page and a page with a plain-language paragraph whose numbers are computed from the data, "
        "the analyst's note and a table. Kinds: ranking (with rank ranges), before_after, options "
        "(what each extra site buys), hotspots, network_segments, rounds (vehicle rounds against today's: "
        "visits a day, km and hours saved), counts_table (counts per area, "
        "never addresses). Every count of people or events is printed through disclosure control "
        "(threshold 10, secondary suppression) and the pack says what was hidden. Fields are named "
        "by their labels (the file's table or field aliases), never by raw names.\n"
        "OUTPUT_HTML (default: beside the PDF, .html): the same pack as one self-contained, offline, "
        "accessible web page (headings in order, alt text, real tables).")

    def flags(self):
        return super().flags() | Qgis.ProcessingAlgorithmFlag.NoThreading

    def initAlgorithm(self, config=None):  # noqa: N802
        from ..evidence_layout import add_map_parameters


        self.add_parameter(QgsProcessingParameterVectorLayer("INPUT", self.tr("Areas (or features) to report on"),
                                              [QgsProcessing.SourceType.TypeVectorAnyGeometry]),
            "The layer whose FIELD the pack reports: mapped, ranked and charted.")
        self.add_parameter(QgsProcessingParameterField("FIELD", self.tr("Field to report"), parentLayerParameterName="INPUT",
                                        type=QgsProcessingParameterField.DataType.Numeric),
            "A numeric field of INPUT, e.g. a priority index or a rate.")
        self.add_parameter(QgsProcessingParameterField("NAME_FIELD", self.tr("Name field"), parentLayerParameterName="INPUT",
                                        optional=True),
            "Optional: the field naming each area in the table and the chart; default 'Feature N' "
            "(its position in the layer).")
        self.add_parameter(QgsProcessingParameterNumber("TOP_N", self.tr("Number of areas in the summary"),
                                         QgsProcessingParameterNumber.Type.Integer, 10, False, 1, 50),
            "How many of the highest (or lowest) areas the summary table and the bar chart show.")
        self.add_parameter(QgsProcessingParameterBoolean("LOWEST_FIRST", self.tr("Rank lowest values first"), False),
            "Rank the areas from the lowest value (e.g. when FIELD is an access score, low = need).")
        self.add_parameter(QgsProcessingParameterString("FINDINGS", self.tr("Findings (your words)"), "", optional=True,
                                         multiLine=True),
            "Optional: your own summary of findings, printed on the cover after the automatic one.")
        self.add_parameter(QgsProcessingParameterFile("FINDINGS_FILE", self.tr("Findings file (JSON)"),
                                       QgsProcessingParameterFile.Behavior.File, "json", optional=True),
            "Optional: a JoinedUp findings file (docs/evidence.md) listing findings, each a layer, "
            "a field or measure, a kind (ranking, before_after, hotspots, network_segments, rounds, "
            "counts_table), a plain title and an optional sentence of your own, plus a table of "
            "human labels and units for fields. Each finding gets a map page and a page with a "
            "paragraph of numbers computed from the data and a table. Counts are printed only "
            "through disclosure control (threshold 10, secondary suppression). Layer paths are "
            "relative to the file. A field with no label (in the file or as a field alias) stops "
            "the pack: raw field names are never printed.")
        add_map_parameters(self)
        self.add_parameter(QgsProcessingParameterFile("PROVENANCE", self.tr("Provenance file (JSON)"),
                                       QgsProcessingParameterFile.Behavior.File, "json", optional=True),
            "Optional: a JoinedUp provenance file (out/provenance.json) whose steps are printed; "
            "this pack's step is appended to it.")
        self.add_parameter(QgsProcessingParameterNumber("DPI", self.tr("Resolution (DPI)"),
                                         QgsProcessingParameterNumber.Type.Integer, 200, False, 50, 600),
            "Dots per inch for charts and rasterised parts of the PDF.", True)
        self.add_parameter(QgsProcessingParameterFileDestination("OUTPUT", self.tr("Evidence pack (PDF)"), "PDF files (*.pdf)"),
            "The multi-page PDF.")
        page = QgsProcessingParameterFileDestination("OUTPUT_HTML", self.tr("Accessible web page (HTML)"),
                                                     "HTML files (*.html)", optional=True)
        page.setCreateByDefault(False)
        self.add_parameter(page,
            "Optional: the same pack as one self-contained HTML page for screen readers and "
            "zoom (WCAG 2.2 AA): headings in order, alt text for every map and chart, real "
            "tables, no script and nothing fetched (pictures are inline). Default: beside the "
            "PDF, with the same name and .html.")
        qgz = QgsProcessingParameterFileDestination("OUTPUT_PROJECT", self.tr("QGIS project with the pack's layout"),
                                                    "QGIS projects (*.qgz)", optional=True)
        qgz.setCreateByDefault(False)
        self.add_parameter(qgz, "Optional: a new QGIS project holding the pack's layout and styled layers.")
        self.addOutput(QgsProcessingOutputNumber("PAGES", self.tr("Pages in the PDF")))
        self.addOutput(QgsProcessingOutputNumber("STEPS", self.tr("Provenance steps printed")))
        self.addOutput(QgsProcessingOutputNumber("FINDINGS", self.tr("Findings printed")))

    def execute(self, parameters, context, feedback):
        import os

        from qgis.core import QgsProject

        from ...engine.provenance import now_utc
        from .. import evidence_layout as el

        started = now_utc()
        pdf = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        qgz = self.parameterAsFileOutput(parameters, "OUTPUT_PROJECT", context) \
            if parameters.get("OUTPUT_PROJECT") else ""
        page = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context) \
            if parameters.get("OUTPUT_HTML") else os.path.splitext(pdf)[0] + ".html"
        for path, what in ((pdf, "evidence pack PDF"), (qgz, "project"), (page, "web page")):
            el.check_writable(path, what)
        req = el.MapRequest(self, parameters, context)
        project = QgsProject()
        try:
            return self._make(parameters, context, feedback, el, req, project, pdf=pdf, qgz=qgz,
                              page=page, started=started)
        finally:
            project.clear()  # on the main thread, in QGIS's order

    def _make(self, parameters, context, feedback, el, req, project, *, pdf, qgz, page, started):
        import os

        from qgis.core import QgsProcessingUtils

        from ...engine import evidence as ev
        from ...engine import findings as fd
        from ...engine import provenance as pv
        from ...engine.classify import auto_decimals, format_number
        from ...engine.errors import EngineError
        from ..provenance import make_step

        dpi = self.parameterAsInt(parameters, "DPI", context)
        prov_path = self.parameterAsFile(parameters, "PROVENANCE", context)
        steps = pv.read(prov_path)["steps"] if prov_path else []
        cls, labels, gdf = el.classify_request(self, parameters, context, feedback, req, start=0.0, end=0.2)
        values = gdf[req.field]
        name_field = self.parameterAsString(parameters, "NAME_FIELD", context)
        names = gdf[name_field] if name_field and name_field in gdf.columns else [None] * len(gdf)
        highest = not self.parameterAsBool(parameters, "LOWEST_FIRST", context)
        top_n = self.parameterAsInt(parameters, "TOP_N", context)
        summary = ev.summarise(values)
        top = ev.top_areas(values, names, n=top_n, highest=highest)
        decimals = req.decimals if req.decimals >= 0 else auto_decimals(
            list(cls.breaks) + [cls.minimum])
        findings_path = self.parameterAsFile(parameters, "FINDINGS_FILE", context)
        label_table, specs = fd.read_findings(findings_path) if findings_path else ({}, [])
        if findings_path or req.layer.fields().field(req.field).alias():
            req.label = fd.Labels(label_table).with_aliases(el.field_aliases(req.layer)).label(req.field)
            req.units = req.units or fd.Labels(label_table).units(req.field)
            if not self.parameterAsString(parameters, "TITLE", context).strip():
                req.title = f"{req.label} by {req.name}"
        if specs:
            req.disclosure = (
                f"Disclosure control: every count of people or events in this pack went through "
                f"JoinedUp's disclosure control (counts below {fd.THRESHOLD} hidden, with secondary "
                "suppression so that no hidden count can be worked out from totals or neighbours).")
        findings = ev.findings_text(summary, top, field=el.field_label(req).lower(), units=req.units,
                                    highest=highest, decimals=decimals)
        own_words = self.parameterAsString(parameters, "FINDINGS", context).strip()
        cover_text = findings + ("\n\n" + own_words if own_words else "")
        unit = f" {req.units}" if req.units else ""
        stats_text = (f"{summary.n:,} values · minimum {format_number(summary.minimum, decimals)} · "
                      f"lower quartile {format_number(summary.q1, decimals)} · median "
                      f"{format_number(summary.median, decimals)} · mean {format_number(summary.mean, decimals)} · "
                      f"upper quartile {format_number(summary.q3, decimals)} · maximum "
                      f"{format_number(summary.maximum, decimals)}{unit}"
                      + (f" · {summary.n_null:,} without a value" if summary.n_null else ""))
        feedback.setProgress(25)

        project.setTitle(req.title)
        if req.layer.crs().isValid():
            project.setCrs(req.layer.crs())
        work = QgsProcessingUtils.tempFolder(context)
        data_dir = el.data_dir_for(qgz, work)
        layout = el.new_layout(project, req.title + " — evidence pack", *el.PACK_PAPER)
        for _ in range(3):  # cover, summary, map, charts; findings, method, provenance follow
            el.add_page(layout, *el.PACK_PAPER)

        # 1 cover, 2 summary, 3 map, 4 charts, 5 method/sources, 6+ provenance
        el.cover_page(layout, 0, req, cover_text)
        class_label = {i: label for i, label in enumerate(labels)}
        el.summary_page(layout, 1, req, findings, top,
                        {"value": lambda v: format_number(v, decimals),
                         "class": lambda v: class_label[int(cls.classify([v])[0])]},
                        stats_text, highest)
        items = el.build_map_page(project, layout, 2, req, cls, labels, context, data_dir)
        colours = [c.name() for c in el.class_colours(el.color_ramp(req.ramp, req.invert), cls.k)]
        pictures, note = [], ""
        try:
            pictures.append(ev.histogram_chart(values, cls, colours, os.path.join(work, "pack_histogram.png"),
                                               field=el.field_label(req), units=req.units, dpi=dpi))
            pictures.append(ev.ranked_bar_chart(top, cls, colours, os.path.join(work, "pack_ranked.png"),
                                                field=el.field_label(req), units=req.units, dpi=dpi))
        except EngineError as exc:
            note = f"Charts could not be drawn: {exc}"
            feedback.pushWarning(note)
        el.charts_page(layout, 3, pictures, note)
        map_pages = {2}
        results = []
        for number, spec in enumerate(specs, start=1):
            if feedback.isCanceled():
                raise QgsProcessingException("Cancelled.")
            map_page = el.add_page(layout, *el.PACK_PAPER)
            result, class_labels = self._finding(project, layout, map_page, req, spec, label_table, context,
                                                 feedback, data_dir, work)
            el.finding_pages(layout, number, result)
            map_pages.add(map_page)
            results.append((result, map_page, class_labels))
            feedback.setProgress(25 + 35 * number / len(specs))
        atlas, atlas_pages = self._atlas(project, layout, req, findings_path, label_table, context, data_dir,
                                         feedback)
        if specs:  # the method page says what each finding hid
            hidden = [f"{r.title}: {r.suppressed}" for r, _, _ in results if r.suppressed]
            hidden += [f"{atlas.title}: {atlas.suppressed}"] if atlas and atlas.suppressed else []
            req.disclosure += " " + (" ".join(hidden) if hidden else "Nothing needed hiding.")
        method_page = el.add_page(layout, *el.PACK_PAPER)
        inputs_text = "Layers used: " + ", ".join(
            [f"{req.name} ({req.layer.featureCount():,} features)"]
            + [f"{el.display_name(lyr)} ({lyr.featureCount():,} features)" for lyr in req.context_layers])
        method = el.method_text(req, cls).replace("Method: ", "", 1).split("\n")[0]
        method += (" " + atlas.method) if atlas else ""
        el.method_page(layout, method_page, req, method, inputs_text)
        own = make_step(self, parameters, context, started=started, outputs={"OUTPUT": pdf, "OUTPUT_PROJECT": qgz},
                        notes=cls.notes)
        own["step"] = len(steps) + 1
        el.provenance_page(layout, el.add_page(layout, *el.PACK_PAPER), steps + [own])
        el.number_pages(layout, req.footer_text(), skip_footer=map_pages)  # map templates have one
        project.layoutManager().addLayout(layout)
        feedback.setProgress(60)

        el.export_pdf(layout, pdf, dpi)
        pages = layout.pageCollection().pageCount()
        feedback.pushInfo(f"Evidence pack written: {pdf} ({pages} pages, {len(steps) + 1} provenance steps).")
        if qgz:
            el.save_project(project, qgz)
            feedback.pushInfo(f"Project with the pack's layout saved: {qgz}.")
        if prov_path:
            pv.append_step(prov_path, make_step(self, parameters, context, started=started,
                                                outputs={"OUTPUT": pdf, "OUTPUT_PROJECT": qgz},
                                                notes=cls.notes))
            feedback.pushInfo(f"Provenance appended to {prov_path}.")
        feedback.setProgress(100)
        _ = items
        self._web_page(layout, page, req, work=work, dpi=min(dpi, 110), cover_text=cover_text,
                       stats_text=stats_text, top=top, highest=highest, decimals=decimals, labels=labels,
                       charts=pictures, findings=results, method=method, inputs_text=inputs_text,
                       steps=steps + [own], atlas=atlas, atlas_pages=atlas_pages)
        feedback.pushInfo(f"Accessible web page written: {page}.")
        results = {"OUTPUT": pdf, "OUTPUT_HTML": page, "PAGES": pages, "STEPS": len(steps) + 1,
                   "FINDINGS": len(specs)}
        if qgz:
            results["OUTPUT_PROJECT"] = qgz
        return results

    def _finding(self, project, layout, page, req, spec, label_table, context, feedback, data_dir, work):
        """One finding: read its layer(s), compute its paragraph and table (engine), and fill
        its map page. Returns the engine's FindingResult."""
        import numpy as np

        from ...engine import findings as fd
        from ...engine.classify import class_breaks
        from ...engine.hotspots import CLASS_LABELS as hotspot_classes
        from .. import evidence_layout as el

        layer, gdf = el.open_finding_layer(spec.layer, spec.title)
        labels = fd.Labels(label_table).with_aliases(el.field_aliases(layer))
        map_layer, map_gdf, fixed = layer, gdf, None
        if spec.kind == "ranking":
            result = fd.ranking(gdf, spec, labels)
        elif spec.kind == "before_after":
            map_layer, map_gdf = el.open_finding_layer(spec.get("after_layer"), spec.title)
            options = (el.open_finding_layer(spec.get("options_layer"), spec.title)[1]
                       if spec.get("options_layer") else None)
            result = fd.before_after(gdf, map_gdf, spec, labels.with_aliases(el.field_aliases(map_layer)),
                                     options=options)
        elif spec.kind == "hotspots":
            result = fd.hotspots(gdf, spec, labels)
            result.map_field = "gi_bin"
            fixed = el.FixedClasses([(b - 0.5, b + 0.5, text) for b, text in
                                     sorted(hotspot_classes.items())])
        elif spec.kind == "network_segments":
            result = fd.network_segments(gdf, spec, labels)
        elif spec.kind == "options":
            result = fd.options(gdf, spec, labels)
            map_layer, map_gdf = el.open_finding_layer(spec.get("sites_layer"), spec.title)
            ranks = np.nan_to_num(np.asarray(pd_numeric(map_gdf[result.map_field]), dtype=float))
            fixed = el.FixedClasses([(-0.5, 0.5, "Existing site")] + [
                (k - 0.5, k + 0.5, f"New site, chosen {k}{'st' if k == 1 else 'nd' if k == 2 else 'rd' if k == 3 else 'th'}")
                for k in range(1, int(ranks.max()) + 1)])
        elif spec.kind == "rounds":
            _, summary = el.open_finding_layer(spec.get("summary_layer"), spec.title)
            result = fd.rounds(gdf, summary, spec)
        else:  # counts_table
            areas_layer, areas = el.open_finding_layer(spec.get("areas"), spec.title)
            labels = labels.with_aliases(el.field_aliases(areas_layer))
            where = el.area_of_point(gdf, areas)
            result = fd.counts_table(gdf, areas, spec, labels, area_of_point=where)
            map_layer, map_gdf = el.published_counts_layer(areas, result, data_dir, spec.title)
        for message in getattr(result, "log", []):
            feedback.pushInfo(message)
        one = el.finding_request(req, map_layer, result)
        if fixed is None:
            values = map_gdf[result.map_field]
            finite = np.isfinite(np.asarray(pd_numeric(values), dtype=float))
            distinct = np.unique(np.asarray(pd_numeric(values), dtype=float)[finite])
            if len(distinct) >= 2:
                cls = class_breaks(values, method="jenks", n_classes=min(5, len(distinct)), what=result.title)
                class_labels = cls.labels(units=result.map_units)
            else:  # one value everywhere, or none published (all hidden): one class, said plainly
                from ...engine.classify import format_number

                only = float(distinct[0]) if len(distinct) else 0.0
                text = (f"{format_number(only, 0 if only.is_integer() else 2)} {result.map_units}".strip() if len(distinct)
                        else "No value published")
                cls = el.FixedClasses([(only - 0.5, only + 0.5, text)])
                class_labels = cls.labels
                one.method_note = ("One class: every area has the same published value." if len(distinct)
                                   else "One class: no area has a published value (all are hidden or empty).")
        else:
            cls, class_labels = fixed, fixed.labels
            one.ramp, one.invert = "YlOrRd", False
            one.method_note = ("Getis-Ord Gi* hot-spot classes (90, 95 and 99 % confidence), from "
                               "the published counts." if spec.kind == "hotspots" else
                               "Existing sites and the new sites in the order a planner would add them.")
        el.build_map_page(project, layout, page, one, cls, class_labels, context, data_dir)
        return result, class_labels

    @staticmethod
    def _atlas(project, layout, req, findings_path, label_table, context, data_dir, feedback):
        """The atlas section (the findings file's ``atlas``): one page per area. Returns the
        engine's Atlas and ``[(page, map item)]``, or ``(None, [])`` without one."""
        from ...engine import atlas as at
        from ...engine import findings as fd
        from ..evidence import atlas as ea
        from .. import evidence_layout as el
        from ..base import engine_feedback

        spec = at.read_atlas(findings_path) if findings_path else None
        if spec is None:
            return None, []
        layer, gdf = el.open_finding_layer(spec.layer, spec.title)
        atlas = at.profiles(gdf, spec, fd.Labels(label_table).with_aliases(el.field_aliases(layer)))
        feedback.pushInfo(f"{spec.title}: {len(atlas.areas):,} area pages.")
        return atlas, ea.atlas_pages(project, layout, req, atlas, layer, context, data_dir,
                                     engine_feedback(feedback, 0.45, 0.55))

    @staticmethod
    def _web_page(layout, path, req, *, work, dpi, cover_text, stats_text, top, highest, decimals, labels,
                  charts, findings, method, inputs_text, steps, atlas=None, atlas_pages=()):
        """The HTML twin of the PDF: the same texts and tables, the map pages as pictures
        with alt text (engine/pack_html.py)."""
        import os

        from ...engine import pack_html as ph
        from ...engine.classify import format_number
        from .. import evidence_layout as el

        label = el.field_label(req)

        def page_png(page):
            return el.export_png(layout, os.path.join(work, f"pack_page_{page + 1}.png"), dpi, page)

        word = "highest" if highest else "lowest"
        unit = f" ({req.units})" if req.units else ""
        headline = ph.Section(
            "Summary of findings", [stats_text],
            [ph.Picture(page_png(2), ph.map_alt_text(req.title, label, labels,
                                                     extra=f"The {len(top)} {word} areas are listed in the table below."))],
            [(f"The {len(top)} areas with the {word} {label.lower()}", ["Rank", "Area", label + unit],
              [[int(r["rank"]), r["name"], format_number(r["value"], decimals)] for _, r in top.iterrows()])])
        chart_alt = [f"Chart: how many areas have each value of {label.lower()} (a histogram), with the "
                     "map's class breaks as dashed lines. The statistics above give its minimum, quartiles "
                     "and maximum.",
                     f"Chart: the {len(top)} {word} areas by {label.lower()} as bars, {word} at the top; "
                     "the same values are in the table above."]
        headline.pictures += [ph.Picture(p, alt) for p, alt in zip(charts, chart_alt)]
        sections = [headline]
        for number, (result, map_page, class_labels) in enumerate(findings, start=1):
            paragraphs = [result.paragraph]
            if result.note:
                paragraphs.append("Analyst's note: " + result.note)
            if result.suppressed:
                paragraphs.append("Disclosure control: " + result.suppressed)
            extra = ("Areas with a hidden count are not shaded." if result.kind == "counts_table" else
                     "The numbers behind it are in the text and the table.")
            sections.append(ph.Section(
                f"Finding {number}. {result.title}", paragraphs,
                [ph.Picture(page_png(map_page), ph.map_alt_text(result.title, result.map_label or "class",
                                                                class_labels, extra=extra))],
                [(result.table_title or result.title, result.headers, result.rows)]))
        if atlas:
            from ..evidence import atlas as ea

            for area, (_, map_item) in zip(atlas.areas, atlas_pages):
                picture = ea.map_picture(layout, map_item, os.path.join(work, f"atlas_{area.row + 1}.png"),
                                         min(dpi, 60))
                sections.append(ph.Section(
                    f"Area profile: {area.name}", [area.sentence],
                    [ph.Picture(picture, ea.alt_text(area, len(atlas.areas) - 1))],
                    [(f"{area.name} against the city", atlas.headers, area.rows)]))
        sections.append(ph.Section("Method, sources and disclosure control",
                                   [method, req.source_text(), inputs_text, req.disclosure or "None stated."]))
        sections.append(ph.Section("Provenance", ["Every step that produced this evidence, with its "
                                                  "inputs, parameters and outputs."],
                                   tables=[("Steps", ["Step", "Algorithm and time", "Inputs", "Parameters",
                                                      "Outputs"], el.provenance_rows(steps))]))
        ph.write(path, title=req.title, kicker="Evidence pack",
                 byline=" · ".join(p for p in (req.subtitle, req.organisation, req.date) if p),
                 summary=[cover_text], sections=sections, footer=req.footer_text())


def pd_numeric(values):
    import pandas as pd

    return pd.to_numeric(pd.Series(list(values)), errors="coerce").to_numpy(dtype=float, na_value=float("nan"))

