"""JoinedUp's analysis engine: plain functions and small classes on GeoDataFrames, arrays
and graphs. Never imports qgis, so it runs in a notebook or a script as well as in QGIS.

Every public entry point validates its inputs once, raises :class:`EngineError` (or a
subclass) with a message a GIS officer can act on, and accepts optional ``progress`` and
``is_cancelled`` callables (see :mod:`.errors`).
"""
from .errors import EngineCancelled, EngineError, Feedback, InputError  # noqa: F401
