"""``joinedup:checkenvironment``: which of JoinedUp's Python packages this QGIS can import."""
from __future__ import annotations

from qgis.core import QgsProcessingOutputString

from ..base import JoinedUpAlgorithm


class CheckEnvironment(JoinedUpAlgorithm):
    ALG_ID = "checkenvironment"
    DISPLAY_NAME = "Check JoinedUp's Python packages"
    GROUP = "setup"
    ICON = "checkenvironment"
    TAGS = "install,dependencies,packages,versions,geopandas,shapely,setup"
    HELP = (
        "Checks that the Python packages JoinedUp's analysis needs can be imported in this "
        "QGIS (geopandas >= 1.0, shapely >= 2.0, pyogrio, networkx >= 3.0, scipy, rasterio, "
        "numpy, pyproj, matplotlib) and lists their versions with QGIS's, GDAL's and Python's. "
        "It then proves they work, not just import, with small uses whose answers are known: "
        "pyproj turns a British National Grid point into longitude/latitude, shapely intersects "
        "two shapes, and pyogrio writes and reads back a GeoPackage. A package that imports but "
        "fails these (a wrong build, or a binary wheel clashing with QGIS's own GEOS, GDAL or "
        "PROJ) is named in the message.\n\n"
        "It has no parameters. When a package is missing it stops with the message that says "
        "what to install and how (Windows: from the OSGeo4W Shell; Linux; macOS), the same "
        "message every JoinedUp algorithm gives.\n\n"
        "Output: REPORT, a text with one line per package (also written to the log). The "
        "optional packages are listed too: pyarrow makes reading layers faster, and "
        "uk_address_matcher is needed by 'Link addresses to UPRNs' only.")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addOutput(QgsProcessingOutputString("REPORT", self.tr("Package report")))

    def execute(self, parameters, context, feedback):
        import importlib
        import sys

        from qgis.core import Qgis
        from osgeo import gdal

        from ...plugin.dependencies import OPTIONAL, REQUIRED

        lines = [f"QGIS {Qgis.version()}", f"GDAL {gdal.__version__} (QGIS)",
                 f"Python {sys.version.split()[0]}"]
        for module, _pip, minimum in REQUIRED + (("pyarrow", "pyarrow", None),):
            try:
                version = getattr(importlib.import_module(module), "__version__", "?")
            except Exception:
                version = "not installed (optional)" if module == "pyarrow" else "missing"
            need = f" (needs >= {minimum})" if minimum else ""
            lines.append(f"{module} {version}{need}")
        try:
            import pyogrio

            lines.append(f"GDAL {pyogrio.__gdal_version_string__} (pyogrio)")
        except Exception:
            pass
        # optional packages, by their installed metadata: importing the address matcher would
        # load DuckDB, which only the linkage algorithm cleans up after
        from importlib import metadata

        for _module, pip_name, minimum, algorithms in OPTIONAL:
            try:
                version = metadata.version(pip_name)
            except metadata.PackageNotFoundError:
                version = "not installed (optional)"
            need = f" (needs >= {minimum})" if minimum else ""
            lines.append(f"{pip_name} {version}{need}, for {', '.join('joinedup:' + a for a in algorithms)}")
        lines.append("working: pyproj (EPSG:27700 to EPSG:4326), shapely (intersection), "
                     "pyogrio (GeoPackage written and read back)")
        for line in lines:
            feedback.pushInfo(line)
        return {"REPORT": "\n".join(lines)}
