"""A throw-away PostgreSQL + PostGIS server: a new cluster in a temporary folder,
reached only through a Unix socket there (the tests run in a network namespace with no
interfaces, and nothing listens on TCP), stopped and removed afterwards. Shared by the tests
(tests/test_postgis.py) and the benchmark (benchmarks/bench_postgis.py).

`make setup` installs Debian's postgresql and postgresql-NN-postgis-3. PostgreSQL refuses to
run as root, so as root the cluster belongs to Debian's `postgres` system user.

Two roles: ``joinedup`` (superuser, no password; the socket trusts it) for loading data and
checking results, and ``analyst`` (an ordinary role with a password, scram-sha-256) for the
tests that prove a password kept in a QGIS authentication configuration never leaks.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ANALYST_PASSWORD = "Tr0ub4dor-and-3-horses"  # made up; the leak tests grep outputs for it


@dataclass
class PostgisServer:
    socket_dir: str
    port: int
    dbname: str = "office"
    superuser: str = "joinedup"

    def dsn(self, user: str | None = None, password: str | None = None) -> str:
        """libpq key/value connection string (QGIS's postgres provider reads the same keys)."""
        parts = [f"host={self.socket_dir}", f"port={self.port}", f"dbname={self.dbname}",
                 f"user={user or self.superuser}"]
        if password:
            parts.append(f"password={password}")
        return " ".join(parts)

    def gdal(self, user: str | None = None) -> str:
        return "PG:" + self.dsn(user)

    def uri(self, table: str, *, schema: str = "public", geometry: str | None = "geom", sql: str = "",
            authcfg: str | None = None, key: str | None = None) -> str:
        """A QGIS postgres data source: ``dbname=… table="schema"."table" (geom)``."""
        from qgis.core import QgsDataSourceUri

        uri = QgsDataSourceUri()
        if authcfg:
            uri.setConnection(self.socket_dir, str(self.port), self.dbname, "", "", authConfigId=authcfg)
        else:
            uri.setConnection(self.socket_dir, str(self.port), self.dbname, self.superuser, "")
        uri.setDataSource(schema, table, geometry, sql, key or "")
        return uri.uri(False)

    def psql(self, sql: str) -> str:
        done = subprocess.run([_bin("psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.dsn(), "-c", sql],
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: run `make setup` (it installs "
                           "Debian's postgresql and postgresql-NN-postgis-3)")
    return found[-1]


def _as_owner(command: list, owner: str | None) -> list:
    if not owner:
        return command
    # runuser is in /usr/sbin, which is not on every PATH (a user's, `env -i`)
    runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin") or "runuser"
    return [runuser, "-u", owner, "--", *command]


def start(port: int = 55432) -> tuple[PostgisServer, callable]:
    """Start a cluster; returns the server and a function that stops and removes it."""
    owner = "postgres" if os.getuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="joinedup-pg-"))
    data, sockets = folder / "data", folder / "run"
    sockets.mkdir()
    if owner:
        record = pwd.getpwnam(owner)
        for path in (folder, sockets):
            os.chown(path, record.pw_uid, record.pw_gid)
    subprocess.run(_as_owner([_bin("initdb"), "-D", str(data), "-U", "joinedup", "--auth-local=trust",
                              "--auth-host=reject", "-E", "UTF8", "--locale=C.UTF-8"], owner),
                   check=True, capture_output=True)
    # The analyst role signs in with a password even on the socket.
    hba = data / "pg_hba.conf"
    hba.write_text("local all joinedup trust\nlocal all all scram-sha-256\n")
    if owner:
        os.chown(hba, pwd.getpwnam(owner).pw_uid, pwd.getpwnam(owner).pw_gid)
    options = f"-c listen_addresses='' -c unix_socket_directories={sockets} -c port={port} -c fsync=off"
    log = folder / "server.log"
    started = subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                                        "-w", "start"], owner), capture_output=True, text=True)
    if started.returncode:
        raise RuntimeError(f"PostgreSQL did not start: {log.read_text() if log.exists() else started.stderr}")
    server = PostgisServer(str(sockets), port)
    subprocess.run([_bin("createdb"), "-h", str(sockets), "-p", str(port), "-U", "joinedup", server.dbname], check=True)
    server.psql("CREATE EXTENSION postgis")
    server.psql(f"CREATE ROLE analyst LOGIN PASSWORD '{ANALYST_PASSWORD}'; "
                "GRANT ALL ON SCHEMA public TO analyst; CREATE SCHEMA agency_data AUTHORIZATION analyst")

    def stop():
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], owner),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)

    return server, stop
