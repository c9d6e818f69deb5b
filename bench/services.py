"""Throwaway local services for tests and benches: a PostgreSQL cluster and a Redis under temporary folders.

    with PostgresCluster() as pg:
        catalog = pg.ducklake_catalog("lake")   # 'postgres:dbname=lake host=... port=... user=postgres'

The cluster lives in a fresh folder under the system temp dir, listens on 127.0.0.1 (a free port)
and on a unix socket in its folder, trusts local connections and is stopped (fast shutdown) and
removed on exit. PostgreSQL refuses to run as root: as root, `initdb`/`pg_ctl` run as the `postgres`
user (`runuser`), which then owns the folder (pytest's own temp dirs are private to root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class ServiceUnavailable(RuntimeError):
    """A service binary is not installed (tests skip on it outside CI, fail under CI)."""


def postgres_bin() -> Path:
    """The folder with `initdb` and `pg_ctl`: $RESONANZ_PG_BIN, Debian's newest, else the PATH."""
    candidates = [os.environ.get("RESONANZ_PG_BIN", "")]
    candidates += sorted(glob.glob(PG_BIN_GLOB), key=lambda p: int(Path(p).parent.name), reverse=True)
    on_path = shutil.which("initdb")
    candidates.append(str(Path(on_path).parent) if on_path else "")
    for folder in filter(None, candidates):
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    raise ServiceUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's `postgresql` "
        "or set RESONANZ_PG_BIN"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """A PostgreSQL cluster for one test session or bench run (initdb + pg_ctl in `folder`)."""

    def __init__(self, port: int | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="resonanz-pg-"))
        self.port = port or free_port()
        self.bin = postgres_bin()
        self.user = "postgres"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if not runuser:
                raise ServiceUnavailable("running as root needs `runuser` to start PostgreSQL as postgres")
            self._as_user = [runuser, "-u", "postgres", "--"]
        else:
            self.user = os.environ.get("USER") or "postgres"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    def _run(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run(
            [*self._as_user, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}"
            )

    def start(self) -> PostgresCluster:
        """initdb (trust auth, no fsync: throwaway data) and start on 127.0.0.1:port + a unix socket."""
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self._as_user:
            shutil.chown(self.folder, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} -c fsync=off"
            " -c full_page_writes=off -c synchronous_commit=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        return self

    def stop(self) -> None:
        """Fast shutdown (open sessions are ended) and wait for it."""
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def create_database(self, name: str) -> str:
        """Create database `name` (via psql on the socket) and return its DuckLake catalog string."""
        self.sql(f'CREATE DATABASE "{name}"')
        return self.ducklake_catalog(name)

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql and return its unaligned output."""
        psql = self.bin / "psql"
        result = subprocess.run(
            [str(psql), "-h", str(self.socket_dir), "-p", str(self.port), "-U", self.user, "-d", database,
             "-v", "ON_ERROR_STOP=1", "-At", "-c", statement],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def ducklake_catalog(self, database: str) -> str:
        """The `postgres:` metadata string of a DuckLake catalog in `database` (TCP on 127.0.0.1)."""
        return f"postgres:dbname={database} host=127.0.0.1 port={self.port} user={self.user}"

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
        # wait until the port is free again so a following cluster cannot collide
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) != 0:
                    break
            time.sleep(0.05)


class RedisServer:
    """A throwaway `redis-server` (Debian's) on a unix socket in a temporary folder, no persistence.

    with RedisServer() as r:
        r.url        # 'unix:///tmp/resonanz-redis-…/redis.sock?db=0'
    """

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server") or ""
        if not self.binary:
            raise ServiceUnavailable("redis-server not found: install Debian's `redis-server`")
        self.folder = Path(tempfile.mkdtemp(prefix="resonanz-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.folder / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def start(self) -> RedisServer:
        args = [self.binary, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start (exit {self.process.poll()})")
            time.sleep(0.05)
        return self

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        with socket.socket(socket.AF_UNIX) as sock:
            try:
                sock.connect(str(self.socket))
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
