"""Offline: the conftest guard fails any test that tries to open a network connection (even
one that swallows the error), and `make test` runs pytest in a network namespace with no
interfaces where the machine allows it (`unshare -n`)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import REPO

TINY = textwrap.dedent("""
    import socket

    def test_reaches_out_and_swallows_the_error():
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=1)   # TEST-NET-1, never routed
        except OSError:
            pass      # the guard must still fail this test

    def test_connects_by_address():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.connect(("198.51.100.7", 443))
        except OSError:
            pass
        finally:
            s.close()

    def test_unix_sockets_are_fine():
        a, b = socket.socketpair()      # local IPC (X11, D-Bus) is not the network
        a.sendall(b"x")
        assert b.recv(1) == b"x"
        a.close()
        b.close()
""")


def test_guard_fails_a_test_that_tries_the_network(tmp_path):
    (tmp_path / "test_tiny.py").write_text(TINY)
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    env = dict(os.environ)
    # load this suite's conftest (and so its guard) as a plugin for the tiny file
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-q", "test_tiny.py"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "2 failed, 1 passed" in out, out
    assert out.count("network connection attempted during the test") >= 2, out


def test_make_test_runs_without_a_network():
    can_unshare = subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0 \
        if shutil.which("unshare") else False
    plan = subprocess.run(["make", "-n", "test"], capture_output=True, text=True, cwd=REPO, timeout=120)
    pytest_lines = [line for line in plan.stdout.splitlines() if "pytest" in line]
    assert pytest_lines, plan.stdout
    if can_unshare:
        assert all(line.startswith("unshare -n --") for line in pytest_lines), pytest_lines
        # and a command run that way really has no network: only the loopback interface
        done = subprocess.run(["unshare", "-n", "--", "cat", "/proc/net/dev"], capture_output=True, text=True)
        interfaces = [line.split(":")[0].strip() for line in done.stdout.splitlines()[2:]]
        assert interfaces == ["lo"], done.stdout
    else:
        assert all(not line.startswith("unshare") for line in pytest_lines)
