"""The set-up a new user gets: a locked .venv, instructions that work with today's pip, and a
repository that needs nothing from outside itself (scripts/setup.sh, requirements.lock)."""
from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata

from conftest import REPO

LOCK_LINE = re.compile(r'^([A-Za-z0-9_.-]+)==(\S+?)(?:; python_version == "(\d+\.\d+)")?$')
PY = "{}.{}".format(*sys.version_info[:2])


def lock_entries() -> dict:
    """{normalised name: version} that requirements.lock gives this Python."""
    entries = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        match = LOCK_LINE.match(line)
        assert match, f"requirements.lock: not an exact pin with a python_version marker: {line!r}"
        name, version, python = match.groups()
        if python in (None, PY):
            entries[metadata_name(name)] = version
    return entries


def metadata_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_nothing_tracked_reads_outside_the_repository():
    """A user's clone has no workshop folder beside it: no tracked file may name it."""
    outside = "shared" + "/data"
    found = subprocess.run(["git", "grep", "-n", "-F", "-e", "../" + "shared", "-e", outside], cwd=REPO,
                           capture_output=True, text=True)
    assert found.returncode == 1, f"tracked files refer to the developers' workshop:\n{found.stdout}"
    assert (REPO / "resources" / "sample" / "helsinki.osm.pbf").is_file()
    licence = (REPO / "resources" / "sample" / "README.md").read_text(encoding="utf-8")
    assert "helsinki.osm.pbf" in licence and "ODbL" in licence


def test_the_venv_holds_exactly_what_the_lock_says():
    """Every package the lock names for this Python is installed at that exact version, and pip
    itself is pinned: a commit sets up the same way next year as today."""
    entries = lock_entries()
    assert "pip" in entries
    for name, version in entries.items():
        assert metadata.version(name) == version, f"{name}: {metadata.version(name)} installed, lock says {version}"
    # Debian 12's test tools would satisfy a loose pin without pip installing anything (and
    # .venv/bin/pytest would not exist): the lock pins them, so .venv has its own.
    import pytest as imported_pytest

    assert str(REPO / ".venv") in imported_pytest.__file__ or sys.prefix != sys.base_prefix


def test_every_top_level_requirement_is_locked_or_from_debian():
    """requirements.in (the readable list) and requirements.lock agree: each requirement of this
    Python is in the lock, or provided by Debian (on Debian 13 the geo stack is)."""
    entries = lock_entries()
    debian = subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.version_info[:2])"],
                            capture_output=True, text=True).stdout
    assert debian, "Debian's own Python is missing"
    for line in (REPO / "requirements.in").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        requirement, _, marker = line.partition(";")
        if marker and not eval(marker.replace("python_version", repr(PY)).strip(),  # noqa: S307
                               {"__builtins__": {}}):
            continue
        name = metadata_name(re.split(r"[<>=!~ ]", requirement.strip())[0])
        if name in entries:
            continue
        location = str(metadata.distribution(name).locate_file(""))
        assert location.startswith("/usr/lib/python3/"), \
            f"{name} is in requirements.in but neither in requirements.lock nor a Debian package"


def test_setup_pins_pip_and_passes_build_pins_the_way_current_pip_reads_them():
    setup = (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert "--upgrade pip" not in setup
    assert "--build-constraint build-constraints.txt" in setup
    assert "--build-constraint build-constraints-pyproj.txt" in setup
    assert "--no-deps" in setup
    for name in ("build-constraints.txt", "build-constraints-pyproj.txt"):
        for line in (REPO / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                assert re.fullmatch(r"[A-Za-z0-9_.-]+==\S+", line), f"{name}: not an exact pin: {line}"
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "PIP_NO_CACHE_DIR=1" in ci and "make test" in ci


def test_setup_tells_debian_releases_apart():
    """Debian 13 gets QGIS and the geo stack from its own archive: never a bookworm suite."""
    setup = (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert "/etc/os-release" in setup and "trixie" in setup and "bookworm" in setup
    trixie_branch = setup[setup.index("else\n  qgis_suite=()"):setup.index("qgis_ok()")]
    assert "bookworm" not in trixie_branch
    backports = setup[setup.index('if [ "$release" = 12 ] && ! grep'):]
    assert backports.index('[ "$release" = 12 ]') < backports.index("bookworm-backports main")


def test_printed_install_steps_use_build_constraints():
    """The steps README, metadata.txt and the plugin's message print give pyproj's Cython pin
    through PIP_BUILD_CONSTRAINT (pip >= 26.2) and PIP_CONSTRAINT (older pips), and pass
    --break-system-packages, without which Debian's pip refuses a --user install (PEP 668)."""
    from joinedup.dependencies import (
        DEBIAN12_APT,
        DEBIAN12_PIP,
        DEBIAN13_APT,
        install_instructions,
        mismatch_instructions,
    )

    for text in (install_instructions(["shapely>=2.0"]), mismatch_instructions(["pyproj uses PROJ 9.4"])):
        assert "PIP_BUILD_CONSTRAINT=" in text and "PIP_CONSTRAINT=" in text
        assert "--break-system-packages" in text
        assert "Debian 13" in text
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "PIP_BUILD_CONSTRAINT=" in readme
    assert DEBIAN12_APT in readme and DEBIAN13_APT in readme
    for command in DEBIAN12_PIP.split("\n"):
        assert command.strip() in readme, f"README does not print the plugin's step: {command.strip()}"
    assert "PIP_CONSTRAINT=/tmp/c.txt PROJ_DIR" not in readme


def test_the_plugin_check_finds_libraries_that_import_but_do_not_work(plugin):
    """The run-time check runs real uses with known answers; here, in this QGIS, all pass."""
    from joinedup.dependencies import broken_packages, missing_message

    assert broken_packages() == ()
    assert missing_message() == ""
