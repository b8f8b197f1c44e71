"""``joinedup:checkenvironment``: which of JoinedUp's Python packages this QGIS can import."""
from __future__ import annotations

from qgis.core import QgsProcessingOutputString

from ...dependencies import REQUIRED_NAMES
from ..base import JoinedUpAlgorithm


class CheckEnvironment(JoinedUpAlgorithm):
    ALG_ID = "checkenvironment"
    DISPLAY_NAME = "Check JoinedUp's Python packages"
    GROUP = "setup"
    ICON = "checkenvironment"
    TAGS = "install,dependencies,packages,versions,geopandas,shapely,setup"
    HELP = (
        "Checks that the Python packages JoinedUp's analysis needs can be imported in this "
        f"QGIS ({REQUIRED_NAMES}) and lists their versions with QGIS's, GDAL's and Python's. "
        "It then proves they work, not just import, with small uses whose answers are known: "
        "pyproj turns a British National Grid point into longitude/latitude, shapely intersects "
        "two shapes, and pyogrio writes and reads back a GeoPackage. A package that imports but "
        "fails these (a wrong build, or a binary wheel clashing with QGIS's own GEOS, GDAL or "
        "PROJ) is named in the message.\n\n"
        "It has no parameters. When a package is missing it stops with the message that says "
        "what to install and how (Windows: from the OSGeo4W Shell; Linux; macOS), the same "
        "message every JoinedUp algorithm gives.\n\n"
        "Output: REPORT, a text with one line per package (also written to the log). The "
        "optional packages are listed too, each with what needs it: pyarrow makes reading "
        "layers faster, uk_address_matcher is needed by 'Link addresses to UPRNs' only, pyvroom "
        "by 'Optimise vehicle rounds' only.")

    REPORT = "REPORT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addOutput(QgsProcessingOutputString(self.REPORT, self.tr("Package report")))

    def execute(self, parameters, context, feedback):
        import sys

        from osgeo import gdal
        from qgis.core import Qgis

        from ...dependencies import package_report

        lines = [f"QGIS {Qgis.version()}", f"GDAL {gdal.__version__} (QGIS)",
                 f"Python {sys.version.split()[0]}"] + package_report()
        for line in lines:
            feedback.pushInfo(line)
        return {self.REPORT: "\n".join(lines)}
