"""The connection layer shared by the cost records and the run store: one database, a
SQLite file or a ``postgresql://`` URL.

The same SQL runs on both (``?`` placeholders, rewritten for psycopg). A write is one
transaction (:meth:`Database.transaction`), so a process killed mid-write leaves all of it
or none; SQLite runs in WAL mode with a busy timeout, and a transaction that finds the
file locked is tried again, so concurrent writers wait for each other instead of failing.
Each store that keeps tables here versions its schema under its own name in the table
``schema_info`` (:meth:`Database.ensure_schema`); a database written by a newer tilewright
is refused rather than misread, before anything is written to it.

Nothing is ever written to a file that is not already a tilewright database: an empty
file, random bytes, a folder or another program's SQLite database is refused as it is
opened. A new SQLite database is made whole under a temporary name and linked into place,
so a file at the path is never half made. Opened with ``create=False`` (readers), a
missing database is an error and nothing is written, not even SQLite's ``-wal`` and
``-shm`` files.
"""

import os
import re
import sqlite3
import time
import uuid
from pathlib import Path

__all__ = ["Database", "DatabaseError", "is_postgres_url", "CONNECT_TIMEOUT_S"]

#: Seconds to wait for a PostgreSQL server (unless the URL's ``connect_timeout`` says).
CONNECT_TIMEOUT_S = 5

_SCHEMA_LOCK = 0x7469_6C65        # PostgreSQL advisory lock key of schema creation
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SCHEMA_INFO = "CREATE TABLE IF NOT EXISTS schema_info (name TEXT PRIMARY KEY, value TEXT NOT NULL)"


class DatabaseError(RuntimeError):
    """The database cannot be opened, stays locked, is not ours or has an unknown schema."""


def is_postgres_url(url):
    return str(url).startswith(("postgresql://", "postgres://"))


def shown(url):
    """``url`` with any password replaced by ``***``, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", str(url))


def _one_line(error):
    return " ".join(str(error).split())


def _while_busy(action, name, attempts=200, pause=0.05):
    """``action()``, tried again while SQLite reports the database locked or busy (another
    process holds it) for up to ``attempts`` × ``pause`` seconds."""
    for _ in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            time.sleep(pause)
    raise DatabaseError(f"{name} stayed locked")


def _read_only(path):
    """A connection that reads the SQLite file at ``path`` and writes nothing, not even
    the ``-wal``/``-shm`` files: immutable when no writer has a ``-wal`` file open."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    if not Path(f"{path}-wal").exists():
        uri += "&immutable=1"
    return sqlite3.connect(uri, uri=True, isolation_level=None)


