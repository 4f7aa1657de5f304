"""Cost records and the cost database (DESIGN.md §4).

A :class:`CostRecord` holds what characterization measured for one (block, parameters):
area, leakage power, dynamic energy per operation, cycles per operation (latency and
initiation interval, from the cosim stimulus), the clock assumed, the technology, the tool
versions and the stimulus. It is stored under :attr:`CostRecord.key`, a hash of everything
that decides its numbers (block, parameters, generator version, tool versions, library,
clock, stimulus), so a record is reused while none of those change.

The database is SQLite by default (a file path) or PostgreSQL (a ``postgresql://`` URL,
through the ``psycopg`` package), with the same SQL for both. Each record is one row
written in one transaction, so a process killed mid-write leaves either the whole record
or none of it; SQLite runs in WAL mode with a busy timeout so that concurrent writers
wait for each other instead of failing. The schema is versioned (table ``schema_info``);
a database written by a newer tilewright is refused rather than misread.
"""

import hashlib
import json
import os
import re
import sqlite3
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

__all__ = ["CostRecord", "CostDB", "CostDBError", "SCHEMA_VERSION", "cost_key", "open_db"]

SCHEMA_VERSION = 1


class CostDBError(RuntimeError):
    """The cost database cannot be opened or has an unknown schema."""


def _while_busy(action, url, attempts=200, pause=0.05):
    """``action()``, tried again while SQLite reports the database locked or busy (another
    process holds it) for up to ``attempts`` × ``pause`` seconds."""
    for _ in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            time.sleep(pause)
    raise CostDBError(f"cost database {url!r} stayed locked")


