"""The evidence map assembled: the template's map page filled for one field (and, with a
coverage layer, a QGIS atlas over it), then the PDF, PNG, project and provenance.
``joinedup:evidencemap``'s ``execute()`` reads the parameters and calls :func:`make_map`.
"""
from __future__ import annotations

from .. import evidence_layout as el


def make_map(alg, parameters, context, feedback, req, cls, labels, project, *, pdf, png, qgz, prov, dpi, started):
    """The evidence map (or its atlas) for ``alg`` (joinedup:evidencemap): the map page filled,
    the PDF, PNG, project and provenance written. Returns the results."""
    import json

    from qgis.core import QgsLayoutItemMap, QgsProcessingUtils

    from ..provenance import record_run

    project.setTitle(req.title)
    if req.layer.crs().isValid():
        project.setCrs(req.layer.crs())
    data_dir = el.data_dir_for(qgz, QgsProcessingUtils.tempFolder(context))
    layout = el.new_layout(project, req.title, req.paper, req.orientation)
    coverage_layer = alg.parameterAsVectorLayer(parameters, alg.COVERAGE, context)
    coverage = None
    suffix = ""
    if coverage_layer is not None:
        coverage = el.project_layer(project, coverage_layer, el.display_name(coverage_layer), data_dir, context)
        el.context_style(coverage)
        if coverage.featureCount() == 0:
            from qgis.core import QgsProcessingException
            raise QgsProcessingException(f"The atlas coverage layer {coverage_layer.name()} has no "
                                         "features: there would be no pages.")
        suffix = " — [% @atlas_pagename %]"
    items = el.build_map_page(project, layout, 0, req, cls, labels, context, data_dir,
                              coverage=coverage, subtitle_suffix=suffix)
    if coverage is not None:
        atlas = layout.atlas()
        atlas.setCoverageLayer(coverage)
        name_field = alg.parameterAsString(parameters, alg.COVERAGE_NAME_FIELD, context)
        if name_field:
            atlas.setPageNameExpression(f'"{name_field}"')
        atlas.setEnabled(True)
        map_item = items["map"]
        map_item.setAtlasDriven(True)
        map_item.setAtlasScalingMode(QgsLayoutItemMap.AtlasScalingMode.Auto)
        map_item.setAtlasMargin(0.10)
    project.layoutManager().addLayout(layout)
    feedback.setProgress(50)

    results = {alg.CLASSES_MADE: cls.k, alg.BREAKS: json.dumps([float(b) for b in cls.breaks])}
    if coverage is not None:
        pages = el.export_atlas_pdf(layout, pdf, dpi)
    else:
        el.export_pdf(layout, pdf, dpi)
        pages = layout.pageCollection().pageCount()
    results[alg.OUTPUT_PDF] = pdf
    results[alg.PAGES] = pages
    feedback.pushInfo(f"PDF written: {pdf} ({pages} page{'s' if pages != 1 else ''}).")
    feedback.setProgress(75)
    if png:
        el.export_png(layout, png, dpi)
        results[alg.OUTPUT_PNG] = png
        feedback.pushInfo(f"PNG written: {png} at {dpi} dpi.")
    if qgz:
        el.save_project(project, qgz)
        results[alg.OUTPUT_PROJECT] = qgz
        feedback.pushInfo(f"Project with the layout saved: {qgz}.")
    if prov:
        record_run(prov, alg, parameters, context, started=started,
                   outputs={k: results.get(k) for k in (alg.OUTPUT_PDF, alg.OUTPUT_PNG, alg.OUTPUT_PROJECT)},
                   notes=cls.notes)
        feedback.pushInfo(f"Provenance appended to {prov}.")
    feedback.setProgress(100)
    return results
