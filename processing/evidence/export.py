"""Export and save: PDF, PNG, atlas PDF and the project, with every QGIS export error in words.
"""
from __future__ import annotations

import datetime as _dt
import os
import tempfile

from qgis.core import (
    Qgis,
    QgsLayoutExporter,
    QgsProcessingException,
)

EXPORT_ERRORS = {
    QgsLayoutExporter.ExportResult.Canceled: "the export was cancelled",
    QgsLayoutExporter.ExportResult.MemoryError: "not enough memory to render the layout "
                                                "(try a lower DPI or a smaller paper size)",
    QgsLayoutExporter.ExportResult.FileError: "the file could not be written (is the folder "
                                              "writable and the file not open in another program?)",
    QgsLayoutExporter.ExportResult.PrintError: "the printer/PDF engine failed",
    QgsLayoutExporter.ExportResult.SvgLayerError: "an SVG layer could not be written",
    QgsLayoutExporter.ExportResult.IteratorError: "the atlas could not iterate over the "
                                                  "coverage layer's features",
}


def check_writable(path: str, what: str) -> None:
    """Raise a clear QgsProcessingException unless ``path`` can be written."""
    if not path:
        return
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        raise QgsProcessingException(f"Cannot write the {what} {path}: the folder {folder} does "
                                     "not exist.")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise QgsProcessingException(f"Cannot write the {what} {path}: no permission to write "
                                     "there. Choose another folder.")


def today() -> str:
    return _dt.date.today().isoformat()


def _raise_export(result, what: str, path: str, exporter=None):
    if result == QgsLayoutExporter.ExportResult.Success:
        return
    detail = EXPORT_ERRORS.get(result, f"error code {int(result)}")
    extra = ""
    if exporter is not None and exporter.errorMessage():
        extra = f" ({exporter.errorMessage()})"
    raise QgsProcessingException(f"Could not export the {what} to {path}: {detail}{extra}.")


def export_pdf(layout, path: str, dpi: float) -> None:
    check_writable(path, "PDF")
    exporter = QgsLayoutExporter(layout)
    settings = QgsLayoutExporter.PdfExportSettings()
    settings.dpi = float(dpi)
    settings.textRenderFormat = Qgis.TextRenderFormat.AlwaysText  # searchable, accessible text
    settings.rasterizeWholeImage = False
    settings.forceVectorOutput = False
    settings.appendGeoreference = True
    settings.exportMetadata = True
    result = exporter.exportToPdf(path, settings)
    _raise_export(result, "layout as PDF", path, exporter)


def export_atlas_pdf(layout, path: str, dpi: float, feedback=None) -> int:
    """Export the layout's atlas into one multi-page PDF; returns the number of pages."""
    check_writable(path, "atlas PDF")
    atlas = layout.atlas()
    settings = QgsLayoutExporter.PdfExportSettings()
    settings.dpi = float(dpi)
    settings.textRenderFormat = Qgis.TextRenderFormat.AlwaysText
    result, error = QgsLayoutExporter.exportToPdf(atlas, path, settings)
    if result != QgsLayoutExporter.ExportResult.Success:
        detail = EXPORT_ERRORS.get(result, f"error code {int(result)}")
        raise QgsProcessingException(f"Could not export the atlas to {path}: {detail}"
                                     f"{' (' + error + ')' if error else ''}.")
    return atlas.count()


def export_png(layout, path: str, dpi: float, page: int = 0) -> str:
    """Export one page as PNG; returns the written file's path."""
    check_writable(path, "PNG")
    exporter = QgsLayoutExporter(layout)
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = float(dpi)
    settings.pages = [page]
    settings.generateWorldFile = False
    result = exporter.exportToImage(path, settings)
    _raise_export(result, "layout as PNG", path, exporter)
    if not os.path.exists(path):  # single-page exports keep the name; others get a suffix
        root, ext = os.path.splitext(path)
        alt = f"{root}_{page + 1}{ext}"
        if os.path.exists(alt):
            os.replace(alt, path)
    return path


def save_project(project, path: str) -> None:
    check_writable(path, "project")
    project.setFileName(path)
    if not project.write(path):
        raise QgsProcessingException(f"Could not save the project {path}: {project.error()}")


def data_dir_for(project_path: str, fallback_dir: str) -> str:
    if project_path:
        root = os.path.splitext(os.path.abspath(project_path))[0]
        return root + "_data"
    return fallback_dir or tempfile.mkdtemp(prefix="joinedup-layout-")
