"""Packaging: metadata.txt complete for the official plugin repository, a GPL-compatible
LICENSE that matches it, and `make zip` (scripts/build_zip.sh, pb_tool) building a zip that
holds only the plugin and that QGIS can import once unzipped."""
from __future__ import annotations

import configparser
import subprocess
import sys
import textwrap
import zipfile

import pytest
from conftest import REPO

KEYS = ["name", "qgisMinimumVersion", "qgisMaximumVersion", "description", "about", "version",
        "author", "email", "repository", "tracker", "homepage", "tags", "category", "icon",
        "hasProcessingProvider", "supportsQt6", "license"]


def _metadata() -> dict:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keep qgisMinimumVersion's case
    parser.read(REPO / "metadata.txt", encoding="utf-8")
    return dict(parser["general"])


def test_metadata_complete():
    meta = _metadata()
    missing = [k for k in KEYS if not meta.get(k, "").strip()]
    assert not missing, f"metadata.txt lacks {missing}"
    assert meta["qgisMinimumVersion"] == "3.40" and meta["qgisMaximumVersion"] == "4.99"
    assert meta["hasProcessingProvider"] == "yes" and meta["supportsQt6"] in ("True", "yes", "true")
    assert (REPO / meta["icon"]).exists()
    for package in ("geopandas", "shapely", "networkx", "scipy", "rasterio"):
        assert package in meta["about"], f"'about' should name {package}"
    assert meta["license"] == "GPL-2.0-or-later"


def test_license_matches_metadata():
    text = (REPO / "LICENSE").read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 2, June 1991" in text
    assert "or (at your option) any later version" in text


@pytest.fixture(scope="module")
def built_zip():
    done = subprocess.run(["bash", str(REPO / "scripts" / "build_zip.sh")], capture_output=True,
                          text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    path = REPO / "joinedup.zip"
    assert path.exists()
    return path


def test_zip_holds_only_the_plugin(built_zip):
    names = zipfile.ZipFile(built_zip).namelist()
    files = [n for n in names if not n.endswith("/")]
    assert all(n.startswith("joinedup/") for n in names), names
    for needed in ("joinedup/__init__.py", "joinedup/metadata.txt", "joinedup/LICENSE",
                   "joinedup/plugin/main.py", "joinedup/dependencies.py",
                   "joinedup/processing/provider.py", "joinedup/processing/base.py",
                   "joinedup/processing/bridge/__init__.py", "joinedup/processing/algorithms/__init__.py",
                   "joinedup/engine/__init__.py", "joinedup/resources/icons/joinedup.svg"):
        assert needed in files, needed
    algorithms = sorted(p.name for p in (REPO / "processing" / "algorithms").glob("*.py"))
    assert sorted(n.rsplit("/", 1)[1] for n in files if n.startswith("joinedup/processing/algorithms/")) \
        == algorithms
    forbidden = ("/tests/", "/benchmarks/", "/scripts/", "/docs/", "/.build/", "/out/", "/.venv/",
                 "/zip_build/", "/.git", "__pycache__", "/resources/sample/", "/.ci/", "/.qgis-settings/")
    for name in names:
        assert not any(part in "/" + name for part in forbidden), name
        assert not name.endswith((".pyc", ".gpkg", ".gpkg-wal", ".gpkg-shm", ".zip", ".png")), name
    assert sum(i.file_size for i in zipfile.ZipFile(built_zip).infolist()) < 2 * 2**20
    # every resource the plugin uses ships: icons, layout templates, styles, models (only the
    # sample data stays out)
    resources = sorted("joinedup/" + str(p.relative_to(REPO)) for p in (REPO / "resources").rglob("*")
                       if p.is_file() and "sample" not in p.relative_to(REPO / "resources").parts)
    assert resources and set(resources) <= set(files), sorted(set(resources) - set(files))


@pytest.mark.slow
def test_unzipped_plugin_prints_a_map_through_qgis_process(built_zip, tmp_path):
    """The plugin as a user installs it (the zip, unpacked into a plugins folder) runs the
    algorithms that need its templates and styles, through QGIS's own qgis_process."""
    import os
    import shutil
    import sysconfig

    plugins = tmp_path / "plugins"
    zipfile.ZipFile(built_zip).extractall(plugins)
    sample = tmp_path / "sample_city.gpkg"
    shutil.copyfile(REPO / "resources" / "sample" / "sample_city.gpkg", sample)
    env = dict(os.environ, QGIS_PLUGINPATH=str(plugins), QT_QPA_PLATFORM="offscreen",
               QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"),
               PYTHONPATH=sysconfig.get_paths()["purelib"])
    env.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")
    binary = shutil.which("qgis_process.bin") or shutil.which("qgis_process")
    subprocess.run([binary, "plugins", "enable", "joinedup"], env=env, capture_output=True, timeout=300)
    runs = {"joinedup:evidencemap": [f"INPUT={sample}|layername=zones", "FIELD=population", "DPI=50",
                                     f"OUTPUT_PDF={tmp_path / 'map.pdf'}"],
            "joinedup:density": [f"INPUT={sample}|layername=incidents", "RADIUS=150", "PIXEL_SIZE=20",
                                 f"OUTPUT={tmp_path / 'density.tif'}"]}
    for algorithm, args in runs.items():
        done = subprocess.run([binary, "run", algorithm, "--", *args], env=env, capture_output=True,
                              text=True, timeout=600, cwd=tmp_path)
        assert done.returncode == 0, (algorithm, done.stdout[-2000:], done.stderr[-2000:])
    assert (tmp_path / "map.pdf").stat().st_size > 10_000
    assert (tmp_path / "density.tif").stat().st_size > 1_000


def test_unzipped_plugin_imports_in_qgis(built_zip, tmp_path):
    zipfile.ZipFile(built_zip).extractall(tmp_path / "plugins")
    assert (tmp_path / "plugins" / "joinedup" / "metadata.txt").exists()
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path / 'plugins')!r})
        from qgis.core import QgsApplication
        app = QgsApplication([], False); app.initQgis()
        import joinedup
        assert joinedup.__file__.startswith({str(tmp_path)!r}), joinedup.__file__
        plugin = joinedup.classFactory(None)
        plugin.initProcessing()
        provider = QgsApplication.processingRegistry().providerById('joinedup')
        print('ALGS', sorted(a.id() for a in provider.algorithms()))
        plugin.unload()
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "joinedup:checkenvironment" in done.stdout
