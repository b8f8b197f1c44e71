"""The probabilistic matcher behind :func:`engine.linkage.link_addresses`: uk_address_matcher
run embedded on DuckDB in background threads (so Cancel interrupts it), and the cache of
prepared gazetteers. Split from ``linkage.py``; nothing here imports the matcher at module level.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import warnings

import pandas as pd

from .errors import EngineCancelled, EngineError, as_feedback


def _canonical_digest(canonical: pd.DataFrame) -> str:
    """A fingerprint of the prepared gazetteer input and the matcher's version."""
    import hashlib

    import uk_address_matcher

    hashed = pd.util.hash_pandas_object(canonical.astype(str), index=False).to_numpy().tobytes()
    return hashlib.sha256(hashed + uk_address_matcher.__version__.encode()).hexdigest()[:24]


# Prepared gazetteers kept in a cache folder: the most recently used are kept, older ones are
# removed (each is a few MB; a council has one gazetteer, and a new version every few weeks).
CACHE_KEEP = 4
CACHE_PREFIX = "prepared_gazetteer_"


# DuckDB left to itself takes 80 % of the machine's memory and every core. Inside QGIS it shares
# the process with the project's layers, the canvas and the user's other programs, so it gets a
# quarter of the physical memory (it spills the rest to its private temporary folder, which is
# slower but never fails for want of memory) and all cores but one, so QGIS stays responsive.
DUCKDB_MEMORY_SHARE = 0.25
DUCKDB_MEMORY_FLOOR_MB = 512  # below this the matcher's joins spill all the time


# A container's memory cap (cgroup v2, then v1): qgis_process in a batch container may see the
# host's memory but be killed at the cap. "max" or a huge number means no cap.
CGROUP_MEMORY_FILES = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def _physical_memory_mb() -> int | None:
    """The memory this process may use in MB: the machine's physical memory, or its container's
    cap where lower; None where the platform does not say."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        total = None
    if total is not None:
        for path in CGROUP_MEMORY_FILES:
            try:
                with open(path) as cap_file:
                    cap = cap_file.read().strip()
            except OSError:
                continue
            if cap.isdigit():
                total = min(total, int(cap))
            break
        return total // 2**20
    try:
        import ctypes

        class MemoryStatus(ctypes.Structure):
            _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                        ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                        ("ullTotalPageFile", ctypes.c_ulonglong), ("ullAvailPageFile", ctypes.c_ulonglong),
                        ("ullTotalVirtual", ctypes.c_ulonglong), ("ullAvailVirtual", ctypes.c_ulonglong),
                        ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]

        status = MemoryStatus(dwLength=ctypes.sizeof(MemoryStatus))
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
            return status.ullTotalPhys // 2**20
    except (AttributeError, OSError):
        pass
    return None


def _usable_cores() -> int:
    """The cores this process may run on (its affinity where the platform says, e.g. in a container)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def duckdb_limits() -> dict:
    """DuckDB's ``memory_limit`` and ``threads`` for this machine (see DUCKDB_MEMORY_SHARE)."""
    settings = {"threads": max(1, _usable_cores() - 1)}
    total_mb = _physical_memory_mb()
    memory_mb = DUCKDB_MEMORY_FLOOR_MB if total_mb is None else max(
        DUCKDB_MEMORY_FLOOR_MB, int(total_mb * DUCKDB_MEMORY_SHARE))
    settings["memory_limit"] = f"{memory_mb}MiB"
    return settings


def _duckdb_connection(spill_dir: str, fb, purpose: str):
    """An in-memory DuckDB that never installs extensions, stays within :func:`duckdb_limits`
    and spills to a private folder. The limits logged are read back from the connection."""
    import duckdb

    con = duckdb.connect(config={"autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False,
                                 "temp_directory": os.path.join(spill_dir, "spill"),
                                 **duckdb_limits()})
    con.execute("SET enable_progress_bar = false")  # it would print into qgis_process's output
    memory, threads = con.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
    fb.log(f"DuckDB for {purpose}: memory limit {memory} (spilling beyond it to a temporary "
           f"folder), {threads} thread{'s' if threads != 1 else ''}")
    return con


# The matcher's loggers, kept to warnings during a run (at INFO they print every stage).
MATCHER_LOGGERS = ("uk_address_matcher", "splink")


# Splink, under the matcher, parses the same few hundred SQL snippets of its model with sqlglot
# thousands of times a run (7,756 parses of 206 snippets to match 1,055 records: a third of the
# matching time, pure Python). While the matcher runs, sqlglot.parse_one keeps each parse and
# hands out a copy of it (callers may change the tree they get). The matches are the same;
# sqlglot is restored when the last run using it ends.
_PARSED: dict = {}
_PARSED_MAX = 4096
_parse_users = {"count": 0, "original": None}
_parse_users_lock = threading.Lock()


