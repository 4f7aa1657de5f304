"""The cost database answers a designer's question: lookup by block, parameters and
context (defaults filled in, nothing elaborated), the characterize commands of what is
missing, and databases of schema 1 opened and migrated."""

import json
import sqlite3
from dataclasses import replace

import pytest

from tilewright.blocks import BlockError
from tilewright.flows.config import load_config
from tilewright.flows.costs.store import (DEFAULT_CLOCK_MHZ, DEFAULT_LIBRARY, METHOD_VERSION,
                                          SCHEMA_VERSION, CostDB, CostRecord, cost_key)
from tilewright.gen.catalogue import get_block


def measured(block="mac-lane", given=None, *, created=1.0, clock_mhz=DEFAULT_CLOCK_MHZ,
             technology=DEFAULT_LIBRARY, wire_load="default", method=METHOD_VERSION,
             area=100.0):
    """A record as characterization stores it: resolved parameters, its context."""
    params = get_block(block).resolve(given)
    context = {"method": method, "library": "ab" * 32, "technology": technology,
               "library_path": f"lib/{technology}.lib", "clock_mhz": clock_mhz,
               "stimulus": "random", "seed": 1, "wire_load_model": wire_load}
    return CostRecord(key=cost_key(block, params, "0.1.0", {}, {**context, "t": created}),
                      block=block, params=params, generator_version="0.1.0",
                      area_um2=area, leakage_mw=1e-3, energy_per_op_pj=0.5,
                      operation="multiply-accumulate", operations=48, cycles=27,
                      latency_cycles=6, initiation_interval=1 / 16, clock_mhz=clock_mhz,
                      technology=technology, node_nm=130, tools={}, stimulus={},
                      unit="mac", unit_shape=(), context=context, created=created)


@pytest.fixture
def db(tmp_path):
    with CostDB(tmp_path / "c.sqlite") as db:
        yield db


def test_lookup_fills_defaults_and_returns_the_newest(db):
    db.put(measured(created=1.0, area=1.0))
    db.put(measured(created=2.0, area=2.0))
    db.put(measured(given={"multipliers": 4}, created=3.0, area=4.0))
    found = db.lookup("mac-lane", {"multipliers": 16, "il": 4})
    assert found.area_um2 == 2.0 and found.unit == "mac" and found.unit_shape == ()
    assert db.lookup("mac-lane", {}) == found and db.lookup("mac-lane") == found
    assert db.lookup("mac-lane", {"multipliers": 4}).area_um2 == 4.0
    assert db.lookup("mac-lane", {"multipliers": 8}) is None
    assert db.lookup("softmax") is None


def test_lookup_matches_the_context(db):
    db.put(measured(clock_mhz=500.0, area=5.0))
    db.put(measured(technology="other_lib", area=6.0))
    db.put(measured(wire_load="none", area=7.0))
    db.put(measured(method=METHOD_VERSION - 1, area=8.0))
    assert db.lookup("mac-lane") is None              # only the older method at defaults
    assert db.lookup("mac-lane", clock_mhz=500).area_um2 == 5.0
    assert db.lookup("mac-lane", library="other_lib").area_um2 == 6.0
    assert db.lookup("mac-lane", library="lib/other_lib.lib").area_um2 == 6.0
    assert db.lookup("mac-lane", wire_load="none").area_um2 == 7.0


def test_lookup_rejects_unknown_blocks_and_parameters(db):
    with pytest.raises(BlockError) as e:
        db.lookup("mac-lane", {"multiplierz": 4})
    assert str(e.value).startswith("mac-lane: unknown parameter 'multiplierz'; parameters are")
    with pytest.raises(BlockError):
        db.lookup("nope")


def test_missing_lists_exact_commands(db):
    db.put(measured(given={"multipliers": 4}))
    requests = [("mac-lane", {"multipliers": 4}), ("mac-lane", {"multipliers": 8, "fl": 8}),
                ("mac-lane", {"multipliers": 8, "fl": 8}), ("softmax", {}),
                ("mac-lane", {"activation": "gelu"})]
    assert db.missing(requests) == [
        "tilewright characterize mac-lane --param multipliers=8 --param fl=8",
        "tilewright characterize softmax",
        "tilewright characterize mac-lane --param activation=gelu"]
    assert db.missing([("mac-lane", {"multipliers": 4})], clock_mhz=500) == [
        "tilewright characterize mac-lane --param multipliers=4 --clock-mhz 500"]
    assert db.missing([("dynatran", {"transpose": True})], wire_load="none") == [
        "tilewright characterize dynatran --param transpose=True --wire-load none"]


