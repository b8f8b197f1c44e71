"""The office's catalogue: one GeoPackage (attribute tables only, so QGIS and ogrinfo open it)
holding what each dataset is and on what terms the office holds it, and the lineage of every
JoinedUp run (inputs, algorithm, parameters without secrets, outputs). No QGIS here.

Tables:
- ``datasets``: one row per file (and layer): owner agency, data-sharing agreement reference,
  licence, sensitivity (OFFICIAL / OFFICIAL-SENSITIVE), personal-data flag, retention date,
  source SHA-256, row count, CRS, last updated.
- ``runs``: one row per run: algorithm, when, parameters (JSON, secrets removed).
- ``run_datasets``: which datasets each run read (``role`` 'input') and wrote ('output').

A dataset's lineage is followed back through the runs that wrote it to their inputs, and so on
to datasets no recorded run wrote: its sources.
"""
from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import re
import sqlite3
from dataclasses import dataclass

from .errors import InputError

SENSITIVITIES = ("OFFICIAL", "OFFICIAL-SENSITIVE")
PUBLISHING_ALGORITHMS = ("joinedup:publishopendata", "joinedup:evidencepack")
# Parameter names, and key=value pairs inside values, that may hold a secret.
_SECRET_NAME = re.compile(r"pass(word)?|secret|token|salt|api_?key|credential|auth", re.IGNORECASE)
_SECRET_IN_TEXT = re.compile(r"(password|pwd|secret|token|api_?key)\s*=\s*('[^']*'|\"[^\"]*\"|[^\s;&]+)",
                             re.IGNORECASE)
HIDDEN = "***"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
  description TEXT);
INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],
PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]', 'longitude/latitude WGS 84');
CREATE TABLE IF NOT EXISTS gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
  identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT
  (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
CREATE TABLE IF NOT EXISTS datasets (fid INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL,
  layer TEXT NOT NULL DEFAULT '', name TEXT, owner_agency TEXT, sharing_agreement TEXT, licence TEXT,
  sensitivity TEXT, personal_data INTEGER, retention_date TEXT, sha256 TEXT, file_size INTEGER,
  file_mtime REAL, row_count INTEGER, crs TEXT, last_updated TEXT, UNIQUE (path, layer));
CREATE TABLE IF NOT EXISTS runs (fid INTEGER PRIMARY KEY AUTOINCREMENT, algorithm TEXT NOT NULL,
  run_at TEXT NOT NULL, parameters TEXT);
CREATE TABLE IF NOT EXISTS run_datasets (fid INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL,
  dataset_id INTEGER NOT NULL, role TEXT NOT NULL);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
  ('datasets', 'attributes', 'datasets', 'What the office holds and on what terms'),
  ('runs', 'attributes', 'runs', 'Every JoinedUp run: algorithm, time, parameters (no secrets)'),
  ('run_datasets', 'attributes', 'run_datasets', 'The datasets each run read (input) and wrote (output)');
"""
TERMS = ("owner_agency", "sharing_agreement", "licence", "sensitivity", "personal_data", "retention_date")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()


def sha256_of(path: str, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def without_secrets(parameters: dict) -> dict:
    """``parameters`` as JSON-safe values with every secret removed: parameters named like a
    password, token, salt or key, and ``password=...`` inside connection strings."""
    clean = {}
    for name, value in parameters.items():
        if _SECRET_NAME.search(str(name)):
            clean[name] = HIDDEN
        elif isinstance(value, (list, tuple)):
            clean[name] = [_SECRET_IN_TEXT.sub(rf"\1={HIDDEN}", str(v)) if isinstance(v, str) else _plain(v)
                           for v in value]
        elif isinstance(value, str):
            clean[name] = _SECRET_IN_TEXT.sub(rf"\1={HIDDEN}", value)
        else:
            clean[name] = _plain(value)
    return clean


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return _SECRET_IN_TEXT.sub(rf"\1={HIDDEN}", str(value))


def checked_terms(**terms) -> dict:
    """The terms a dataset is held on, checked: ``owner_agency``, ``sharing_agreement``,
    ``licence``, ``sensitivity`` (OFFICIAL or OFFICIAL-SENSITIVE), ``personal_data`` (bool),
    ``retention_date`` ('YYYY-MM-DD'). Empty ones are left out."""
    unknown = set(terms) - set(TERMS)
    if unknown:
        raise InputError(f"Unknown catalogue terms: {', '.join(sorted(unknown))}; use {', '.join(TERMS)}.")
    terms = {k: v for k, v in terms.items() if v not in (None, "")}
    if "sensitivity" in terms and terms["sensitivity"] not in SENSITIVITIES:
        raise InputError(f"Sensitivity must be one of {', '.join(SENSITIVITIES)} (got {terms['sensitivity']!r}).")
    if "retention_date" in terms:
        try:
            terms["retention_date"] = datetime.date.fromisoformat(str(terms["retention_date"]).strip()).isoformat()
        except ValueError as exc:
            raise InputError(f"The retention date must be written YYYY-MM-DD (got "
                             f"{terms['retention_date']!r}).") from exc
    if "personal_data" in terms:
        terms["personal_data"] = int(bool(terms["personal_data"]))
    return terms


@dataclass
class DatasetRef:
    """A dataset a run read or wrote: its file, layer, and (when known) row count and CRS."""
    path: str
    layer: str = ""
    row_count: int | None = None
    crs: str | None = None


class Catalogue:
    """The catalogue GeoPackage at ``path`` (made when missing). Each call opens and closes its
    own connection, so the file is never held open between runs."""

    def __init__(self, path: str, *, timeout_s: float = 2.0):
        self.path = path
        self.timeout_s = timeout_s
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
            db.execute("PRAGMA user_version = 10200")
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self):
        """A connection for one unit of work: committed when the block ends, rolled back on an
        error, and closed either way. sqlite3's own ``with`` only commits; Python 3.13 (Debian 13)
        warns of every connection left to the garbage collector, and QGIS shows that warning."""
        db = sqlite3.connect(self.path, timeout=self.timeout_s)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    # --- datasets ------------------------------------------------------------------------
    def _dataset_id(self, db, ref: DatasetRef) -> int:
        """The row for ``ref``, made or refreshed: the SHA-256 is computed again only when the
        file's size or modification time changed."""
        path = os.path.realpath(ref.path)
        row = db.execute("SELECT * FROM datasets WHERE path = ? AND layer = ?", (path, ref.layer or "")).fetchone()
        stat = os.stat(path) if os.path.isfile(path) else None
        changed = stat is not None and (row is None or row["file_size"] != stat.st_size
                                        or row["file_mtime"] != stat.st_mtime)
        values = {"row_count": ref.row_count, "crs": ref.crs}
        if changed:
            values.update(sha256=sha256_of(path), file_size=stat.st_size, file_mtime=stat.st_mtime,
                          last_updated=datetime.datetime.fromtimestamp(stat.st_mtime, datetime.UTC)
                          .replace(microsecond=0).isoformat())
        values = {k: v for k, v in values.items() if v is not None}
        if row is None:
            name = ref.layer or os.path.splitext(os.path.basename(path))[0]
            if os.path.basename(path) == "datapackage.json":  # a package is named by its folder
                name = os.path.basename(os.path.dirname(path))
            columns = ["path", "layer", "name", *values]
            db.execute(f"INSERT INTO datasets ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                       [path, ref.layer or "", name, *values.values()])
            return db.execute("SELECT last_insert_rowid()").fetchone()[0]
        if values:
            db.execute(f"UPDATE datasets SET {', '.join(f'{k} = ?' for k in values)} WHERE fid = ?",
                       [*values.values(), row["fid"]])
        return row["fid"]

    def register(self, ref: DatasetRef, **terms) -> int:
        """Record ``ref`` with its terms (:func:`checked_terms`); terms not given keep their
        recorded values. Returns the dataset's id."""
        terms = checked_terms(**terms)
        with self._connect() as db:
            fid = self._dataset_id(db, ref)
            if terms:
                db.execute(f"UPDATE datasets SET {', '.join(f'{k} = ?' for k in terms)} WHERE fid = ?",
                           [*terms.values(), fid])
        return fid

    def datasets(self, text: str = "", *, sensitivity: str | None = None, personal: bool | None = None) -> list:
        """Every dataset (dicts), filtered by ``text`` in its name, path or agency, by
        sensitivity and by the personal-data flag; newest first."""
        query, args = "SELECT * FROM datasets WHERE 1 = 1", []
        if text:
            query += " AND (name LIKE ? OR path LIKE ? OR owner_agency LIKE ?)"
            args += [f"%{text}%"] * 3
        if sensitivity:
            query += " AND sensitivity = ?"
            args.append(sensitivity)
        if personal is not None:
            query += " AND personal_data = ?"
            args.append(int(personal))
        with self._connect() as db:
            return [dict(r) for r in db.execute(query + " ORDER BY last_updated DESC, fid DESC", args)]

    def dataset(self, path: str, layer: str = "") -> dict | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM datasets WHERE path = ? AND layer = ?",
                             (os.path.realpath(path), layer or "")).fetchone()
        return dict(row) if row else None

    # --- lineage ----------------------------------------------------------------------------
    def record_run(self, algorithm: str, parameters: dict, inputs, outputs, *, run_at: str | None = None) -> int:
        """Record one run: its algorithm id, its parameters (secrets removed here), the datasets
        it read and wrote (:class:`DatasetRef`). Returns the run's id."""
        with self._connect() as db:
            db.execute("INSERT INTO runs (algorithm, run_at, parameters) VALUES (?, ?, ?)",
                       (algorithm, run_at or _now(), json.dumps(without_secrets(parameters), default=str)))
            run_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            for role, refs in (("input", inputs), ("output", outputs)):
                for ref in refs:
                    db.execute("INSERT INTO run_datasets (run_id, dataset_id, role) VALUES (?, ?, ?)",
                               (run_id, self._dataset_id(db, ref), role))
        return run_id

    def lineage(self, path: str, layer: str = "") -> list:
        """The steps that made a dataset, newest first, back to its sources: one dict per run
        (``algorithm``, ``run_at``, ``parameters``, ``inputs`` and ``outputs`` as dataset dicts,
        ``depth`` 1 for the run that wrote it). A dataset no recorded run wrote has no steps."""
        start = self.dataset(path, layer)
        if start is None:
            return []
        steps, seen_runs, frontier, depth = [], set(), [start["fid"]], 0
        with self._connect() as db:
            while frontier:
                depth += 1
                runs = []
                for fid in frontier:
                    # The latest run that wrote this dataset made its current version.
                    row = db.execute("SELECT r.* FROM runs r JOIN run_datasets d ON d.run_id = r.fid WHERE "
                                     "d.dataset_id = ? AND d.role = 'output' ORDER BY r.fid DESC LIMIT 1",
                                     (fid,)).fetchone()
                    if row is not None and row["fid"] not in seen_runs:
                        seen_runs.add(row["fid"])
                        runs.append(row)
                frontier = []
                for run in runs:
                    members = {role: [dict(r) for r in db.execute(
                        "SELECT s.* FROM datasets s JOIN run_datasets d ON d.dataset_id = s.fid "
                        "WHERE d.run_id = ? AND d.role = ?", (run["fid"], role))] for role in ("input", "output")}
                    steps.append({"depth": depth, "algorithm": run["algorithm"], "run_at": run["run_at"],
                                  "parameters": json.loads(run["parameters"] or "{}"), **{
                                      f"{role}s": items for role, items in members.items()}})
                    frontier += [d["fid"] for d in members["input"]]
        return steps

    def sources(self, path: str, layer: str = "") -> list:
        """The datasets at the start of a dataset's lineage (read, never written by a recorded run)."""
        written = {d["fid"] for step in self.lineage(path, layer) for d in step["outputs"]}
        read = {d["fid"]: d for step in self.lineage(path, layer) for d in step["inputs"]}
        return [d for fid, d in read.items() if fid not in written]

    def publication_warnings(self, inputs, *, today: datetime.date | None = None) -> list:
        """Why these inputs (:class:`DatasetRef`) should not feed a publication: each one, or
        any dataset in its lineage, that is past its retention date or marked personal.
        One sentence per dataset, naming it, never its contents."""
        today = today or datetime.date.today()
        found = {}
        for ref in inputs:
            record = self.dataset(ref.path, ref.layer)
            candidates = [record] if record else []
            candidates += [d for step in self.lineage(ref.path, ref.layer) for d in step["inputs"]]
            for d in candidates:
                found[d["fid"]] = d
        warnings = []
        for d in found.values():
            why = []
            if d.get("retention_date") and datetime.date.fromisoformat(d["retention_date"]) < today:
                why.append(f"past its retention date ({d['retention_date']})")
            if d.get("personal_data"):
                why.append("marked as holding personal data")
            if why:
                warnings.append(f"{d['name']} ({d['path']}) is {' and '.join(why)}, and feeds this publication.")
        return warnings

    def publication_alerts(self, *, today: datetime.date | None = None) -> list:
        """For every recorded publication run (publishopendata, evidencepack), newest first,
        ``(run dict, warnings)`` where an input or its lineage is past retention or personal."""
        with self._connect() as db:
            runs = [dict(r) for r in db.execute(
                f"SELECT * FROM runs WHERE algorithm IN ({', '.join('?' * len(PUBLISHING_ALGORITHMS))}) "
                "ORDER BY fid DESC", PUBLISHING_ALGORITHMS)]
            inputs = {run["fid"]: [DatasetRef(r["path"], r["layer"]) for r in db.execute(
                "SELECT s.path, s.layer FROM datasets s JOIN run_datasets d ON d.dataset_id = s.fid "
                "WHERE d.run_id = ? AND d.role = 'input'", (run["fid"],))] for run in runs}
        alerts = []
        for run in runs:
            warnings = self.publication_warnings(inputs[run["fid"]], today=today)
            if warnings:
                alerts.append((run, warnings))
        return alerts