@contextlib.contextmanager
def reused_sql_parses():
    """sqlglot.parse_one with each (text, dialect) parsed once, for the matcher's runs (several
    threads may hold it at once: the first in installs it, the last out restores sqlglot)."""
    import sqlglot

    with _parse_users_lock:
        if _parse_users["count"] == 0:
            original = _parse_users["original"] = sqlglot.parse_one

            def parse_one(sql, *args, **kwargs):
                key = (sql, args, tuple(sorted(kwargs.items())))
                try:
                    tree = _PARSED.get(key)
                except TypeError:  # an argument that is no plain value (a dialect object): parse
                    return original(sql, *args, **kwargs)
                if tree is None:
                    tree = original(sql, *args, **kwargs)
                    if len(_PARSED) >= _PARSED_MAX:
                        _PARSED.clear()
                    _PARSED[key] = tree
                return tree.copy()

            sqlglot.parse_one = parse_one
        _parse_users["count"] += 1
    try:
        yield
    finally:
        with _parse_users_lock:
            _parse_users["count"] -= 1
            if _parse_users["count"] == 0:
                sqlglot.parse_one = _parse_users["original"]


@contextlib.contextmanager
def quiet_matcher():
    """For one run: the matcher's logging to warnings only, and without its DeprecationWarning
    about pkg_resources (printed once per SQL file into QGIS's log and qgis_process's output).
    Both are restored afterwards: the plugin shares its process with QGIS and other plugins,
    whose warnings and loggers are not ours to change. The matcher's threads start and end
    inside the run, so the filter covers them too."""
    import logging

    loggers = [logging.getLogger(name) for name in MATCHER_LOGGERS]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"uk_address_matcher(\.|$)")
        for logger in loggers:
            if logger.getEffectiveLevel() < logging.WARNING:
                logger.setLevel(logging.WARNING)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=False):
                logger.setLevel(level)


def _wait_interruptible(thread, con, fb) -> None:
    """Wait for ``thread`` (working on ``con``), checking Cancel; on Cancel interrupt DuckDB
    (it stops the running query at once) until the thread ends, then raise EngineCancelled."""
    while thread.is_alive():
        thread.join(0.2)
        if fb.is_cancelled is not None and fb.is_cancelled():
            _interrupt(thread, con)
            raise EngineCancelled("Cancelled by the user.")


def _interrupt(thread, con) -> None:
    """Stop DuckDB's work on ``con`` and wait for ``thread`` to end (the matcher runs many
    queries in turn, so interrupt until none is left)."""
    while thread.is_alive():
        con.interrupt()
        thread.join(0.1)


def _prune_cache(cache_dir: str, keep: int = CACHE_KEEP) -> None:
    """Remove all but the ``keep`` most recently used prepared gazetteers (only folders this
    module made: named ``prepared_gazetteer_*`` and holding the matcher's manifest)."""
    import shutil

    ours = []
    for name in os.listdir(cache_dir):
        path = os.path.join(cache_dir, name)
        if name.startswith(CACHE_PREFIX) and os.path.isfile(os.path.join(path, "ukam_manifest.json")):
            ours.append((os.path.getmtime(path), path))
    for _, path in sorted(ours, reverse=True)[keep:]:
        shutil.rmtree(path, ignore_errors=True)


