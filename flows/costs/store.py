"""Cost records and the cost database (DESIGN.md §4).

A :class:`CostRecord` holds what characterization measured for one (block, parameters):
area, leakage power, dynamic energy per operation, cycles per operation (latency and
initiation interval, from the cosim stimulus), the clock assumed, the technology, the tool
versions and the stimulus. It is stored under :attr:`CostRecord.key`, a hash of everything
that decides its numbers (block, parameters, generator version, tool versions, library,
clock, stimulus), so a record is reused while none of those change.

The database is SQLite by default (a file path) or PostgreSQL (a ``postgresql://`` URL,
through the ``psycopg`` package), with the same SQL for both (the connection layer,
shared with the run store, is :mod:`.database`). Each record is one row written in one
transaction, so a process killed mid-write leaves either the whole record or none of it;
SQLite runs in WAL mode with a busy timeout so that concurrent writers wait for each
other instead of failing. The schema is versioned (table ``schema_info``);
a database written by a newer tilewright is refused rather than misread.
"""

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field, fields

from tilewright.flows.costs.database import Database, DatabaseError

__all__ = ["CostRecord", "CostDB", "CostDBError", "SCHEMA_VERSION", "cost_key", "open_db"]

SCHEMA_VERSION = 1


CostDBError = DatabaseError
"""The cost database cannot be opened or has an unknown schema."""


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
    "CREATE TABLE IF NOT EXISTS cost_records (key TEXT PRIMARY KEY, block TEXT NOT NULL, "
    "params TEXT NOT NULL, record TEXT NOT NULL, created DOUBLE PRECISION NOT NULL)",
    "CREATE INDEX IF NOT EXISTS cost_records_block ON cost_records (block)",
]


class CostDB(Database):
    """A cost database at ``url``: a file path (SQLite) or ``postgresql://...``;
    ``create=False`` to read one that must exist, writing nothing
    (:class:`~tilewright.flows.costs.database.Database`)."""

    label = "cost database"
    made_by = "`tilewright characterize`"

    def __init__(self, url, *, create=True):
        super().__init__(url, create=create)
        try:
            self.ensure_schema("version", SCHEMA_VERSION, _SCHEMA)
        except BaseException:
            self.close()
            raise

    @property
    def schema_version(self):
        return self.stored_version("version")

    # ---------------------------------------------------------- records
    def put(self, record):
        """Store ``record`` (replacing one with the same key) in one transaction."""
        created = record.created or time.time()
        data = {**asdict(record), "created": created}
        self.transaction([(
            "INSERT INTO cost_records (key, block, params, record, created) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET block = excluded.block, "
            "params = excluded.params, record = excluded.record, created = excluded.created",
            (record.key, record.block, json.dumps(record.params, sort_keys=True),
             json.dumps(data, sort_keys=True), created))])

    def get(self, key):
        """The record stored under ``key``, or ``None``."""
        row = self.execute("SELECT record FROM cost_records WHERE key = ?",
                            (key,)).fetchone()
        return CostRecord.from_dict(json.loads(row[0])) if row else None

    def find(self, prefix):
        """Records whose key starts with ``prefix``."""
        rows = self.execute("SELECT record FROM cost_records WHERE key LIKE ? ORDER BY key",
                             (prefix + "%",)).fetchall()
        return [CostRecord.from_dict(json.loads(r[0])) for r in rows]

    def records(self, block=None):
        """All records (of ``block``), oldest first."""
        if block is None:
            rows = self.execute("SELECT record FROM cost_records ORDER BY created, key")
        else:
            rows = self.execute("SELECT record FROM cost_records WHERE block = ? "
                                 "ORDER BY created, key", (block,))
        return [CostRecord.from_dict(json.loads(r[0])) for r in rows.fetchall()]

    def __len__(self):
        return self.execute("SELECT COUNT(*) FROM cost_records").fetchone()[0]


def open_db(url=None, *, create=True):
    """The cost database at ``url`` (default: ``tilewright-costs.sqlite`` in the current
    folder); ``create=False`` to read one that must exist, writing nothing."""
    return CostDB("tilewright-costs.sqlite" if url is None else url, create=create)
