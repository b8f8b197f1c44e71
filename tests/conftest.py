"""Test harness: a real QgsApplication (pytest-qgis), QGIS's own Processing, and JoinedUp
loaded the way QGIS loads it: as the package ``joinedup`` from a plugins folder that holds a
``joinedup`` link to this checkout, whatever the checkout's folder is called. The repository
root itself is never put on sys.path (its ``processing/`` would shadow QGIS's).

Network: every test runs with outbound connections refused and recorded; a test that tries
one fails (see ``pytest_runtest_call``), even if it swallowed the refusal. ``make test`` also
runs pytest in a network namespace with no interfaces, which catches attempts from C++ (GDAL, QGIS) too.
"""
from __future__ import annotations

import atexit
import gc
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "sample"
# Real data the tests read is committed with its licence (resources/sample/README.md): a clone
# has everything it needs, and nothing reads from outside the repository.
DATA = SAMPLE
PLUGIN_PARENT = REPO / ".build" / "plugins"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if not os.environ.get("XDG_RUNTIME_DIR"):
    runtime = Path(f"/tmp/runtime-{os.getuid()}")
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
# Every JoinedUp run records its lineage in the office catalogue (processing/lineage.py): the
# test run keeps its own, new each session, instead of growing one in the test profile forever.
# Tests that look at a catalogue set their own path; subprocesses (qgis_process, the desktop) inherit this.
if not os.environ.get("JOINEDUP_CATALOGUE"):
    _catalogue_folder = tempfile.mkdtemp(prefix="joinedup-test-catalogue-")
    atexit.register(shutil.rmtree, _catalogue_folder, True)
    os.environ["JOINEDUP_CATALOGUE"] = os.path.join(_catalogue_folder, "catalogue.gpkg")


def plugin_parent() -> Path:
    """The folder holding the ``joinedup`` link (made here if missing; idempotent)."""
    PLUGIN_PARENT.mkdir(parents=True, exist_ok=True)
    link = PLUGIN_PARENT / "joinedup"
    if not link.exists():
        link.symlink_to(REPO, target_is_directory=True)
    return PLUGIN_PARENT


if str(plugin_parent()) not in sys.path:
    sys.path.insert(0, str(plugin_parent()))
sys.path.append(str(Path(__file__).resolve().parent))  # tests/ (shared test helpers)
sys.path.append(str(REPO / "benchmarks"))  # seeded generators shared with benchmarks

# --- offline guard ------------------------------------------------------------------------
NETWORK_ATTEMPTS: list = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = str(address[0]) if address else ""
    return host in ("localhost", "::1", "") or host.startswith("127.")


def _guarded_connect(self, address):
    if self.family == socket.AF_UNIX or _is_local(address):
        return _real_connect(self, address)
    NETWORK_ATTEMPTS.append(address)
    raise OSError(f"JoinedUp tests are offline: connection to {address!r} refused")


def _guarded_connect_ex(self, address):
    if self.family == socket.AF_UNIX or _is_local(address):
        return _real_connect_ex(self, address)
    NETWORK_ATTEMPTS.append(address)
    raise OSError(f"JoinedUp tests are offline: connection to {address!r} refused")


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host is None or _is_local((host,)):
        return _real_getaddrinfo(host, *args, **kwargs)
    NETWORK_ATTEMPTS.append((host,))
    raise socket.gaierror(f"JoinedUp tests are offline: lookup of {host!r} refused")


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.getaddrinfo = _guarded_getaddrinfo


def _offline_check(outcome, before, phase):
    """Fail the test (in the phase where it happened) if it tried a network connection,
    even when the code swallowed the refusal."""
    attempts = NETWORK_ATTEMPTS[before:]
    if attempts and outcome.excinfo is None:
        outcome.force_exception(AssertionError(
            f"network connection attempted during {phase}: {attempts} (JoinedUp tests are offline)"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    before = len(NETWORK_ATTEMPTS)
    outcome = yield
    _offline_check(outcome, before, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    before = len(NETWORK_ATTEMPTS)
    outcome = yield
    _offline_check(outcome, before, "the test")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    before = len(NETWORK_ATTEMPTS)
    outcome = yield
    _offline_check(outcome, before, "teardown")


# --- QGIS and the plugin ------------------------------------------------------------------
@pytest.fixture(scope="session")
def plugin(qgis_app, qgis_processing, qgis_iface):
    """JoinedUp loaded through ``classFactory`` as QGIS does, with its provider registered."""
    import joinedup

    instance = joinedup.classFactory(qgis_iface)
    instance.initProcessing()
    yield instance
    instance.unload()
    # QGIS objects a test left to the garbage collector must go while QGIS is still up: after
    # exitQgis() their destructors crash the interpreter (exit 139 once every test has passed).
    gc.collect()


@pytest.fixture(scope="session")
def run_alg(plugin):
    """``run_alg('joinedup:x', {...})`` → results dict, through QGIS's own ``processing.run``
    with a fresh context and feedback, as the toolbox does."""
    from qgis import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject

    def _run(algorithm_id, parameters, *, context=None, feedback=None):
        if context is None:
            context = QgsProcessingContext()
            context.setProject(QgsProject.instance())
        return processing.run(algorithm_id, parameters, context=context,
                              feedback=feedback or QgsProcessingFeedback())

    return _run


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of committed real data: the OpenStreetMap extract helsinki.osm.pbf (ODbL,
    resources/sample/README.md)."""
    assert (DATA / "helsinki.osm.pbf").is_file(), f"{DATA / 'helsinki.osm.pbf'} is missing"
    return DATA
