"""The evidence pack assembled: the cover, summary, headline map and charts, a map page and
text pages per finding, the atlas, method and provenance pages, then the PDF, the project and
the accessible HTML twin. ``joinedup:evidencepack``'s ``execute()`` reads the parameters and
calls :func:`make_pack`; the numbers come from the engine (``engine/evidence.py``,
``engine/findings.py``, ``engine/atlas.py``, ``engine/pack.py``).
"""
from __future__ import annotations

import os

from .. import evidence_layout as el


def make_pack(alg, parameters, context, feedback, req, project, *, pdf, qgz, page, started):
    """The whole pack for ``alg`` (joinedup:evidencepack): pages, findings, atlas, method and
    provenance; the PDF, the project and the HTML twin written. Returns the results."""
    from qgis.core import QgsProcessingUtils

    from ...engine import evidence as ev
    from ...engine import findings as fd
    from ...engine import pack as pk
    from ...engine import provenance as pv
    from ...engine.classify import auto_decimals, format_number
    from ...engine.errors import EngineCancelled, EngineError
    from ..provenance import make_step

    dpi = alg.parameterAsInt(parameters, alg.DPI, context)
    prov_path = alg.parameterAsFile(parameters, alg.PROVENANCE, context)
    steps = pv.read(prov_path)["steps"] if prov_path else []
    cls, labels, gdf = el.classify_request(alg, parameters, context, feedback, req, start=0.0, end=0.2)
    values = gdf[req.field]
    name_field = alg.parameterAsString(parameters, alg.NAME_FIELD, context)
    names = gdf[name_field] if name_field and name_field in gdf.columns else [None] * len(gdf)
    highest = not alg.parameterAsBool(parameters, alg.LOWEST_FIRST, context)
    top_n = alg.parameterAsInt(parameters, alg.TOP_N, context)
    summary = ev.summarise(values)
    top = ev.top_areas(values, names, n=top_n, highest=highest)
    decimals = req.decimals if req.decimals >= 0 else auto_decimals(
        list(cls.breaks) + [cls.minimum])
    findings_path = alg.parameterAsFile(parameters, alg.FINDINGS_FILE, context)
    label_table, specs = fd.read_findings(findings_path) if findings_path else ({}, [])
    if findings_path or req.layer.fields().field(req.field).alias():
        req.label = fd.Labels(label_table).with_aliases(el.field_aliases(req.layer)).label(req.field)
        req.units = req.units or fd.Labels(label_table).units(req.field)
        if not alg.parameterAsString(parameters, alg.TITLE, context).strip():
            req.title = f"{req.label} by {req.name}"
    if specs:
        req.disclosure = pk.FINDINGS_DISCLOSURE
    findings = ev.findings_text(summary, top, field=el.field_label(req).lower(), units=req.units,
                                highest=highest, decimals=decimals)
    own_words = alg.parameterAsString(parameters, alg.FINDINGS, context).strip()
    cover_text = findings + ("\n\n" + own_words if own_words else "")
    stats_text = pk.stats_text(summary, decimals, req.units)
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
    el.build_map_page(project, layout, 2, req, cls, labels, context, data_dir)
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
            raise EngineCancelled("Cancelled by the user.")
        map_page = el.add_page(layout, *el.PACK_PAPER)
        result, class_labels = _finding(project, layout, map_page, req, spec, label_table, context,
                                             feedback, data_dir, work)
        el.finding_pages(layout, number, result)
        map_pages.add(map_page)
        results.append((result, map_page, class_labels))
        feedback.setProgress(25 + 35 * number / len(specs))
    atlas, atlas_pages = _atlas(project, layout, req, findings_path, label_table, context, data_dir,
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
    own = make_step(alg, parameters, context, started=started, outputs={alg.OUTPUT: pdf, alg.OUTPUT_PROJECT: qgz},
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
        pv.append_step(prov_path, make_step(alg, parameters, context, started=started,
                                            outputs={alg.OUTPUT: pdf, alg.OUTPUT_PROJECT: qgz},
                                            notes=cls.notes))
        feedback.pushInfo(f"Provenance appended to {prov_path}.")
    feedback.setProgress(100)
    _web_page(layout, page, req, work=work, dpi=min(dpi, 110), cover_text=cover_text,
                   stats_text=stats_text, top=top, highest=highest, decimals=decimals, labels=labels,
                   charts=pictures, findings=results, method=method, inputs_text=inputs_text,
                   steps=steps + [own], atlas=atlas, atlas_pages=atlas_pages)
    feedback.pushInfo(f"Accessible web page written: {page}.")
    results = {alg.OUTPUT: pdf, alg.OUTPUT_HTML: page, alg.PAGES: pages, alg.STEPS: len(steps) + 1,
               alg.FINDINGS: len(specs)}
    if qgz:
        results[alg.OUTPUT_PROJECT] = qgz
    return results



def _finding(project, layout, page, req, spec, label_table, context, feedback, data_dir, work):
    """One finding: read its layer(s), compute its paragraph and table (engine), and fill
    its map page. Returns the engine's FindingResult."""
    from ...engine import findings as fd
    from ...engine import pack as pk

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
        fixed = el.FixedClasses(pk.hotspot_classes())
    elif spec.kind == "network_segments":
        result = fd.network_segments(gdf, spec, labels)
    elif spec.kind == "options":
        result = fd.options(gdf, spec, labels)
        map_layer, map_gdf = el.open_finding_layer(spec.get("sites_layer"), spec.title)
        fixed = el.FixedClasses(pk.site_classes(map_gdf[result.map_field]))
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
        cls, class_labels, note = pk.finding_classes(map_gdf[result.map_field], result.title, result.map_units)
        if note:  # one class: said plainly
            cls, one.method_note = el.FixedClasses(cls), note
    else:
        cls, class_labels = fixed, fixed.labels
        one.ramp, one.invert = "YlOrRd", False
        one.method_note = pk.HOTSPOT_NOTE if spec.kind == "hotspots" else pk.SITES_NOTE
    el.build_map_page(project, layout, page, one, cls, class_labels, context, data_dir)
    return result, class_labels



def _atlas(project, layout, req, findings_path, label_table, context, data_dir, feedback):
    """The atlas section (the findings file's ``atlas``): one page per area. Returns the
    engine's Atlas and ``[(page, map item)]``, or ``(None, [])`` without one."""
    from ...engine import atlas as at
    from ...engine import findings as fd
    from ..base import engine_feedback
    from . import atlas as ea

    spec = at.read_atlas(findings_path) if findings_path else None
    if spec is None:
        return None, []
    layer, gdf = el.open_finding_layer(spec.layer, spec.title)
    atlas = at.profiles(gdf, spec, fd.Labels(label_table).with_aliases(el.field_aliases(layer)))
    feedback.pushInfo(f"{spec.title}: {len(atlas.areas):,} area pages.")
    return atlas, ea.atlas_pages(project, layout, req, atlas, layer, context, data_dir,
                                 engine_feedback(feedback, 0.45, 0.55))



def _web_page(layout, path, req, *, work, dpi, cover_text, stats_text, top, highest, decimals, labels,
              charts, findings, method, inputs_text, steps, atlas=None, atlas_pages=()):
    """The HTML twin of the PDF: the same texts and tables, the map pages as pictures
    with alt text (engine/pack_html.py)."""
    from ...engine import pack_html as ph
    from ...engine.classify import format_number

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
    headline.pictures += [ph.Picture(p, alt) for p, alt in zip(charts, chart_alt, strict=False)]
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
        from . import atlas as ea

        for area, (_, map_item) in zip(atlas.areas, atlas_pages, strict=True):
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

