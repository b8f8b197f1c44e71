"""DuckDB's exit work-around (duckdb-python issue 531), run after each linkage in QGIS's programs.

Moved from ``processing/algorithms/linkaddresses.py`` so that the algorithm's ``execute()`` stays
a thin adapter; nothing here imports QGIS.
"""
from __future__ import annotations

# The DuckDB release whose ``_clean_default_connection`` capsule was read and tested (the exact
# pin in requirements.lock; tests/test_linkage_duckdb.py checks the two agree). The capsule is
# private: in another release it may hold something else, and calling it could crash QGIS.
DUCKDB_EXIT_WORKAROUND_VERSION = "1.5.6"


def release_duckdb_default_connection(warn=None) -> str:
    """Run DuckDB's own clean-up of its module-level default connection, if DuckDB was imported.

    DuckDB's Python module keeps that connection in a C++ static. QGIS's programs (qgis_process,
    and the desktop) end without finalising Python, so the C runtime destroys it at exit without
    the GIL and the process aborts after its work is done, losing qgis_process's printed results
    (duckdb-python issue 531; merely importing duckdb is enough). The module's clean-up hook
    (``_clean_default_connection``: a capsule holding the function, or a function in newer
    releases) empties the static; a later use makes a new one, so this runs after each run.

    The capsule is called only in DUCKDB_EXIT_WORKAROUND_VERSION; in another release nothing is
    called and ``warn`` (a callable taking a message) says so. Returns what was done:
    "not imported", "no hook", "function", "capsule" or "skipped"."""
    import ctypes
    import sys

    duckdb = sys.modules.get("duckdb")
    if duckdb is None:
        return "not imported"
    hook = getattr(duckdb, "_clean_default_connection", None)
    if hook is None:
        return "no hook"
    if callable(hook):  # a plain function: calling it cannot corrupt memory
        try:
            hook()
        except Exception as exc:  # a private hook may change: a failed clean-up must not fail the run
            _warn(warn, f"DuckDB's exit clean-up failed ({exc.__class__.__name__}); "
                             "qgis_process may abort at exit after writing its results.")
            return "skipped"
        return "function"
    version = getattr(duckdb, "__version__", "unknown")
    if version != DUCKDB_EXIT_WORKAROUND_VERSION or type(hook).__name__ != "PyCapsule":
        _warn(warn, f"DuckDB {version} is installed; JoinedUp's exit clean-up for DuckDB was "
                         f"written for DuckDB {DUCKDB_EXIT_WORKAROUND_VERSION} and is skipped, so "
                         "qgis_process may abort at exit (after writing its results). Install "
                         f"duckdb=={DUCKDB_EXIT_WORKAROUND_VERSION} to avoid it.")
        return "skipped"
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    address = get_pointer(hook, get_name(hook))  # pybind11 keeps the void() function here
    if not address:
        return "skipped"
    ctypes.PYFUNCTYPE(None)(address)()  # called holding the GIL: the clean-up releases it itself
    return "capsule"


def _warn(warn, message: str) -> None:
    if warn is not None:
        warn(message)
