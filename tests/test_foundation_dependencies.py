"""A QGIS without one of the engine's packages: the plugin still loads, says once what is
missing and how to install it, and every algorithm fails with that message (no traceback).
Each case runs in a fresh Python process where the package is hidden (``sys.modules[name] =
None`` makes ``import name`` raise ImportError, as for a package that is not installed)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO, plugin_parent

PROBE = textwrap.dedent("""
    import json, os, sys
    for name in {hidden!r}:
        sys.modules[name] = None          # `import name` now fails: the package is "missing"
    from qgis.core import QgsApplication, QgsProcessingException
    app = QgsApplication([], False)
    app.initQgis()
    messages = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda message, tag, level: messages.append([tag, int(level), message]))
    sys.path.append('/usr/share/qgis/python/plugins')
    from processing.core.Processing import Processing
    Processing.initialize()
    sys.path.insert(0, {plugin_parent!r})
    import joinedup
    plugin = joinedup.classFactory(None)
    plugin.initGui()                      # as QGIS does when it loads the plugin
    from qgis import processing
    provider = QgsApplication.processingRegistry().providerById('joinedup')
    outcome = {{'provider': provider is not None,
               'algorithms': [a.id() for a in provider.algorithms()] if provider else []}}
    try:
        processing.run('joinedup:checkenvironment', {{}})
        outcome['run'] = 'succeeded'
    except QgsProcessingException as exc:
        outcome['run'] = str(exc)
    outcome['messages'] = messages
    outcome['loaded'] = sorted(m for m in {hidden!r} if sys.modules.get(m) is not None)
    plugin.unload()
    print('PROBE' + json.dumps(outcome))
""")


def _probe(hidden, tmp_path):
    code = PROBE.format(hidden=list(hidden), plugin_parent=str(plugin_parent()))
    # cwd away from the checkout: `python -c` puts the cwd on sys.path, and the repo's own
    # processing/ folder would shadow QGIS's Processing framework.
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    line = next((x for x in done.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return json.loads(line[len("PROBE"):]), done


@pytest.mark.parametrize("hidden", [["geopandas"], ["shapely", "networkx", "rasterio"]])
def test_plugin_loads_and_algorithms_fail_with_the_message(hidden, tmp_path):
    outcome, done = _probe(hidden, tmp_path)
    assert outcome["provider"] and "joinedup:checkenvironment" in outcome["algorithms"]
    said = [m for m in outcome["messages"] if m[0] == "JoinedUp"]
    assert len(said) == 1, said  # said once
    message = said[0][2]
    for name in hidden:
        assert name in message
    assert "OSGeo4W" in message and "pip install" in message and "macOS" in message
    # running an algorithm fails with that same message, not a traceback
    assert outcome["run"] != "succeeded"
    assert message.splitlines()[0] in outcome["run"]
    assert "Traceback" not in outcome["run"]
    assert "Traceback" not in done.stderr


def test_nothing_said_when_everything_is_there(tmp_path):
    outcome, _ = _probe([], tmp_path)
    assert not [m for m in outcome["messages"] if m[0] == "JoinedUp"]
    assert outcome["run"] == "succeeded"




def test_readme_and_metadata_print_the_modules_install_steps():
    """README and metadata.txt say what ``dependencies.py`` says: the same package list and
    minimum versions, the same commands for each platform, every optional package's step."""
    from joinedup.dependencies import (
        DEBIAN12_APT,
        DEBIAN12_PIP,
        DEBIAN13_APT,
        MACOS_PIP,
        OPTIONAL,
        REQUIRED,
        REQUIRED_NAMES,
        REQUIRED_PIP,
        WINDOWS_PIP,
        optional_install,
    )

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    about = next(line for line in (REPO / "metadata.txt").read_text(encoding="utf-8").splitlines()
                 if line.startswith("about="))
    for text in (readme, about):
        assert REQUIRED_NAMES in " ".join(text.split())
        assert f"{WINDOWS_PIP} {REQUIRED_PIP}" in text and f"{MACOS_PIP} {REQUIRED_PIP}" in text
        assert DEBIAN13_APT in text
    assert DEBIAN12_APT in readme
    for command in DEBIAN12_PIP.split("\n"):
        assert command.strip() in readme
    for package in OPTIONAL:
        assert f"`{optional_install(package)}`" in readme, package.pip_name
    # matplotlib and pyproj are required (the evidence maps and every distance need them)
    assert {"matplotlib", "pyproj"} <= {module for module, _pip, _minimum in REQUIRED}
    assert {"frictionless", "dask", "distributed", "dask_geopandas"} <= {p.module for p in OPTIONAL}


def test_dependencies_are_imported_one_way():
    """plugin/ and processing/ import the neutral ``dependencies`` module, which imports neither,
    and processing/ never imports plugin/ (the cycle base.py ↔ plugin/main.py is gone)."""
    import re

    source = (REPO / "dependencies.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*from \.|^\s*import joinedup|from joinedup", source, re.MULTILINE)
    assert not (REPO / "plugin" / "dependencies.py").exists()
    for path in (REPO / "processing").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"from \.+plugin\b|joinedup\.plugin\b", text), path
    assert "from ..dependencies import" in (REPO / "plugin" / "main.py").read_text(encoding="utf-8")
    assert "from ..dependencies import" in (REPO / "processing" / "base.py").read_text(encoding="utf-8")
