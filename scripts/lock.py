"""Refresh requirements.lock for the Debian release this machine runs (``make lock``).

The lock holds the exact version of every package pip installs into ``.venv``, with a
``python_version`` marker per Debian release (Debian 12: Python 3.11; Debian 13: 3.13), so one
file serves both and ``scripts/setup.sh`` installs it with ``--no-deps``: nothing is resolved on
a user's machine, and a given commit sets up the same way next year as today.

How it works: a throw-away venv is made from ``/usr/bin/python3`` with the system site packages
(as ``.venv`` is), the pinned pip is installed, ``requirements.in`` is resolved into it, and
``pip freeze --local`` lists what pip itself installed. Packages that Debian provides (QGIS's
bindings, scipy and rasterio on Debian 12, the whole geo stack on Debian 13) are not in the
lock: run this on a machine set up by ``scripts/setup.sh`` and nothing else, so that the Debian
packages seen here are the ones a user's machine gets. The other release's lines are kept.

Packages already pinned for this release keep their versions (they are given to pip as
constraints), so adding one package to ``requirements.in`` does not move every other one on the
day it is locked; ``--refresh`` resolves everything afresh (then run the whole suite).

Usage: ``/usr/bin/python3 scripts/lock.py [--refresh]`` (then commit requirements.lock).
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements.lock"
PIP_PIN = re.compile(r"^pip==(\S+)", re.M)


def pinned_pip() -> str:
    match = PIP_PIN.search(LOCK.read_text(encoding="utf-8"))
    if not match:
        sys.exit("requirements.lock has no 'pip==' line to take the pinned pip from")
    return match.group(1)


def freeze(python_tag: str, keep: list[str]) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        constraints = Path(tmp) / "constraints.txt"
        constraints.write_text("".join(line.split(";")[0] + "\n" for line in keep), encoding="utf-8")
        venv = Path(tmp) / "venv"
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        subprocess.run(pip + ["install", "-q", f"pip=={pinned_pip()}"], check=True)
        subprocess.run(pip + ["install", "-q", "-c", str(constraints),
                             "-r", str(REPO / "requirements.in")], check=True)
        out = subprocess.run(pip + ["freeze", "--local", "--exclude", "pip"], check=True,
                             capture_output=True, text=True).stdout
    lines = []
    for line in sorted(out.splitlines(), key=str.lower):
        if "==" not in line:
            sys.exit(f"pip freeze gave a line that is not an exact pin: {line!r}")
        lines.append(f'{line}; python_version == "{python_tag}"')
    return lines


def main() -> int:
    python_tag = "{}.{}".format(*sys.version_info[:2])
    marker = f'; python_version == "{python_tag}"'
    current = LOCK.read_text(encoding="utf-8").splitlines()
    kept = [line for line in current if not line.endswith(marker)]
    keep = [] if "--refresh" in sys.argv[1:] else [line for line in current if line.endswith(marker)]
    header = [line for line in kept if "; python_version" not in line]
    pinned = [line for line in kept if "; python_version" in line] + freeze(python_tag, keep)
    # one order whoever refreshes which release: by release, then by name
    pinned.sort(key=lambda line: (line.rsplit('"', 2)[-2], line.lower()))
    LOCK.write_text("\n".join(header + pinned) + "\n", encoding="utf-8")
    print(f"requirements.lock: the Python {python_tag} lines refreshed; review with git diff")
    return 0


if __name__ == "__main__":
    sys.exit(main())