class Database:
    """An open connection to the database at ``url``: a file path (SQLite) or
    ``postgresql://...`` (through the ``psycopg`` package). ``label`` names it in
    messages; ``made_by`` (when set) says what writes one. With ``create=False`` the
    database must exist and is only read."""

    label = "database"
    made_by = None

    def __init__(self, url, *, create=True):
        self.url = str(url)
        self.create = create
        self.postgres = is_postgres_url(self.url)
        if not self.postgres and ("://" in self.url or not self.url.strip()):
            raise DatabaseError(f"a {self.label} is a SQLite file path or a postgresql:// "
                                f"URL, not {self.url!r}")
        self._read_write = False
        self._conn = self._connect_postgres() if self.postgres else self._connect_sqlite()

    @property
    def name(self):
        return f"{self.label} {shown(self.url)!r}"

    def _missing(self):
        hint = f" ({self.made_by} writes one)" if self.made_by else ""
        return DatabaseError(f"no {self.label} at {shown(self.url)!r}{hint}")

    # ---------------------------------------------------------- PostgreSQL
    def _connect_postgres(self):
        try:
            import psycopg
        except ImportError:
            raise DatabaseError(f"a PostgreSQL {self.label} needs the 'psycopg' "
                                f"package (pip install psycopg)") from None
        timeout = {} if "connect_timeout" in self.url else {"connect_timeout": CONNECT_TIMEOUT_S}
        try:
            conn = psycopg.connect(self.url, autocommit=True, **timeout)
        except Exception as e:
            raise DatabaseError(f"cannot connect to {shown(self.url)}: {_one_line(e)}") from None
        try:
            if not self.create and not self._has_table(conn, "schema_info"):
                raise self._missing()
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _has_table(conn, table):
        return conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is not None

    # ---------------------------------------------------------- SQLite
    def _connect_sqlite(self):
        path = Path(self.url)
        if path.is_dir():
            raise DatabaseError(f"{self.name} is a folder, not a file")
        if not path.exists():
            if not self.create:
                raise self._missing()
            if not path.parent.is_dir():
                raise DatabaseError(f"{self.name}: folder {str(path.parent)!r} does not exist")
            self._create_sqlite(path)
        self._check_ours(path)
        try:
            return _read_only(path)        # until the first write (:meth:`_writable`)
        except sqlite3.Error as e:
            raise DatabaseError(f"cannot open {self.name}: {e}") from None

    def _writable(self):
        """Reopen a SQLite database read-write (and in WAL mode) for its first write: a
        database refused for its schema version is never written to."""
        if self.postgres or self._read_write:
            return
        if not self.create:
            raise DatabaseError(f"{self.name} is open read only")
        try:
            conn = _while_busy(self._open_sqlite, self.name)
        except sqlite3.Error as e:
            raise DatabaseError(f"cannot open {self.name}: {e}") from None
        self._conn.close()
        self._conn, self._read_write = conn, True

    def _create_sqlite(self, path):
        """Make the database under a temporary name and link it into place: a process
        killed while making it leaves no file at ``path``, and of simultaneous makers one
        wins and the others use its file."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
        try:
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(_SCHEMA_INFO)
            finally:
                conn.close()
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass                    # another process made it first: use theirs
        except (OSError, sqlite3.Error) as e:
            raise DatabaseError(f"cannot create {self.name}: "
                                f"{getattr(e, 'strerror', None) or e}") from None
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)

    def _check_ours(self, path):
        """Refuse, reading only, a file at ``path`` that is not a tilewright database."""
        try:
            with open(path, "rb") as f:
                head = f.read(len(_SQLITE_MAGIC))
        except OSError as e:
            raise DatabaseError(f"cannot read {self.name}: {e.strerror}") from None
        if not head:
            raise DatabaseError(f"{self.name} is an empty file, not a tilewright {self.label}")
        if head != _SQLITE_MAGIC:
            raise DatabaseError(f"{self.name} is not a SQLite file")
        try:
            conn = _while_busy(lambda: _read_only(path), self.name)
            try:
                found = _while_busy(lambda: conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
                    "'schema_info'").fetchone(), self.name)
            finally:
                conn.close()
        except sqlite3.Error as e:
            raise DatabaseError(f"{self.name} is damaged: {e}") from None
        if found is None:
            raise DatabaseError(f"{self.name} is another program's SQLite database (no "
                                f"tilewright schema version in it)")

    def _open_sqlite(self):
        conn = sqlite3.connect(self.url, timeout=60, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=60000")
            # a database made before it was made whole may still be in another mode
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            conn.close()
            raise
        return conn

    # ---------------------------------------------------------- statements
    def _raw(self, text, args=()):
        return self._conn.execute(text.replace("?", "%s") if self.postgres else text, args)

    def execute(self, text, args=()):
        """Run one statement (``?`` placeholders) outside a transaction; the cursor."""
        try:
            return self._raw(text, args)
        except sqlite3.Error as e:
            raise DatabaseError(f"{self.name}: {e}") from None
        except Exception as e:
            if not self.postgres or type(e).__module__.split(".")[0] != "psycopg":
                raise
            raise DatabaseError(f"{self.name}: {_one_line(e)}") from None

    def transaction(self, statements):
        """Run ``[(sql, args), ...]`` as one transaction (all or nothing)."""
        self._writable()

        def attempt():
            if self.postgres:
                with self._conn.transaction():
                    for sql, args in statements:
                        self.execute(sql, args)
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._raw(sql, args)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        try:
            _while_busy(attempt, self.name)
        except sqlite3.Error as e:
            raise DatabaseError(f"{self.name}: {e}") from None

    def ensure_schema(self, row, version, statements, store=None):
        """Create the tables of one store (``statements``, idempotent ``CREATE ... IF NOT
        EXISTS``) and record its schema ``version`` in ``schema_info`` row ``row``; refuse
        a database whose schema there is newer than ``version`` (the message names
        ``store`` when given) before creating anything, and one that holds a table of
        ``statements`` but no ``schema_info`` (another program's). Read only
        (``create=False``): nothing is created, and a store not there yet is an error.
        Returns the stored version."""
        stored = self._stored(row)
        self._check_version(stored, version, store)
        if not self.create:
            if stored is None:
                raise DatabaseError(f"{self.name} holds no {store or 'records'} yet")
            return stored
        if self.postgres:
            # one statement, so one snapshot: a concurrent first open creating both
            # tables is seen as having made both or neither
            tables = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", " ".join(statements))
            found = self._conn.execute(
                "SELECT " + ", ".join(["to_regclass(%s)"] * (len(tables) + 1)),
                ("schema_info", *tables)).fetchone()
            if found[0] is None:
                for table, there in zip(tables, found[1:]):
                    if there is not None:
                        raise DatabaseError(f"{self.name} is not a tilewright {self.label}: "
                                            f"it has a {table} table but no schema_info")
        # PostgreSQL's CREATE TABLE IF NOT EXISTS fails in a concurrent first open (both
        # see no table, one insert of its type clashes): serialized by a lock held to the
        # end of the transaction
        lock = [("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))] if self.postgres else []
        self.transaction(
            lock + [(_SCHEMA_INFO, ())] + [(s, ()) for s in statements]
            + [("INSERT INTO schema_info (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO NOTHING", (row, str(version)))])
        stored = self.stored_version(row)
        self._check_version(stored, version, store)
        return stored

    def _check_version(self, stored, version, store):
        if stored is not None and stored > version:
            which = f"{store} schema" if store else "schema"
            raise DatabaseError(f"{self.name} has {which} version {stored}; "
                                f"this tilewright reads up to {version}")

    def _stored(self, row):
        """The version in ``schema_info`` row ``row``, or ``None`` (no row or no table)."""
        if self.postgres and not self._has_table(self._conn, "schema_info"):
            return None
        found = self.execute("SELECT value FROM schema_info WHERE name = ?", (row,)).fetchone()
        return None if found is None else int(found[0])

    def stored_version(self, row):
        """The schema version in ``schema_info`` row ``row``."""
        return int(self.execute("SELECT value FROM schema_info WHERE name = ?",
                                (row,)).fetchone()[0])

    def close(self):
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