def test_missing_of_a_config(db):
    config = load_config("acceltran-edge")
    commands = db.missing(config.instances)
    assert len(commands) == len({(i.block, json.dumps(get_block(i.block).resolve(i.params),
                                                      sort_keys=True))
                                 for i in config.instances})
    assert all(c.startswith("tilewright characterize ") for c in commands)
    for i in config.instances:
        db.put(measured(i.block, i.params))
    assert db.missing(config.instances) == []


def schema_1_database(path):
    """A cost database as tilewright wrote it before schema 2, open (sqlite3)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE schema_info (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO schema_info VALUES ('version', '1');"
        "CREATE TABLE cost_records (key TEXT PRIMARY KEY, block TEXT NOT NULL, "
        "params TEXT NOT NULL, record TEXT NOT NULL, created DOUBLE PRECISION NOT NULL);")
    return conn


def test_schema_1_database_opens_and_migrates(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = schema_1_database(path)
    old = replace(measured(), unit=None, unit_shape=None, context={})
    data = {k: v for k, v in old.to_dict().items()
            if k not in ("unit", "unit_shape", "context", "dynamic_mw", "idle_mw")}
    conn.execute("INSERT INTO cost_records VALUES (?, ?, ?, ?, ?)",
                 (old.key, old.block, json.dumps(old.params, sort_keys=True),
                  json.dumps(data), 1.0))
    conn.commit()
    conn.close()
    with CostDB(path) as db:
        assert db.schema_version == SCHEMA_VERSION == 2
        got = db.get(old.key)
        assert got.area_um2 == old.area_um2 and got.unit is None
        assert db.lookup("mac-lane") is None        # an older method's record
        db.put(measured(created=5.0))
        assert db.lookup("mac-lane").unit == "mac"
    with CostDB(path) as db:                        # and opens again as schema 2
        assert len(db) == 2


def test_unit_must_be_known():
    with pytest.raises(ValueError) as e:
        replace(measured(), unit="flop")
    assert str(e.value) == ("unit must be one of 'mac', 'product', 'element', 'vector', "
                            "'tile', not 'flop'")


def test_default_library_is_the_shipped_one():
    from tilewright.cosim.gate.liberty import default_liberty, load_liberty
    assert load_liberty(default_liberty()).name == DEFAULT_LIBRARY


def test_costs_missing_command(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "none.sqlite"
    code, out, _ = run_cli("costs", "missing", "mac-lane", "--param", "multipliers=4",
                           "--clock-mhz", "500", "--db", str(path))
    assert (code, out) == (0, "tilewright characterize mac-lane --param multipliers=4 "
                              "--clock-mhz 500\n")
    assert list(tmp_path.iterdir()) == []           # asking creates no file, here or there
    with CostDB(path) as db:
        db.put(measured(given={"multipliers": 4}, clock_mhz=500.0))
    assert run_cli("costs", "missing", "mac-lane", "--param", "multipliers=4",
                   "--clock-mhz", "500", "--db", str(path))[:2] == (0, "")
    code, _, err = run_cli("costs", "missing", "mac-lane", "--config", "acceltran-edge")
    assert (code, err) == (2, "tilewright: error: give exactly one of BLOCK or --config\n")


def _open(path, barrier):
    barrier.wait()
    CostDB(path).close()


def test_concurrent_openers_migrate_once(tmp_path, in_processes):
    import multiprocessing
    path = str(tmp_path / "old.sqlite")
    schema_1_database(path).close()
    barrier = multiprocessing.get_context("spawn").Barrier(4)
    in_processes(_open, [(path, barrier)] * 4)
    with CostDB(path) as db:
        assert db.schema_version == SCHEMA_VERSION
        db.put(measured())
        assert db.lookup("mac-lane") is not None
