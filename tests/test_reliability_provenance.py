"""The provenance lock (issue #17): writers in separate processes appending at once lose no
step and number them 1..n (the lock file was removed after unlocking, so a waiter could lock
a removed file while a newcomer locked a new one: two writers at once)."""
import multiprocessing
import sys
from pathlib import Path

PLUGINS = str(Path(__file__).resolve().parents[1] / ".build" / "plugins")


def _writer(path, who, steps):
    if PLUGINS not in sys.path:
        sys.path.insert(0, PLUGINS)
    from joinedup.engine import provenance as pv

    for k in range(steps):
        pv.append_step(path, {"algorithm": f"w{who}", "parameters": {"k": k}})


def test_concurrent_writers_lose_no_step(tmp_path, plugin):
    path = str(tmp_path / "provenance.json")
    writers, steps = 6, 25
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(path, w, steps)) for w in range(writers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    from joinedup.engine import provenance as pv

    doc = pv.read(path)
    assert [s["step"] for s in doc["steps"]] == list(range(1, writers * steps + 1))
    for w in range(writers):  # each writer's steps all there, in its own order
        assert [s["parameters"]["k"] for s in doc["steps"] if s["algorithm"] == f"w{w}"] == list(range(steps))
    assert not Path(path + ".lock").exists()
