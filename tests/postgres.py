"""A throwaway PostgreSQL server for tests and benchmarks: Debian's ``initdb`` and ``pg_ctl``.

:class:`PostgresServer` initialises a cluster in a temporary folder, listens on a free
loopback port (its unix socket in the same folder), and is stopped and removed at the end.
``initdb`` refuses to run as root: as root, the server runs as the ``postgres`` user (through
``runuser``), and the folder is handed to that user.

Connections over TCP need a password (scram-sha-256), so that tests can check that no error
message shows it; local socket connections are trusted.

:func:`find_bin_dir` says where the binaries are, or why a server cannot be started here;
``MOODMOJI_REQUIRE_POSTGRES=1`` (set in CI) turns that reason into a failure instead of a skip
(see ``tests/bot/conftest.py``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["PG_BIN_ENV", "REQUIRE_ENV", "PostgresServer", "find_bin_dir", "required"]

PG_BIN_ENV = "MOODMOJI_PG_BIN"
"""Names a folder holding ``initdb``, ``pg_ctl`` and ``postgres`` (overrides the search)."""
REQUIRE_ENV = "MOODMOJI_REQUIRE_POSTGRES"
"""Set to ``1`` to fail, not skip, the PostgreSQL tests when no server can be started."""
DEFAULT_BIN = Path("/usr/lib/postgresql/15/bin")
USER = "moodmoji"
PASSWORD = "pw-Zq8-never-shown"  # a test secret: asserted to be absent from error messages


def required() -> bool:
    """Whether PostgreSQL tests must run (``MOODMOJI_REQUIRE_POSTGRES=1``)."""
    return os.environ.get(REQUIRE_ENV, "").strip() == "1"


def find_bin_dir() -> tuple[Path | None, str]:
    """The folder of ``initdb`` and ``pg_ctl``, or ``None`` and why there is none."""
    named = os.environ.get(PG_BIN_ENV)
    candidates = [Path(named)] if named else [DEFAULT_BIN]
    if not named:
        candidates += sorted(
            Path("/usr/lib/postgresql").glob("*/bin"), key=_version_of, reverse=True
        )
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            if os.geteuid() == 0 and not _server_user():
                return None, "running as root and there is no 'postgres' user to run initdb as"
            if os.geteuid() == 0 and shutil.which("runuser") is None:
                return None, "running as root and 'runuser' is missing (initdb refuses root)"
            return folder, ""
    where = named or f"{DEFAULT_BIN} (or /usr/lib/postgresql/*/bin)"
    return None, (
        f"no PostgreSQL server binaries (initdb, pg_ctl) in {where}: "
        "apt-get install postgresql-15, or set MOODMOJI_PG_BIN"
    )


def _version_of(folder: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15/bin`` -> ``(15,)`` (unknown names sort first)."""
    try:
        return tuple(int(part) for part in folder.parent.name.split("."))
    except ValueError:
        return (0,)


def _server_user() -> str | None:
    """The user the server runs as when the tests run as root."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam("postgres").pw_name
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, for as long as a test session runs.

    Args:
        bin_dir: The folder of ``initdb`` and ``pg_ctl``.
        durable: Keep ``fsync`` on (for benchmarks); tests run faster without it.

    """

    def __init__(self, bin_dir: Path, *, durable: bool = False) -> None:
        self.bin_dir = bin_dir
        self.durable = durable
        self.folder = Path(tempfile.mkdtemp(prefix="moodmoji-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = 0
        self._names = itertools.count(1)
        self._databases: set[str] = set()
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = _server_user()
            assert user is not None
            shutil.chown(self.folder, user=user, group=pwd.getpwnam(user).pw_gid)
            self._as = ["runuser", "-u", user, "--"]
        self._initdb()

    # ------------------------------------------------------------------ lifecycle

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.folder,
        )

    def _initdb(self) -> None:
        password_file = self.folder / "password"
        password_file.write_text(PASSWORD + "\n", encoding="utf-8")
        if self._as:
            shutil.chown(password_file, user=self._as[2])
        done = self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            f"--pwfile={password_file}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        )
        password_file.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr.strip()[-800:]}")

    def running(self) -> bool:
        """Whether the server is up (``pg_ctl status``)."""
        return (
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "status").returncode == 0
        )

    def start(self) -> None:
        """Starts the server unless it runs (a new free port the first time; the same later)."""
        if self.port and self.running():
            return
        tries = 1 if self.port else 3
        for attempt in range(tries):
            port = self.port or _free_port()
            settings = [
                f"-p {port}",
                f"-k {self.folder}",
                "-c listen_addresses=127.0.0.1",
                "-c max_connections=200",
                "-c shared_buffers=32MB",
            ]
            if not self.durable:
                settings += ["-c fsync=off", "-c synchronous_commit=off"]
                settings += ["-c full_page_writes=off"]
            done = self._run(
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "-o",
                " ".join(settings),
                "start",
            )
            if done.returncode == 0:
                self.port = port
                return
            if attempt == tries - 1:
                tail = self.log.read_text(errors="replace")[-800:] if self.log.exists() else ""
                raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()} {tail}")

    def stop(self, mode: str = "fast") -> None:
        """Stops the server (``fast`` ends sessions; ``immediate`` is a crash)."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Stops and starts the server on the same port (every connection is lost)."""
        self.stop()
        self.start()

    def remove(self) -> None:
        """Stops the server and deletes its folder."""
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    # ------------------------------------------------------------------ databases

    def url(self, database: str = "postgres", *, password: str | None = PASSWORD) -> str:
        """A TCP URL of a database, with the password (or another, or none)."""
        secret = f":{password}" if password is not None else ""
        return f"postgresql://{USER}{secret}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Runs one statement on the ``postgres`` database as the superuser (autocommit)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(sql.encode())

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; its URL."""
        name = f"{prefix}{os.getpid()}_{next(self._names)}"
        self.admin(f'CREATE DATABASE "{name}" STRATEGY FILE_COPY')
        return self.url(name)

    def create_schema(self, database: str, prefix: str = "s") -> tuple[str, str]:
        """A new empty schema in ``database`` (created if need be): its name, and a URL whose
        ``search_path`` is that schema (much cheaper than a database per test).
        """
        import psycopg

        if database not in self._databases:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                self.admin(f'CREATE DATABASE "{database}"')
            self._databases.add(database)
        name = f"{prefix}{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{name}"'.encode())
        return name, f"{self.url(database)}?options=-c%20search_path%3D{name}"

    def drop_schema(self, database: str, name: str) -> None:
        """Drops a schema of :meth:`create_schema` and everything in it."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'.encode())

    def wait_until_up(self, timeout: float = 30) -> None:
        """Waits until the server takes connections again."""
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
