"""Provenance: a small JSON record of every step that produced a piece of evidence.

One file (for example ``out/provenance.json``) collects the steps of a run; each algorithm,
script or model step appends one record, and ``joinedup:evidencepack`` prints them.
The format (``"format": "joinedup-provenance"``, ``"version": 1``)::

    {"format": "joinedup-provenance", "version": 1,
     "steps": [
       {"step": 1,                       # 1, 2, 3 ... in the order appended
        "algorithm": "joinedup:areaprofile", "title": "Area profile",
        "started": "2026-11-23T10:00:00Z", "finished": "2026-11-23T10:00:04Z",
        "parameters": {"AREAS": "...", "FIELD": "pop"},       # as given (JSON-safe text)
        "inputs":  [{"parameter": "AREAS", "name": "districts", "path": "/data/a.gpkg",
                     "layer": "districts", "features": 12, "crs": "EPSG:3067",
                     "sha256": "…", "bytes": 98304, "modified": "2026-11-20T09:00:00Z"}],
        "outputs": [{"parameter": "OUTPUT", "path": "out/profile.gpkg", "features": 12, ...}],
        "software": {"joinedup": "0.1.0", "qgis": "3.40.6"},
        "notes": ["3 invalid geometries repaired"]}]}

Every key but ``algorithm`` is optional in a step; readers ignore keys they do not know.
Writers append under an exclusive lock and replace the file atomically, so concurrent
steps never corrupt it. ``scripts/provenance.py`` appends a step from the JSON that
``qgis_process run … --json`` prints.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import tempfile

from .errors import InputError

FORMAT = "joinedup-provenance"
VERSION = 1
_HASH_CHUNK = 1 << 20


def now_utc() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def split_source(source: str):
    """``'/a/b.gpkg|layername=x'`` → ``('/a/b.gpkg', 'x')``; plain paths → ``(path, None)``."""
    path, _, rest = str(source).partition("|")
    layer = None
    for part in rest.split("|"):
        if part.startswith("layername="):
            layer = part.split("=", 1)[1]
    return path, layer


def describe_file(source: str, *, name: str | None = None, parameter: str | None = None,
                  features: int | None = None, crs: str | None = None,
                  count_features: bool = True) -> dict:
    """What a provenance record says about one input or output file.

    ``features`` and ``crs`` are taken as given when known (QGIS's count respects the
    user's filter); otherwise read from the file with pyogrio when it is a vector dataset.
    """
    path, layer = split_source(source)
    record = {"parameter": parameter, "name": name or (layer or os.path.basename(path)),
              "path": os.path.abspath(path) if path else path, "layer": layer,
              "features": features, "crs": crs}
    if path and os.path.isfile(path):
        stat = os.stat(path)
        record["bytes"] = stat.st_size
        record["modified"] = _dt.datetime.fromtimestamp(stat.st_mtime, _dt.UTC).replace(
            microsecond=0).isoformat().replace("+00:00", "Z")
        record["sha256"] = sha256_file(path)
        if count_features and (features is None or crs is None):
            info = _vector_info(path, layer)
            if info:
                record["features"] = features if features is not None else info.get("features")
                record["crs"] = crs or info.get("crs")
    return {k: v for k, v in record.items() if v is not None}


def _vector_info(path: str, layer: str | None) -> dict | None:
    try:
        import pyogrio
    except ImportError:  # pragma: no cover - pyogrio is an engine dependency
        return None
    try:
        info = pyogrio.read_info(path, layer=layer, force_feature_count=True)
    except Exception:
        return None
    return {"features": int(info.get("features", -1)), "crs": info.get("crs")}


def new_document() -> dict:
    return {"format": FORMAT, "version": VERSION, "steps": []}


def read(path: str) -> dict:
    """The provenance document at ``path`` (a new empty one when the file does not exist).

    Raises:
        InputError: the file is not JSON or not a JoinedUp provenance file.
    """
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return new_document()
    try:
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
    except (OSError, ValueError) as exc:
        raise InputError(f"The provenance file {path} could not be read as JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("steps"), list):
        raise InputError(f"{path} is not a JoinedUp provenance file (expected "
                         f"'\"format\": \"{FORMAT}\"' and a list of steps).")
    return doc


@contextlib.contextmanager
def _locked(path: str):
    """An exclusive lock on ``path + '.lock'``, removed again when released.

    Removing a lock file races with a writer that opened it before the removal and locks
    the removed file while a third writer creates and locks a new one: two writers at once.
    So the file is removed while still locked, and a writer that got the lock checks that its
    file is still the one at ``lock_path`` and tries again when it is not."""
    lock_path = path + ".lock"
    try:
        import fcntl
    except ImportError:  # Windows: no fcntl; QGIS runs steps one at a time anyway
        fcntl = None
    while True:
        handle = open(lock_path, "a+")
        if fcntl is None:
            break
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            if os.stat(lock_path).st_ino == os.fstat(handle.fileno()).st_ino:
                break  # locked, and it is the lock file others will open
        except FileNotFoundError:
            pass
        handle.close()  # the file was removed by the writer before us: lock the new one
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.remove(lock_path)  # still locked: a waiter on this file will see it is gone
        handle.close()


def append_step(path: str, step: dict) -> dict:
    """Append ``step`` to the provenance file at ``path`` (created when missing); returns
    the step as stored (with its number)."""
    if not step.get("algorithm"):
        raise InputError("A provenance step needs an 'algorithm'.")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise InputError(f"Cannot write the provenance file {path}: the folder does not exist "
                         "or is not writable.")
    with _locked(path):
        doc = read(path)
        stored = dict(step)
        stored["step"] = len(doc["steps"]) + 1
        doc["steps"].append(json_safe(stored))
        handle, tmp = tempfile.mkstemp(prefix=".provenance-", suffix=".json", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(doc, out, indent=1, ensure_ascii=False)
        os.replace(tmp, path)
    return stored


# A password typed into a connection string: libpq's key/value form (password=secret,
# password='a b'), a URL's user:secret@host, and GDAL's PG:… strings, which use the same keys.
_PASSWORD = re.compile(r"""(?i)\b(password|pwd)\s*=\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s'"]+)""")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]+):([^@\s]+)@")


def redact_credentials(text: str) -> str:
    """``text`` with every password in a connection string replaced by ``***``: provenance and
    the evidence pack record the connection and table a layer came from, never its password
    (QGIS keeps those in its authentication database, named by an ``authcfg`` id)."""
    text = _PASSWORD.sub(lambda m: f"{m.group(1)}=***", text)
    return _URL_PASSWORD.sub(r"\1:***@", text)


def json_safe(value):
    """Parameters and values as JSON: numbers, text (passwords redacted), lists and dicts;
    anything else as text."""
    if isinstance(value, str):
        return redact_credentials(value)
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item"):
        return json_safe(value.item())
    return redact_credentials(str(value))


def step_from_qgis_process(result: dict, *, started: str | None = None, exclude=()) -> dict:
    """A step from the JSON that ``qgis_process run ALG --json -- …`` prints: inputs are the
    parameter values that name existing files, outputs the result values that do. Files in
    ``exclude`` (e.g. the provenance file itself) and PROVENANCE parameters are skipped."""
    details = result.get("algorithm_details") or {}
    skip = {os.path.realpath(p) for p in exclude}
    inputs, outputs = [], []
    for name, value in (result.get("inputs") or {}).items():
        if name.upper() == "PROVENANCE":
            continue
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and os.path.isfile(split_source(v)[0]):
                if name in (result.get("results") or {}) or os.path.realpath(split_source(v)[0]) in skip:
                    continue  # an output path given as a parameter, or an excluded file
                inputs.append(describe_file(v, parameter=name))
    for name, value in (result.get("results") or {}).items():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and os.path.isfile(split_source(v)[0]):
                outputs.append(describe_file(v, parameter=name))
    return {
        "algorithm": details.get("id") or result.get("algorithm") or "unknown",
        "title": details.get("name"),
        "started": started,
        "finished": now_utc(),
        "parameters": result.get("inputs") or {},
        "inputs": inputs,
        "outputs": outputs,
        "software": {"qgis": (result.get("qgis_version") or "")},
    }