class GazetteerPreparation:
    """The matcher's prepared gazetteer (cleaned addresses, word frequencies, inverted index):
    found in ``cache_dir`` when this gazetteer was prepared before, else built by a background
    thread in DuckDB, which works outside Python's lock, so the caller goes on meanwhile.
    :meth:`wait` gives the folder; :meth:`close` stops the work and removes temporary files."""

    def __init__(self, canonical: pd.DataFrame, *, cache_dir: str | None, feedback=None):
        self.fb = as_feedback(feedback)
        self.error = None
        self.thread = None
        self.con = None
        self.tmp = tempfile.mkdtemp(prefix="joinedup_gazetteer_")
        self.cache_dir = cache_dir
        if cache_dir:
            try:
                os.makedirs(cache_dir, exist_ok=True)
                writable = os.access(cache_dir, os.W_OK)
            except OSError:
                writable = False
            if not writable:
                self.fb.log(f"Cannot write to the cache folder {cache_dir}: the gazetteer is prepared "
                            "for this run only")
                cache_dir = self.cache_dir = None
        if cache_dir:
            self.folder = os.path.join(cache_dir, CACHE_PREFIX + _canonical_digest(canonical))
            if os.path.isfile(os.path.join(self.folder, "ukam_manifest.json")):
                os.utime(self.folder)  # most recently used
                self.fb.log(f"Using the prepared gazetteer cached in {self.folder}")
                return
        else:
            self.folder = os.path.join(self.tmp, "prepared")
        self.canonical = canonical.astype(object).where(canonical.notna(), None)
        self.con = _duckdb_connection(self.tmp, self.fb, "preparing the gazetteer")
        self.thread = threading.Thread(target=self._prepare, name="joinedup-gazetteer", daemon=True)
        self.thread.start()

    def _prepare(self) -> None:
        from uk_address_matcher import prepare_canonical_folder

        try:
            self.con.register("joinedup_canonical", self.canonical)
            # built beside its final place, so the last step is a rename within one folder (one
            # drive): a move from the temporary folder to a cache on another drive fails
            building = (os.path.join(self.cache_dir, f".building_{os.getpid()}_{id(self)}_"
                                     + os.path.basename(self.folder))
                        if self.cache_dir else os.path.join(self.tmp, "building"))
            self.building = building
            with reused_sql_parses():
                prepare_canonical_folder(self.con.table("joinedup_canonical"), building, con=self.con,
                                         overwrite=True, show_progress="off")
            try:
                os.replace(building, self.folder)
            except OSError:
                if not (self.cache_dir and os.path.isfile(os.path.join(self.folder, "ukam_manifest.json"))):
                    raise
                # another run cached the same gazetteer first: use it, remove ours
                import shutil

                shutil.rmtree(building, ignore_errors=True)
        except BaseException as exc:  # reported by wait(), in the caller's thread
            self.error = exc

    def wait(self, feedback=None) -> str:
        """The prepared folder, once ready (Cancel is checked while waiting)."""
        fb = as_feedback(feedback)
        if self.thread is not None:
            if self.thread.is_alive():
                fb.log("Waiting for the gazetteer preparation to finish")
            _wait_interruptible(self.thread, self.con, fb)
            self.thread = None
            if self.error is not None:
                raise EngineError(f"The address matcher could not prepare the gazetteer: "
                                  f"{self.error.__class__.__name__}: {self.error}")
            if self.cache_dir:
                self.fb.log(f"Prepared gazetteer cached in {self.folder} (reused by later runs "
                            "against the same gazetteer)")
                _prune_cache(self.cache_dir)
        return self.folder

    def close(self) -> None:
        import shutil

        if self.thread is not None:
            _interrupt(self.thread, self.con)
        if self.con is not None:
            self.con.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        building = getattr(self, "building", None)
        if building and os.path.isdir(building):  # cancelled or failed half-way in the cache folder
            shutil.rmtree(building, ignore_errors=True)


def match_ukam(messy: pd.DataFrame, prepared_folder: str, feedback=None) -> pd.DataFrame:
    """Run uk_address_matcher on a prepared gazetteer folder, in a background thread so that
    Cancel interrupts it: its exact stage, its deterministic trigram stage, then its pretrained
    Splink model on the rest."""
    import shutil

    from uk_address_matcher import AddressMatcher, ExactMatchStage, SplinkStage, UniqueTrigramStage

    fb = as_feedback(feedback)
    tmp = tempfile.mkdtemp(prefix="joinedup_linkage_")
    con = _duckdb_connection(tmp, fb, "matching")
    outcome = {}

    def match():
        try:
            con.register("joinedup_messy", messy.astype(object).where(messy.notna(), None))
            # the library's own deterministic trigram stage resolves the clear-cut fuzzy cases
            # (a street word mistyped, numbers and postcode right) before its Splink model
            # scores the rest: the same precision and recall here in a third of the time
            # (docs/linkage.md)
            matcher = AddressMatcher(canonical_addresses=prepared_folder,
                                     addresses_to_match=con.table("joinedup_messy"), con=con,
                                     show_progress="off",
                                     stages=[ExactMatchStage(), UniqueTrigramStage(), SplinkStage()])
            with reused_sql_parses():
                outcome["frame"] = matcher.match().matches().df()
        except BaseException as exc:
            outcome["error"] = exc

    try:
        thread = threading.Thread(target=match, name="joinedup-matcher", daemon=True)
        thread.start()
        _wait_interruptible(thread, con, fb)
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if "error" in outcome:
        exc = outcome["error"]
        raise EngineError(f"The address matcher failed: {exc.__class__.__name__}: {exc}") from exc
    # columns a stage did not produce (e.g. no record reached the Splink stage) are null
    return outcome["frame"].reindex(columns=["unique_id", "resolved_canonical_id", "match_reason",
                                             "match_weight", "distinguishability"])
