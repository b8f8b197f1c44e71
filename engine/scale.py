"""Where heavy work runs: in this process (the default), on a Dask ``LocalCluster`` of worker
processes on this machine, or on a Dask cluster at a scheduler address the user gives.

The engine's algorithms split their work into independent tasks (chunks of whole track pieces,
chunks of OD rows, partitions of routes by track) and hand them to :func:`run_tasks`. The same
task function runs in-process or on a worker, and results are combined in the same order by
:func:`tree_sum`, so a cluster run gives exactly the in-process result.

What goes to workers: the shared object (the network's arrays) once per worker, broadcast by
``client.scatter(..., broadcast=True)``, then per task only that task's inputs (coordinates and
track codes, OD rows, edge-id lists). Nothing else leaves this process, and no connection is
made except to the scheduler address given (a ``LocalCluster`` listens on 127.0.0.1 only).

``dask`` and ``distributed`` are optional: they are imported only when a cluster is asked for,
and their absence is a clear :class:`DependencyError` saying how to install them.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from .errors import DependencyError, EngineCancelled, EngineError, InputError, as_feedback

LOCAL = "local"
LOCAL_CLUSTER = "local cluster"
CLUSTER = "cluster"
MODES = (LOCAL, LOCAL_CLUSTER, CLUSTER)

INSTALL_HINT = ("Install them into QGIS's Python with `pip install \"dask[distributed]\"` "
                "(OSGeo4W Shell on Windows; Debian: `sudo apt install python3-distributed`), or run "
                "with execution 'local'.")
POLL_S = 0.2  # how often Cancel is looked at while tasks run on a cluster
CONNECT_TIMEOUT_S = 30


@dataclass(frozen=True)
class Execution:
    """Where to run: ``mode`` is one of :data:`MODES`; ``workers`` is the number of worker
    processes of a local cluster; ``address`` the scheduler of a cluster
    (``tcp://host:8786``)."""

    mode: str = LOCAL
    workers: int = 2
    address: str | None = None

    def __post_init__(self):
        if self.mode not in MODES:
            raise InputError(f"Execution must be one of {', '.join(MODES)}, not {self.mode!r}.")
        if self.mode == LOCAL_CLUSTER and int(self.workers) < 1:
            raise InputError(f"A local cluster needs at least 1 worker, not {self.workers}.")
        if self.mode == CLUSTER and not (self.address or "").strip():
            raise InputError("Execution 'cluster' needs the scheduler's address, e.g. tcp://10.0.0.5:8786.")

    @property
    def is_local(self) -> bool:
        return self.mode == LOCAL

    @classmethod
    def parse(cls, text: str | None) -> Execution:
        """From the setting's text: ``local``, ``local cluster`` or ``local cluster:4`` (4
        workers), ``cluster:tcp://host:8786`` or a bare scheduler address (``tcp://...``)."""
        text = (text or "").strip()
        if not text or text.lower() == LOCAL:
            return cls()
        lower = text.lower()
        if lower.startswith(LOCAL_CLUSTER):
            rest = text[len(LOCAL_CLUSTER):].strip(" :")
            if not rest:
                return cls(LOCAL_CLUSTER)
            if not rest.isdigit():
                raise InputError(f"'{text}': write the number of workers after 'local cluster:', e.g. "
                                 "'local cluster:4'.")
            return cls(LOCAL_CLUSTER, workers=int(rest))
        if lower.startswith(CLUSTER):
            return cls(CLUSTER, address=text[len(CLUSTER):].strip(" :") or None)
        if "://" in text:
            return cls(CLUSTER, address=text)
        raise InputError(f"'{text}' is not an execution: use 'local', 'local cluster:N' or "
                         "'cluster:tcp://host:port'.")

    def describe(self) -> str:
        if self.mode == LOCAL_CLUSTER:
            return f"a local Dask cluster of {self.workers} worker processes"
        if self.mode == CLUSTER:
            return f"the Dask cluster at {self.address}"
        return "this process"


def require_distributed():
    """The ``distributed`` module, or a :class:`DependencyError` saying how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise DependencyError("Running on a Dask cluster needs the Python packages dask and distributed, "
                          "which are not installed. " + INSTALL_HINT) from exc
    return distributed


def _python_executable() -> str:
    """The Python interpreter worker processes are started with: the one of this process's own
    installation (``sys.exec_prefix``). Inside the QGIS desktop or qgis_process
    ``sys.executable`` is QGIS itself, or whatever ``python3`` comes first on PATH, which may be
    another Python than the one QGIS embeds."""
    import os
    import sys

    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in (os.path.join(sys.exec_prefix, "bin", f"python{version}"),
                      os.path.join(sys.exec_prefix, "bin", "python3"),
                      os.path.join(sys.exec_prefix, "python.exe"),
                      os.path.join(sys.exec_prefix, "python3.exe")):
        if os.path.exists(candidate):
            return candidate
    exe = sys.executable or ""
    if os.path.basename(exe).lower().startswith("python"):
        return exe
    raise EngineError(f"No Python interpreter found in {sys.exec_prefix!r} to start worker processes; run "
                      "with execution 'local', or start a scheduler and workers yourself (docs/scale.md) and "
                      "use execution 'cluster'.")


@contextlib.contextmanager
def _worker_python():
    """Start spawned workers with a real Python interpreter, restoring multiprocessing's own
    choice afterwards (process-wide state is only borrowed)."""
    import multiprocessing.spawn as spawn

    saved = spawn.get_executable()
    spawn.set_executable(_python_executable())
    try:
        yield
    finally:
        spawn.set_executable(saved)


def loopback_works(timeout_s: float = 2.0) -> bool:
    """True when this process can connect to itself on 127.0.0.1 (not so in a fresh network
    namespace, whose loopback interface is down). No other address is touched."""
    import socket

    try:
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname(), timeout=timeout_s):
                return True
    except OSError:
        return False


# Two of distributed's defaults cost the engine's numpy work about a fifth of a worker's CPU
# (measured: 0.64-0.70 s per 5,000-point map-matching task against 0.53 s in this process,
# and 0.50-0.53 s once both are off). MALLOC_TRIM_THRESHOLD_ set at all switches off glibc's
# dynamic mmap threshold, so every large temporary array is mapped and unmapped afresh; the
# statistical profiler samples every worker thread's stack every 10 ms under the GIL. Both are
# diagnostics for dashboards JoinedUp does not open. None unsets the variable (distributed's
# own rule), the other pre-spawn variables (one OpenMP/BLAS thread) are kept.
WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}


def _worker_config():
    """The local cluster's worker settings (:data:`WORKER_CONFIG`), for the block that starts it."""
    import dask

    return dask.config.set(WORKER_CONFIG)


@contextlib.contextmanager
def dask_client(execution: Execution, feedback=None):
    """A ``distributed.Client`` for ``execution`` (not ``local``); the local cluster is shut
    down (its worker processes stopped) when the block ends, also on Cancel or error."""
    fb = as_feedback(feedback)
    distributed = require_distributed()
    if execution.mode == LOCAL_CLUSTER:
        if not loopback_works():
            raise EngineError("A local cluster talks to its workers over the loopback interface (127.0.0.1), "
                              "which is down here (a network namespace without 'ip link set lo up'). "
                              "Bring it up or run with execution 'local'.")
        fb.log(f"Starting {execution.describe()} (listening on 127.0.0.1 only).")
        with _worker_python(), _worker_config():
            try:
                cluster = distributed.LocalCluster(
                    n_workers=int(execution.workers), threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None, silence_logs=40)
            except Exception as exc:  # noqa: BLE001 - any failure to start is one message
                raise EngineError(f"Could not start a local Dask cluster: {exc}") from exc
        try:
            with distributed.Client(cluster, set_as_default=False) as client:
                yield client
        finally:
            cluster.close()
    else:
        fb.log(f"Connecting to {execution.describe()}.")
        try:
            client = distributed.Client(execution.address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except Exception as exc:  # noqa: BLE001
            raise EngineError(f"Could not reach the Dask scheduler at {execution.address}: {exc}. Check the "
                              "address and that the scheduler is running (docs/scale.md).") from exc
        try:
            yield client
        finally:
            client.close()


def run_tasks(func, shared, tasks, *, execution: Execution | None = None, client=None, combine=None,
              feedback=None, gather_each: bool = False):
    """``[func(shared, *task) for task in tasks]``, in this process or on a Dask cluster.

    ``shared`` (the network) goes to each worker once (broadcast), never with each task.
    Progress counts finished tasks; Cancel is looked at every :data:`POLL_S` seconds and
    cancels the outstanding tasks (the local cluster is then shut down by
    :func:`dask_client`). Results come back in the order of ``tasks``; with ``combine(a, b)``
    they are instead summed by :func:`tree_sum` (on the cluster, each pair on a worker, so only
    the total comes back).

    ``gather_each``: on a cluster, each result is brought here as soon as its task has finished
    and its future released at once (the worker frees it), instead of every result gathered
    together at the end. For large results (map matching's routes): this process then holds one
    task's transfer at a time, not the serialised bytes of every result beside their objects.
    The results and their order are the same; a failed task stops the run when it is seen
    (the others are cancelled). Not with ``combine``.
    """
    fb = as_feedback(feedback)
    tasks = list(tasks)
    execution = execution or Execution()
    if gather_each and combine is not None:
        raise ValueError("run_tasks: gather_each sums nothing; use it without combine.")
    if client is None and execution.is_local:
        out = []
        for i, task in enumerate(tasks):
            fb.check()
            out.append(func(shared, *task))
            fb.set_progress((i + 1) / max(len(tasks), 1))
        return tree_sum(out, combine) if combine is not None else out
    if client is None:
        with dask_client(execution, fb) as own:
            return run_tasks(func, shared, tasks, client=own, combine=combine, feedback=fb,
                             gather_each=gather_each)
    if not tasks:
        return tree_sum([], combine) if combine is not None else []
    shared_future = client.scatter(shared, broadcast=True, hash=False)
    futures = [client.submit(func, shared_future, *task, pure=False) for task in tasks]
    if gather_each:
        return _gather_each(client, futures, fb)
    every = list(futures)
    try:
        if combine is not None:
            futures = [tree_sum(futures, lambda a, b: client.submit(combine, a, b, pure=False))]
            every += futures
        while not all(f.done() for f in futures):
            fb.check()
            fb.set_progress(sum(f.done() for f in every) / len(every))
            time.sleep(POLL_S)
        fb.set_progress(1.0)
        failed = [f for f in every if f.status == "error"]
        if failed:
            exc = failed[0].exception()
            if isinstance(exc, EngineError):
                raise exc
            raise EngineError(f"A task failed on the cluster: {exc!r}") from exc
        out = client.gather(futures)
        return out[0] if combine is not None else out
    except EngineCancelled:
        client.cancel(every)
        raise


def _gather_each(client, futures, fb):
    """The results of ``futures`` in their order, each fetched as soon as it is done and its
    future released (see :func:`run_tasks`'s ``gather_each``). Only the futures not yet fetched
    are kept, so a result's bytes and the worker's copy go as soon as it is here."""
    n = len(futures)
    pending = dict(enumerate(futures))
    del futures
    out: list = [None] * n
    try:
        while pending:
            fb.check()
            ready = [i for i, f in pending.items() if f.done()]
            for i in ready:
                future = pending.pop(i)
                if future.status == "error":
                    exc = future.exception()
                    if isinstance(exc, EngineError):
                        raise exc
                    raise EngineError(f"A task failed on the cluster: {exc!r}") from exc
                out[i] = future.result()
                future.release()
                del future
                fb.check()
            fb.set_progress((n - len(pending)) / n)
            if not ready:
                time.sleep(POLL_S)
        fb.set_progress(1.0)
        return out
    except BaseException:
        if pending:
            client.cancel(list(pending.values()))
        raise


def tree_sum(parts, add=None):
    """Sum ``parts`` pairwise in a fixed binary tree ((p0+p1)+(p2+p3))+... . The in-process run
    and the cluster's tree reduction use this one order, so floating-point sums agree to the
    last bit. ``add(a, b)`` defaults to ``a + b``; nothing to sum gives ``None``."""
    parts = list(parts)
    if not parts:
        return None
    add = add or (lambda a, b: a + b)
    while len(parts) > 1:
        nxt = [add(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    return parts[0]
