"""GDAL's process-wide settings, changed only for the bridge's own work and then put back.

GDAL is shared by everything in the user's QGIS: QGIS itself, every other plugin, and the
user's Python console. A setting changed here for one read (OGR raising exceptions, a
configuration option) is restored when that read ends, whatever happens in it.
"""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def ogr_exceptions():
    """OGR raises Python exceptions inside the block (its errors are otherwise silent ``None``s),
    and after it OGR's exception setting is what it was before."""
    from osgeo import ogr

    before = bool(ogr.GetUseExceptions())
    if not before:
        ogr.UseExceptions()
    try:
        yield
    finally:
        if not before:
            ogr.DontUseExceptions()


@contextlib.contextmanager
def _gdal_option(key: str, value: str):
    """A GDAL configuration option for one read, then as it was (other plugins share GDAL)."""
    import pyogrio

    before = pyogrio.get_gdal_config_option(key)
    pyogrio.set_gdal_config_options({key: value})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({key: before})
