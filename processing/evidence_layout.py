"""The evidence layouts, kept importable from here: the code lives in the package
``processing/evidence/`` (one module per concern; see its ``__init__``)."""
from __future__ import annotations

from .evidence.export import (
    EXPORT_ERRORS,
    check_writable,
    data_dir_for,
    export_atlas_pdf,
    export_pdf,
    export_png,
    save_project,
    today,
)
from .evidence.items import (
    LAYOUT_DIR,
    PAGE_MM,
    PAPER_LABELS,
    PAPERS,
    TABLE_CELL_MARGIN,
    add_label,
    add_page,
    add_picture,
    add_table,
    column_widths,
    new_layout,
    north_arrow_path,
    row_height,
    shrink_to_fit,
    template_path,
    text_format,
    text_height,
    wrap_to_width,
)
from .evidence.layers import (
    area_of_point,
    display_name,
    field_aliases,
    layer_extent,
    open_finding_layer,
    padded,
    project_layer,
    published_counts_layer,
)
from .evidence.map_page import (
    FixedClasses,
    build_map_page,
    finding_request,
    fit_legend,
    fit_scale_bar,
    place_map_page,
    scale_segment,
)
from .evidence.pages import (
    MARGIN,
    PACK_PAPER,
    TEXT_WIDTH,
    charts_page,
    cover_page,
    finding_pages,
    heading,
    method_page,
    number_pages,
    provenance_page,
    provenance_rows,
    summary_page,
)
from .evidence.params import (
    DEFAULT_DISCLOSURE,
    METHOD_KEYS,
    METHOD_LABELS,
    MapRequest,
    add_map_parameters,
    classify_request,
    field_label,
    method_text,
)
from .evidence.style import (
    RAMP_NAMES,
    RAMPS,
    REVERSED_BY_DEFAULT,
    base_symbol,
    class_colours,
    color_ramp,
    context_style,
    graduated_renderer,
)

__all__ = [
    "EXPORT_ERRORS", "check_writable", "today", "export_pdf", "export_atlas_pdf", "export_png",
    "save_project", "data_dir_for", "RAMPS", "RAMP_NAMES", "REVERSED_BY_DEFAULT", "color_ramp",
    "class_colours", "base_symbol", "graduated_renderer", "context_style", "display_name", "project_layer",
    "field_aliases", "open_finding_layer", "area_of_point", "published_counts_layer", "layer_extent",
    "padded", "LAYOUT_DIR", "PAPERS", "PAPER_LABELS", "PAGE_MM", "template_path", "new_layout", "add_page",
    "text_format", "add_label", "add_picture", "TABLE_CELL_MARGIN", "add_table", "north_arrow_path",
    "column_widths", "row_height", "wrap_to_width", "text_height", "shrink_to_fit", "METHOD_KEYS",
    "METHOD_LABELS", "DEFAULT_DISCLOSURE", "add_map_parameters", "MapRequest", "classify_request",
    "field_label", "method_text", "place_map_page", "scale_segment", "fit_scale_bar", "fit_legend",
    "build_map_page", "FixedClasses", "finding_request", "PACK_PAPER", "MARGIN", "TEXT_WIDTH", "heading",
    "cover_page", "summary_page", "charts_page", "method_page", "provenance_rows", "number_pages",
    "provenance_page", "finding_pages",
]
