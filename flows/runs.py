"""Resumable runs: every finished evaluation of a sweep or search, saved under a run id.

A run lives in the same database as the cost records (a SQLite file or a
``postgresql://`` URL, :mod:`tilewright.flows.costs.database`), in two tables: ``runs``
(id, kind, the configuration that decides its results, JSON) and ``run_records`` (run id,
key, value as JSON). :func:`open_run` starts a run or resumes one; a sweep or search asks
:meth:`Run.done` for what is already finished, evaluates only the rest, and saves each
result with :meth:`Run.record`, one transaction each, so a run killed with SIGKILL keeps
every result saved before the kill and no partial one (:meth:`Run.evaluate` does the
three on an executor). With the same configuration (seed included) a resumed run
therefore ends with the same result as an uninterrupted one.
Concurrent writers (several processes recording into one run) are safe.
"""

import json
import time

from tilewright.flows.costs.database import Database

__all__ = ["Run", "RunError", "open_run", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
    "config TEXT NOT NULL, created DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS run_records (run_id TEXT NOT NULL, key TEXT NOT NULL, "
    "value TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, PRIMARY KEY (run_id, key))",
]


class RunError(ValueError):
    """A run cannot be resumed as asked (another kind, another configuration)."""


def _json(value, what):
    """``value`` as JSON text (its dicts' keys in their order; no NaN, which PostgreSQL's
    JSON and other readers refuse)."""
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what} must be JSON data (dicts, lists, str, finite numbers, "
                        f"bool, None): {e}") from None


def _differences(saved, given, path=""):
    """The dotted names of the fields where two JSON configurations differ."""
    if isinstance(saved, dict) and isinstance(given, dict):
        names = []
        for name in sorted(set(saved) | set(given)):
            where = f"{path}.{name}" if path else name
            if name not in saved or name not in given:
                names.append(where)
            else:
                names += _differences(saved[name], given[name], where)
        return names
    return [] if saved == given else [path or "config"]


def _lookup(config, dotted):
    for name in dotted.split("."):
        if not isinstance(config, dict) or name not in config:
            return "(absent)"
        config = config[name]
    return json.dumps(config)


def open_run(db, run_id, *, kind, config):
    """Start run ``run_id`` of ``kind`` (for example ``"codesign"``) with ``config``, or
    resume it if the database has it.

    Parameters
    ----------
    db : str, path or Database
        The database URL (SQLite file or ``postgresql://``), or an open
        :class:`~tilewright.flows.costs.database.Database` such as a ``CostDB`` to share its
        connection.
    run_id : str
    kind : str
        What the run is; resuming a run of another kind is refused.
    config : dict
        JSON data deciding the run's results (seed, budget, space, ...); resuming with a
        different one is refused with a one-line :class:`RunError` naming the fields that
        differ, before anything is written.
    """
    if not isinstance(run_id, str) or not run_id:
        raise RunError(f"run id must be a non-empty string, not {run_id!r}")
    text = _json(config, "a run's config")
    own = not isinstance(db, Database)
    database = Database(db) if own else db
    try:
        database.ensure_schema("runs_version", SCHEMA_VERSION, _SCHEMA, store="run store")
        database.transaction([(
            "INSERT INTO runs (run_id, kind, config, created) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (run_id) DO NOTHING", (run_id, kind, text, time.time()))])
        saved_kind, saved_text = database.execute(
            "SELECT kind, config FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if saved_kind != kind:
            raise RunError(f"run {run_id!r} is a {saved_kind} run, not {kind}")
        saved = json.loads(saved_text)
        given = json.loads(text)
        differ = _differences(saved, given)
        if differ:
            raise RunError(f"run {run_id!r} was started with another config: " + "; ".join(
                f"{name} was {_lookup(saved, name)}, now {_lookup(given, name)}"
                for name in differ))
    except BaseException:
        if own:
            database.close()
        raise
    return Run(database, run_id, kind, saved, own)


class Run:
    """A started or resumed run (from :func:`open_run`); a context manager closing the
    connection it opened."""

    def __init__(self, database, run_id, kind, config, own):
        self.database = database
        self.run_id = run_id
        self.kind = kind
        self.config = config
        self._own = own

    def done(self):
        """The finished evaluations, ``{key: value}`` in the order they were recorded
        (values as JSON gives them back: tuples become lists)."""
        rows = self.database.execute(
            "SELECT key, value FROM run_records WHERE run_id = ? ORDER BY created, key",
            (self.run_id,)).fetchall()
        return {key: json.loads(value) for key, value in rows}

    def record(self, key, value):
        """Save evaluation ``key``'s ``value`` (JSON data) in one transaction, replacing an
        earlier value of ``key``; returns the value as :meth:`done` will give it back, so a
        fresh and a resumed run compute on equal values."""
        if not isinstance(key, str):
            raise TypeError(f"a run record's key must be a string, not {key!r}")
        text = _json(value, f"the value of {key!r}")
        self.database.transaction([(
            "INSERT INTO run_records (run_id, key, value, created) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, "
            "created = excluded.created", (self.run_id, key, text, time.time()))])
        return json.loads(text)

    def evaluate(self, executor, fn, tasks, *, desc=None, replay=None):
        """``{key: fn(*args)}`` for every ``key: args`` of ``tasks``, in their order: the
        values this run has already recorded, and the others computed on ``executor``
        (:meth:`~tilewright.flows.executor.Executor.map`) and recorded as each finishes.
        Keys are strings; values JSON data. A failed evaluation raises
        :class:`~tilewright.flows.executor.TaskFailed` once the others are recorded."""
        done = self.done()
        missing = {key: args for key, args in tasks.items() if key not in done}
        for key, value in executor.map(fn, missing, desc=desc, replay=replay):
            done[key] = self.record(key, value)
        return {key: done[key] for key in tasks}

    def close(self):
        if self._own:
            self.database.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
