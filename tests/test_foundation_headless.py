"""Headless QGIS: ``scripts/qgis_process.sh`` runs QGIS's own qgis_process with JoinedUp from
this checkout and the engine packages from .venv, in a private settings folder."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import REPO

SCRIPT = REPO / "scripts" / "qgis_process.sh"


def qgis_process(*args, env=None, timeout=300):
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=timeout, env=full, cwd=REPO)


@pytest.fixture(scope="module")
def private_home(tmp_path_factory):
    """A fresh HOME and settings folder, so we can see where qgis_process writes."""
    root = tmp_path_factory.mktemp("headless")
    return {"HOME": str(root / "home"), "JOINEDUP_QGIS_CONFIG": str(root / "config")}, root


@pytest.mark.slow
def test_list_shows_the_provider(private_home):
    env, _ = private_home
    done = qgis_process("list", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "JoinedUp" in done.stdout
    assert "joinedup:checkenvironment" in done.stdout


@pytest.mark.slow
def test_help_json(private_home):
    env, _ = private_home
    done = qgis_process("help", "joinedup:checkenvironment", "--json", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    info = json.loads(done.stdout)
    assert info["algorithm_details"]["id"] == "joinedup:checkenvironment"
    assert info["provider_details"]["name"] == "JoinedUp"
    assert info["algorithm_details"]["group"] == "Set-up and checks"
    assert "REPORT" in info["outputs"]


@pytest.mark.slow
def test_custom_config_path_isolates_the_profile(private_home):
    """Everything qgis_process writes goes to the private folder, nothing to ~/.local/share/QGIS."""
    env, root = private_home
    home = root / "home"
    home.mkdir(exist_ok=True)
    done = qgis_process("list", env=env)
    assert done.returncode == 0
    config = root / "config"
    written = sorted(str(p.relative_to(config)) for p in config.rglob("*") if p.is_file())
    assert any(p.endswith("QGIS3.ini") for p in written), written
    ini = next(p for p in config.rglob("QGIS3.ini"))
    assert "joinedup=true" in ini.read_text()  # enabled by the script, in the private profile
    assert not (home / ".local" / "share" / "QGIS").exists(), sorted(
        str(p) for p in (home / ".local" / "share").rglob("*"))
    assert not (home / ".config" / "QGIS").exists()


@pytest.mark.slow
def test_run_gives_results(private_home):
    env, _ = private_home
    done = qgis_process("run", "joinedup:checkenvironment", "--json", env=env)
    out = done.stdout[done.stdout.index("{"):]
    results = json.loads(out)["results"]
    assert "geopandas" in results["REPORT"] and "QGIS 3.40" in results["REPORT"]
    # the optional address matcher is listed with its version, read without importing it
    from importlib import metadata

    assert f"uk_address_matcher {metadata.version('uk_address_matcher')}" in results["REPORT"]


@pytest.mark.slow
def test_run_exits_cleanly(private_home):
    """qgis_process exits 0 after running an algorithm that imports the engine packages.
    (With pip wheels of pyproj/pyogrio it died at exit: they bundle their own libproj.so.25
    beside QGIS's, and PROJ's C++ static objects were freed twice. scripts/setup.sh builds
    both against the system GDAL/PROJ; this test keeps it that way.)"""
    env, _ = private_home
    done = qgis_process("run", "joinedup:checkenvironment", "--json", env=env)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-1500:]}"
