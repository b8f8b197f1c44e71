"""The one place that builds JoinedUp's print layouts, used by ``joinedup:evidencemap`` and
``joinedup:evidencepack`` (and importable as before from ``processing.evidence_layout``):

- ``params``: the parameters both algorithms share, the map request, classification;
- ``style``: colour ramps, the graduated renderer, context styles;
- ``layers``: layers in the run's own project, a finding's layers;
- ``items``: layout items (pages, labels, pictures, tables) and text that fits;
- ``map_page``: the evidence-map template filled, legend and scale bar that fit;
- ``pages``: the pack's cover, summary, charts, method, provenance and finding pages;
- ``atlas``: the pack's atlas section, one page per area;
- ``export``: PDF, PNG and project, with QGIS's export errors in words.

Every layout lives in a NEW ``QgsProject`` made for the run; the user's project
(``QgsProject.instance()``) is never read, written or changed. Layers are re-opened from
their files in that project; a layer that is not a file (a memory layer, a database) is
first copied into a GeoPackage beside the saved project.
"""
