"""Run QGIS's own ``qgis_process`` headless (through scripts/qgis_process.sh, which loads
JoinedUp from this checkout and the .venv packages) and read its ``--json`` answer.

    from qgis_process_helpers import qgis_process_run
    answer = qgis_process_run("joinedup:joinbylocation", {"INPUT": a, "JOIN": b, "OUTPUT": out})
    answer["results"]["OUTPUT"]

Lists of integers (enum ids) become one comma-separated value; other lists become
repeated ``KEY=value`` arguments (how qgis_process takes multiple layers and fields);
booleans become ``true``/``false``.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "qgis_process.sh"


class QgisProcessError(AssertionError):
    """qgis_process failed; the message holds its exit code, stdout and stderr."""

    def __init__(self, message, returncode, stdout, stderr):
        super().__init__(message)
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def parameter_args(parameters: dict) -> list:
    args = []
    for key, value in parameters.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, int) and not isinstance(v, bool)
                                                              for v in value):
            value = ",".join(str(v) for v in value)  # enum ids: one comma-separated value
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if isinstance(v, bool):
                v = "true" if v else "false"
            args.append(f"{key}={v}")
    return args


def parse_json_output(stdout: str) -> dict:
    """The JSON object qgis_process --json prints (anything before its first '{' is log)."""
    start = stdout.find("{")
    if start < 0:
        raise ValueError(f"no JSON in qgis_process output:\n{stdout[-2000:]}")
    return json.loads(stdout[start:])


def qgis_process_run(algorithm: str, parameters: dict, *, project: str | None = None,
                     timeout: float = 600, check: bool = True, env: dict | None = None) -> dict:
    """``qgis_process run ALGORITHM --json -- PARAMS``; returns the parsed JSON (keys
    ``results``, ``log`` ...) plus ``returncode``, ``stdout`` and ``stderr``. With
    ``check`` a non-zero exit raises :class:`QgisProcessError`."""
    command = [str(SCRIPT), "run", algorithm, "--json"]
    if project:
        command.append(f"--PROJECT_PATH={project}")
    command += ["--", *parameter_args(parameters)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, **(env or {})})
    if done.returncode != 0:
        if check:
            raise QgisProcessError(
                f"qgis_process {algorithm} exited {done.returncode}\nstdout:\n{done.stdout[-3000:]}"
                f"\nstderr:\n{done.stderr[-3000:]}", done.returncode, done.stdout, done.stderr)
        return {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
    answer = parse_json_output(done.stdout)
    answer.update(returncode=done.returncode, stdout=done.stdout, stderr=done.stderr)
    return answer
