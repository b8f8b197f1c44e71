"""The ``joinedup`` Processing provider. Algorithms are found, not listed: every subclass of
``JoinedUpAlgorithm`` in a module of ``processing/algorithms/`` is registered."""
from __future__ import annotations

import inspect
import pkgutil
import sys

from qgis.core import QgsProcessingProvider

from . import algorithms as _algorithms_package
from .base import JoinedUpAlgorithm, icon


def algorithm_classes() -> list:
    """Every concrete algorithm class, sorted by id, imported from ``processing/algorithms``.

    Imported with ``__import__`` (not ``importlib.import_module``): QGIS records a plugin's
    modules through its ``__import__`` hook and removes exactly those when the plugin is
    unloaded; a module it did not see would survive a reload with classes derived from the
    old ``JoinedUpAlgorithm``, and the reloaded provider would list no algorithms."""
    found = {}
    for info in pkgutil.iter_modules(_algorithms_package.__path__):
        name = f"{_algorithms_package.__name__}.{info.name}"
        __import__(name)
        module = sys.modules[name]
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, JoinedUpAlgorithm) and cls.ALG_ID and cls.__module__ == module.__name__:
                found[cls.ALG_ID] = cls
    return [found[k] for k in sorted(found)]


class JoinedUpProvider(QgsProcessingProvider):
    def id(self):
        return "joinedup"

    def name(self):
        return "JoinedUp"

    def longName(self):  # noqa: N802
        return "JoinedUp: join up what a city's agencies hold"

    def icon(self):
        return icon("joinedup")

    def loadAlgorithms(self):  # noqa: N802
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