def cost_key(block, params, generator_version, tools, context=None):
    """Hash key of (block, parameters, generator version, tool versions, context): the
    context names the library, clock and stimulus, which also decide the numbers."""
    blob = json.dumps([block, params, generator_version, tools, context or {}],
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CostRecord:
    """Measured costs of one block instance.

    Units: ``area_um2`` µm²; ``leakage_mw`` mW; ``energy_per_op_pj`` pJ per operation
    (``operation`` says what one is); ``latency_cycles`` and ``initiation_interval``
    cycles (per operation); ``clock_mhz`` the clock assumed; ``dynamic_mw`` =
    energy/op × ops/cycle × clock. ``fmax_mhz`` is the highest clock the mapped
    netlist's critical path allows (:mod:`tilewright.cosim.gate.timing`; ``None`` where it was
    not timed). ``idle_pj_per_cycle`` is the energy per cycle of the block clocked but at
    rest (no transfers; clock pins of its flip-flops and whatever else switches), without
    leakage; ``None`` in records measured before it was. ``technology`` names the library
    (and node).
    """

    key: str
    block: str
    params: dict
    generator_version: str
    area_um2: float
    leakage_mw: float
    energy_per_op_pj: float
    operation: str
    operations: int
    cycles: int
    latency_cycles: float
    initiation_interval: float
    clock_mhz: float
    technology: str
    node_nm: float
    tools: dict
    stimulus: dict
    fmax_mhz: float = None
    idle_pj_per_cycle: float = None
    cells: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    created: float = 0.0

    @property
    def dynamic_mw(self):
        """Dynamic power at the assumed clock when an operation starts every
        ``initiation_interval`` cycles: pJ × MHz = µW."""
        if not self.initiation_interval:
            return None
        return self.energy_per_op_pj / self.initiation_interval * self.clock_mhz * 1e-3

    @property
    def idle_mw(self):
        """Dynamic power when clocked at the assumed clock but idle (not power-gated)."""
        if self.idle_pj_per_cycle is None:
            return None
        return self.idle_pj_per_cycle * self.clock_mhz * 1e-3

    @property
    def clock_reachable(self):
        """Whether the assumed clock is at most ``fmax_mhz`` (``None`` when untimed)."""
        return None if self.fmax_mhz is None else self.clock_mhz <= self.fmax_mhz

    def to_dict(self):
        return {**asdict(self), "dynamic_mw": self.dynamic_mw, "idle_mw": self.idle_mw}

    @classmethod
    def from_dict(cls, data):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS schema_info (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS cost_records (key TEXT PRIMARY KEY, block TEXT NOT NULL, "
    "params TEXT NOT NULL, record TEXT NOT NULL, created DOUBLE PRECISION NOT NULL)",
    "CREATE INDEX IF NOT EXISTS cost_records_block ON cost_records (block)",
]
#: Seconds to wait for a PostgreSQL server before giving up (unless the URL says).
CONNECT_TIMEOUT_S = 5


def _schema_statements():
    return [(s, ()) for s in _SCHEMA] + [(
        "INSERT INTO schema_info (name, value) VALUES ('version', ?) "
        "ON CONFLICT (name) DO NOTHING", (str(SCHEMA_VERSION),))]


def _read_only(path):
    """A connection that reads the SQLite file at ``path`` and writes nothing, not even
    the ``-wal``/``-shm`` files: immutable when no writer has a ``-wal`` file open."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    if not Path(f"{path}-wal").exists():
        uri += "&immutable=1"
    return sqlite3.connect(uri, uri=True, isolation_level=None)


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _shown(url):
    """``url`` with any password replaced by ``***``, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _one_line(error):
    return " ".join(str(error).split())


class CostDB:
    """A cost database at ``url``: a file path (SQLite) or ``postgresql://...``.

    With ``create`` (the default) a missing database is created; without it (readers)
    a missing one is an error and nothing is written. Either way a file that is not
    already a tilewright cost database (an empty file, random bytes, another program's
    SQLite database) or one of a newer schema is refused before anything is written
    to it: :class:`CostDBError`, whose message names the database.
    """

    def __init__(self, url, *, create=True):
        self.url = str(url)
        self.postgres = self.url.startswith(("postgresql://", "postgres://"))
        if not self.postgres and ("://" in self.url or not self.url.strip()):
            raise CostDBError(f"a cost database is a SQLite file path or a postgresql:// "
                              f"URL, not {self.url!r}")
        if self.postgres:
            self._conn = self._connect_postgres()
            try:
                self._init_postgres(create)
            except BaseException:
                self._conn.close()
                raise
        else:
            self._conn = self._connect_sqlite(create)

    # ---------------------------------------------------------- connection
    def _connect_postgres(self):
        try:
            import psycopg
        except ImportError:
            raise CostDBError("a PostgreSQL cost database needs the 'psycopg' package "
                              "(pip install psycopg)") from None
        timeout = {} if "connect_timeout" in self.url else {"connect_timeout": CONNECT_TIMEOUT_S}
        try:
            return psycopg.connect(self.url, autocommit=True, **timeout)
        except Exception as e:
            raise CostDBError(f"cannot connect to {_shown(self.url)}: {_one_line(e)}") from None

    def _init_postgres(self, create):
        def exists(table):
            return self._execute("SELECT to_regclass(?)", (table,)).fetchone()[0] is not None
        if not exists("schema_info"):
            if exists("cost_records"):
                raise CostDBError(f"{_shown(self.url)} is not a tilewright cost database (it "
                                  f"has a cost_records table but no schema_info)")
            if not create:
                raise CostDBError(f"no cost database at {_shown(self.url)} (no schema_info "
                                  f"table)")
        self._check_version(self._version())
        if create:
            self._transaction(_schema_statements())

    def _connect_sqlite(self, create):
        path = Path(self.url)
        if path.is_dir():
            raise CostDBError(f"cost database {self.url!r} is a folder, not a file")
        if not path.exists():
            if not create:
                raise CostDBError(f"no cost database at {self.url!r} (`tilewright characterize` "
                                  f"writes one)")
            if not path.parent.is_dir():
                raise CostDBError(f"cost database {self.url!r}: folder "
                                  f"{str(path.parent)!r} does not exist")
            self._create_sqlite(path)
        self._check_version(self._sqlite_version(path))
        try:
            if not create:
                return _read_only(path)
            return _while_busy(self._open_sqlite, self.url)
        except sqlite3.Error as e:
            raise CostDBError(f"cannot open cost database {self.url!r}: {e}") from None

    def _create_sqlite(self, path):
        """Create the database under a temporary name and link it into place, so that a
        file at ``path`` is never half made (a process killed while creating leaves no
        file there) and of simultaneous creators one wins and the others use its file."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
        try:
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("BEGIN")
                for sql, args in _schema_statements():
                    conn.execute(sql, args)
                conn.execute("COMMIT")
            finally:
                conn.close()
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass                    # another process created it first: use theirs
        except (OSError, sqlite3.Error) as e:
            raise CostDBError(f"cannot create cost database {self.url!r}: "
                              f"{getattr(e, 'strerror', None) or e}") from None
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)

    def _sqlite_version(self, path):
        """The schema version of the SQLite file at ``path``, read without writing to it;
        :class:`CostDBError` when it is not a tilewright cost database."""
        try:
            with open(path, "rb") as f:
                head = f.read(len(_SQLITE_MAGIC))
        except OSError as e:
            raise CostDBError(f"cannot read cost database {self.url!r}: {e.strerror}") from None
        if not head:
            raise CostDBError(f"cost database {self.url!r} is an empty file, not a tilewright "
                              f"cost database")
        if head != _SQLITE_MAGIC:
            raise CostDBError(f"cost database {self.url!r} is not a SQLite file")
        try:
            conn = _while_busy(lambda: _read_only(path), self.url)
            try:
                row = _while_busy(lambda: conn.execute(
                    "SELECT value FROM schema_info WHERE name = 'version'").fetchone(), self.url)
            finally:
                conn.close()
        except sqlite3.OperationalError as e:
            if "no such table" not in str(e):
                raise CostDBError(f"cannot open cost database {self.url!r}: {e}") from None
            row = None
        except sqlite3.Error as e:
            raise CostDBError(f"cost database {self.url!r} is damaged: {e}") from None
        if row is None:
            raise CostDBError(f"cost database {self.url!r} is another program's SQLite "
                              f"database (no tilewright schema version in it)")
        return int(row[0])

    def _check_version(self, version):
        if version > SCHEMA_VERSION:
            raise CostDBError(f"cost database {_shown(self.url)!r} has schema version "
                              f"{version}; this tilewright reads up to {SCHEMA_VERSION}")

    def _version(self):
        return int(self._execute("SELECT value FROM schema_info WHERE name = 'version'")
                   .fetchone()[0])

    def _open_sqlite(self):
        conn = sqlite3.connect(self.url, timeout=60, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=60000")
            # a database made before creation was atomic may still be in another mode
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            conn.close()
            raise
        return conn

    def _sql(self, text):
        return text.replace("?", "%s") if self.postgres else text

    def _execute(self, text, args=()):
        try:
            return self._conn.execute(self._sql(text), args)
        except sqlite3.Error as e:
            raise CostDBError(f"cost database {self.url!r}: {e}") from None
        except Exception as e:
            if not self.postgres:
                raise
            raise CostDBError(f"cost database {_shown(self.url)}: {_one_line(e)}") from None

    def _transaction(self, statements):
        """Run ``[(sql, args), ...]`` as one transaction (all or nothing)."""
        def attempt():
            if self.postgres:
                with self._conn.transaction():
                    for sql, args in statements:
                        self._execute(sql, args)
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._conn.execute(sql, args)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        try:
            _while_busy(attempt, self.url)
        except sqlite3.Error as e:
            raise CostDBError(f"cost database {self.url!r}: {e}") from None

    @property
    def schema_version(self):
        return self._version()

    def close(self):
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---------------------------------------------------------- records
    def put(self, record):
        """Store ``record`` (replacing one with the same key) in one transaction."""
        created = record.created or time.time()
        data = {**asdict(record), "created": created}
        self._transaction([(
            "INSERT INTO cost_records (key, block, params, record, created) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET block = excluded.block, "
            "params = excluded.params, record = excluded.record, created = excluded.created",
            (record.key, record.block, json.dumps(record.params, sort_keys=True),
             json.dumps(data, sort_keys=True), created))])

    def get(self, key):
        """The record stored under ``key``, or ``None``."""
        row = self._execute("SELECT record FROM cost_records WHERE key = ?",
                            (key,)).fetchone()
        return CostRecord.from_dict(json.loads(row[0])) if row else None

    def find(self, prefix):
        """Records whose key starts with ``prefix``."""
        rows = self._execute("SELECT record FROM cost_records WHERE key LIKE ? ORDER BY key",
                             (prefix + "%",)).fetchall()
        return [CostRecord.from_dict(json.loads(r[0])) for r in rows]

    def records(self, block=None):
        """All records (of ``block``), oldest first."""
        if block is None:
            rows = self._execute("SELECT record FROM cost_records ORDER BY created, key")
        else:
            rows = self._execute("SELECT record FROM cost_records WHERE block = ? "
                                 "ORDER BY created, key", (block,))
        return [CostRecord.from_dict(json.loads(r[0])) for r in rows.fetchall()]

    def __len__(self):
        return self._execute("SELECT COUNT(*) FROM cost_records").fetchone()[0]


def open_db(url=None, *, create=True):
    """The cost database at ``url`` (default: ``tilewright-costs.sqlite`` in the current
    folder); ``create=False`` to read one that must exist, writing nothing."""
    return CostDB("tilewright-costs.sqlite" if url is None else url, create=create)
