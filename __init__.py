"""JoinedUp QGIS plugin.

QGIS calls :func:`classFactory`. Nothing here imports QGIS or the engine at module level,
so ``joinedup.engine`` can be imported in a plain Python session without QGIS.
"""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin.main import JoinedUpPlugin

    return JoinedUpPlugin(iface)
