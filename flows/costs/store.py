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
other instead of failing. The schema is versioned (table ``schema_info``); a database
written by a newer tilewright is refused rather than misread, and one written by an
older one is migrated when opened (schema 1 → 2 adds the ``unit`` and ``context``
columns that :meth:`CostDB.lookup` matches on).

A designer's question, "the mac-lane with multipliers=16 at sky130 and 700 MHz", is
:meth:`CostDB.lookup`: it matches the stored block, parameters (defaults filled in from
the block's :class:`~tilewright.blocks.Param` list) and measurement context, without
generating any Verilog; :meth:`CostDB.missing` lists the ``tilewright characterize``
commands that would measure what is not there yet.
"""

import hashlib
import json
import shlex
import sqlite3
import time
from dataclasses import asdict, dataclass, field, fields

from tilewright.blocks import OPERATION_UNITS
from tilewright.flows.costs.database import Database, DatabaseError

__all__ = ["CostRecord", "CostDB", "CostDBError", "SCHEMA_VERSION", "METHOD_VERSION",
           "DEFAULT_DB", "DEFAULT_CLOCK_MHZ", "DEFAULT_LIBRARY", "DEFAULT_WIRE_LOAD",
           "characterize_command", "cost_key", "open_db"]

SCHEMA_VERSION = 2
#: Bumped when what a record measures, or how, changes: older records are neither reused
#: by characterization nor returned by :meth:`CostDB.lookup`. 4: operation units; 5: one
#: latency convention for every block (docs/characterization.md); 6: the toggles of
#: signals wider than 64 bits counted once (Verilator's coverage counted bit ``b`` with
#: bits ``b - 32``, ``b - 64``, ...: :func:`tilewright.cosim.gate.sim.wide_toggle_aliasing`)
#: and of signals wider than 256 bits counted at all.
METHOD_VERSION = 6
#: The cost database of every command unless ``--db`` names another.
DEFAULT_DB = "tilewright-costs.sqlite"
#: The clock assumed for power figures unless one is given (AccelTran §IV-A: 700 MHz).
DEFAULT_CLOCK_MHZ = 700.0
#: Name of the shipped standard-cell library
#: (:func:`tilewright.cosim.gate.liberty.default_liberty`).
DEFAULT_LIBRARY = "sky130_fd_sc_hd__tt_025C_1v80"
#: The library's own wire-load model.
DEFAULT_WIRE_LOAD = "default"


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

    Units: ``area_um2`` µm²; ``leakage_mw`` mW; ``energy_per_op_pj`` pJ per operation,
    whose machine-readable unit is ``unit`` (one of
    :data:`tilewright.blocks.OPERATION_UNITS`: ``"mac"``, ``"product"``, ``"element"``,
    ``"vector"``, ``"tile"``) of shape ``unit_shape`` (``()``, ``(length,)`` of a vector,
    the tile's dimensions), ``operation`` the same in words; ``latency_cycles`` and
    ``initiation_interval`` cycles (per operation); ``clock_mhz`` the clock assumed; ``dynamic_mw`` =
    energy/op × ops/cycle × clock. ``fmax_mhz`` is the highest clock the mapped
    netlist's critical path allows (:mod:`tilewright.cosim.gate.timing`; ``None`` where it was
    not timed). ``idle_pj_per_cycle`` is the energy per cycle of the block clocked but at
    rest (no transfers; clock pins of its flip-flops and whatever else switches), without
    leakage; ``None`` in records measured before it was. ``technology`` names the library
    (and node). ``latency_cycles`` counts from the clock edge that accepts an operation's
    last input to the edge where its result is first valid at the output (a registered
    output = 1). ``context`` is what, besides the block and its parameters, decided the
    numbers (method version, library, clock, wire-load model, stimulus); ``unit`` and
    ``context`` are ``None``/empty in records of method versions before 4.
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
    unit: str = None
    unit_shape: tuple = None
    context: dict = field(default_factory=dict)
    cells: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    created: float = 0.0

    def __post_init__(self):
        if self.unit is not None and self.unit not in OPERATION_UNITS:
            raise ValueError(f"unit must be one of {', '.join(map(repr, OPERATION_UNITS))}, "
                             f"not {self.unit!r}")
        if self.unit_shape is not None:
            object.__setattr__(self, "unit_shape", tuple(self.unit_shape))

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
    "params TEXT NOT NULL, record TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, "
    "unit TEXT, context TEXT)",
    "CREATE INDEX IF NOT EXISTS cost_records_block ON cost_records (block)",
    "CREATE INDEX IF NOT EXISTS cost_records_query ON cost_records (block, params)",
]


def _params_text(params):
    return json.dumps(params, sort_keys=True)


def _match_context(clock_mhz, wire_load):
    """The context fields :meth:`CostDB.lookup` compares besides the library: this method
    version, the random stimulus, the clock and the wire-load model's name."""
    return {"method": METHOD_VERSION, "stimulus": "random", "clock_mhz": float(clock_mhz),
            "wire_load_model": wire_load}


class CostDB(Database):
    """A cost database at ``url``: a file path (SQLite) or ``postgresql://...``;
    ``create=False`` to read one that must exist, writing nothing
    (:class:`~tilewright.flows.costs.database.Database`)."""

    label = "cost database"
    made_by = "`tilewright characterize`"

    def __init__(self, url, *, create=True):
        super().__init__(url, create=create)
        try:
            if self.ensure_schema("version", SCHEMA_VERSION, _SCHEMA) < SCHEMA_VERSION:
                self._migrate()
        except BaseException:
            self.close()
            raise

    def _migrate(self):
        """Schema 1 → 2: the ``unit`` and ``context`` columns (NULL in the old rows, which
        are of method versions before 4, so no lookup matches them). A concurrent opener
        may have migrated first: its columns are then there already (PostgreSQL's ``IF
        NOT EXISTS``; SQLite reports them duplicate)."""
        add = "ADD COLUMN IF NOT EXISTS" if self.postgres else "ADD COLUMN"
        try:
            self.transaction([(f"ALTER TABLE cost_records {add} {column} TEXT", ())
                              for column in ("unit", "context")] + [
                ("UPDATE schema_info SET value = ? WHERE name = 'version'",
                 (str(SCHEMA_VERSION),))])
        except sqlite3.OperationalError as e:
            if "duplicate column" not in str(e):
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
            "INSERT INTO cost_records (key, block, params, record, created, unit, context) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "block = excluded.block, params = excluded.params, record = excluded.record, "
            "created = excluded.created, unit = excluded.unit, context = excluded.context",
            (record.key, record.block, _params_text(record.params),
             json.dumps(data, sort_keys=True), created, record.unit,
             json.dumps(record.context, sort_keys=True) if record.context else None))])

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

    # ---------------------------------------------------------- queries
    def lookup(self, block, params=None, *, library=None, clock_mhz=None,
               wire_load=DEFAULT_WIRE_LOAD):
        """The newest record of ``block`` with ``params`` (defaults filled in from the
        block's parameters) measured by this method version on the random stimulus at
        ``library`` (``None``: the shipped :data:`DEFAULT_LIBRARY`; else a library name,
        the sha256 of its file, or the path it was read from), ``clock_mhz`` (``None``:
        :data:`DEFAULT_CLOCK_MHZ`) and ``wire_load`` (the name given to characterization);
        ``None`` when there is none. Nothing is generated or elaborated.

        Raises :class:`~tilewright.blocks.BlockError` for an unknown block or parameter
        or a value outside its domain.
        """
        from tilewright.gen.catalogue import get_block
        resolved = get_block(block).resolve(params)
        want = _match_context(DEFAULT_CLOCK_MHZ if clock_mhz is None else clock_mhz,
                              wire_load)
        library = DEFAULT_LIBRARY if library is None else str(library)
        rows = self.execute("SELECT record, context FROM cost_records WHERE block = ? AND "
                             "params = ? AND context IS NOT NULL ORDER BY created DESC, key",
                             (block, _params_text(resolved))).fetchall()
        for text, context in rows:
            context = json.loads(context)
            if any(context.get(k) != v for k, v in want.items()):
                continue
            if library in (context.get("technology"), context.get("library"),
                           context.get("library_path")):
                return CostRecord.from_dict(json.loads(text))
        return None

    def missing(self, requests, *, library=None, clock_mhz=None,
                wire_load=DEFAULT_WIRE_LOAD):
        """The ``tilewright characterize`` commands that would measure the requests with
        no record (:meth:`lookup`), in order, without repeats.

        ``requests`` are ``(block, params)`` pairs or objects with ``block`` and
        ``params`` attributes (the instances of a :class:`~tilewright.flows.config.Config`).
        A command names only the parameters that differ from their defaults, ``--liberty``
        when ``library`` is given (pass the library's file path then) and ``--clock-mhz``
        / ``--wire-load`` when they differ from the defaults.
        """
        from tilewright.gen.catalogue import get_block
        commands = []
        for request in requests:
            block, params = ((request.block, request.params) if hasattr(request, "block")
                             else request)
            if self.lookup(block, params, library=library, clock_mhz=clock_mhz,
                           wire_load=wire_load) is not None:
                continue
            command = characterize_command(get_block(block), params, library=library,
                                           clock_mhz=clock_mhz, wire_load=wire_load)
            if command not in commands:
                commands.append(command)
        return commands


def characterize_command(block, params, *, library=None, clock_mhz=None,
                         wire_load=DEFAULT_WIRE_LOAD):
    """The ``tilewright characterize`` command line that measures ``block`` (a
    :class:`~tilewright.blocks.Block`) with ``params``: only parameters that differ from
    their defaults, options only where they differ from theirs."""
    words = ["tilewright", "characterize", block.name, *block.param_args(block.resolve(params))]
    if library is not None:
        words += ["--liberty", str(library)]
    if clock_mhz is not None and float(clock_mhz) != DEFAULT_CLOCK_MHZ:
        words += ["--clock-mhz", f"{float(clock_mhz):g}"]
    if wire_load != DEFAULT_WIRE_LOAD:
        words += ["--wire-load", wire_load]
    return shlex.join(words)


def open_db(url=None, *, create=True):
    """The cost database at ``url`` (default: :data:`DEFAULT_DB` in the current folder);
    ``create=False`` to read one that must exist, writing nothing."""
    return CostDB(DEFAULT_DB if url is None else url, create=create)
