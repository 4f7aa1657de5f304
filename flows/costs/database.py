"""The connection layer shared by the cost records and the run store: one database, a
SQLite file or a ``postgresql://`` URL.

The same SQL runs on both (``?`` placeholders, rewritten for psycopg). A write is one
transaction (:meth:`Database.transaction`), so a process killed mid-write leaves all of it
or none; SQLite runs in WAL mode with a busy timeout, and a transaction that finds the
file locked is tried again, so concurrent writers wait for each other instead of failing.
Each store that keeps tables here versions its schema under its own name in the table
``schema_info`` (:meth:`Database.ensure_schema`); a database written by a newer tilewright
is refused rather than misread.
"""

import sqlite3
import time

__all__ = ["Database", "DatabaseError", "is_postgres_url"]


class DatabaseError(RuntimeError):
    """The database cannot be opened, stays locked, or has an unknown schema."""


_SCHEMA_LOCK = 0x7469_6C65        # PostgreSQL advisory lock key of schema creation


def is_postgres_url(url):
    return str(url).startswith(("postgresql://", "postgres://"))


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


class Database:
    """An open connection to the database at ``url``: a file path (SQLite) or
    ``postgresql://...`` (through the ``psycopg`` package). ``label`` names it in
    messages."""

    label = "database"

    def __init__(self, url):
        self.url = str(url)
        self.postgres = is_postgres_url(self.url)
        self._conn = self._connect()

    def _connect(self):
        if self.postgres:
            try:
                import psycopg
            except ImportError:
                raise DatabaseError(f"a PostgreSQL {self.label} needs the 'psycopg' "
                                    f"package (pip install psycopg)") from None
            try:
                return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            except Exception as e:
                reason = " ".join(str(e).split())
                raise DatabaseError(f"cannot connect to {self.url}: {reason}") from None
        try:
            return _while_busy(self._open_sqlite, self.name)
        except sqlite3.Error as e:
            raise DatabaseError(f"cannot open {self.name}: {e}") from None

    @property
    def name(self):
        return f"{self.label} {self.url!r}"

    def _open_sqlite(self):
        conn = sqlite3.connect(self.url, timeout=60, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=60000")
            # switching to WAL takes an exclusive lock and, while another process opens
            # the same new file, fails at once as "locked" without waiting: retried
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            conn.close()
            raise
        return conn

    def execute(self, text, args=()):
        """Run one statement (``?`` placeholders) outside a transaction; the cursor."""
        return self._conn.execute(text.replace("?", "%s") if self.postgres else text, args)

    def transaction(self, statements):
        """Run ``[(sql, args), ...]`` as one transaction (all or nothing)."""
        def attempt():
            if self.postgres:
                with self._conn.transaction():
                    for sql, args in statements:
                        self.execute(sql, args)
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self.execute(sql, args)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        _while_busy(attempt, self.name)

    def ensure_schema(self, row, version, statements, store=None):
        """Create the tables of one store (``statements``, idempotent ``CREATE ... IF NOT
        EXISTS``) and record its schema ``version`` in ``schema_info`` row ``row``; refuse
        a database whose schema there is newer than ``version`` (the message names
        ``store`` when given). Returns the stored version."""
        # PostgreSQL's CREATE TABLE IF NOT EXISTS fails in a concurrent first open (both
        # see no table, one insert of its type clashes): serialized by a lock held to the
        # end of the transaction
        lock = [("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))] if self.postgres else []
        self.transaction(
            lock
            + [("CREATE TABLE IF NOT EXISTS schema_info "
              "(name TEXT PRIMARY KEY, value TEXT NOT NULL)", ())]
            + [(s, ()) for s in statements]
            + [("INSERT INTO schema_info (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO NOTHING", (row, str(version)))])
        stored = self.stored_version(row)
        if stored > version:
            which = f"{store} schema" if store else "schema"
            raise DatabaseError(f"{self.name} has {which} version {stored}; "
                                f"this tilewright reads up to {version}")
        return stored

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
