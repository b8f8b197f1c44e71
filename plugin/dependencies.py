"""Which of the engine's Python packages are importable in this QGIS, and how to get the rest.

The plugin must load even when they are missing: it reports once, clearly, and every
algorithm fails with the same message (see ``processing/base.py``).
"""
from __future__ import annotations

import importlib
from functools import lru_cache

# (import name, pip name, minimum version or None)
REQUIRED = (
    ("numpy", "numpy", None),
    ("shapely", "shapely", "2.0"),
    ("pyogrio", "pyogrio", None),
    ("geopandas", "geopandas", "1.0"),
    ("networkx", "networkx", "3.0"),
    ("scipy", "scipy", None),
    ("rasterio", "rasterio", None),
)

# Packages only some algorithms need: (import name, pip name, minimum version or None,
# algorithms). The plugin loads without them; those algorithms fail with install steps.
OPTIONAL = (
    ("uk_address_matcher", "uk_address_matcher", "1.5", ("linkaddresses",)),
)


def _version_tuple(text: str) -> tuple:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


@lru_cache(maxsize=1)
def missing_packages() -> tuple:
    """Names (with the version needed) of required packages that do not import here."""
    missing = []
    for module, pip_name, minimum in REQUIRED:
        try:
            mod = importlib.import_module(module)
        except Exception:  # an ImportError, or a broken binary wheel raising anything
            missing.append(pip_name + (f">={minimum}" if minimum else ""))
            continue
        if minimum and _version_tuple(getattr(mod, "__version__", "0")) < _version_tuple(minimum):
            missing.append(f"{pip_name}>={minimum} (found {mod.__version__})")
    return tuple(missing)


def install_instructions(missing) -> str:
    names = " ".join(f'"{m.split(" ")[0]}"' for m in missing)
    return (
        "JoinedUp needs Python packages that this QGIS cannot import: "
        + ", ".join(missing) + ".\n"
        "Install them into QGIS's own Python, then restart QGIS:\n"
        f"- Windows: open the OSGeo4W Shell and run: python -m pip install {names}\n"
        "- Debian/Ubuntu: sudo apt install python3-scipy python3-rasterio, then\n"
        f"  pip install --user {names}\n"
        f"- macOS: /Applications/QGIS.app/Contents/MacOS/bin/pip3 install {names}"
    )


def missing_message() -> str:
    """The one message shown in the log, the message bar and every algorithm; '' when all is there."""
    missing = missing_packages()
    return install_instructions(missing) if missing else ""


def optional_missing_message(algorithm: str) -> str:
    """Install steps for the optional packages ``algorithm`` (an ALG_ID) needs and this QGIS
    cannot import; '' when all is there. Checked when the algorithm runs, not at load."""
    missing = []
    for module, pip_name, minimum, algorithms in OPTIONAL:
        if algorithm not in algorithms:
            continue
        try:
            mod = importlib.import_module(module)
        except Exception:
            missing.append(pip_name + (f">={minimum}" if minimum else ""))
            continue
        version = getattr(mod, "__version__", None)
        if minimum and version and _version_tuple(version) < _version_tuple(minimum):
            missing.append(f"{pip_name}>={minimum} (found {version})")
    return install_instructions(missing) if missing else ""
