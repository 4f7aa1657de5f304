"""The run store on SQLite and on a real PostgreSQL server: start, record, resume; a resume
with another config or kind refused in one line naming the fields, before any write;
JSON-only values; the cost records' connection shared; four concurrent writers."""

import multiprocessing
import sqlite3

import pytest

from tilewright.flows.costs import SCHEMA_VERSION as COST_SCHEMA_VERSION
from tilewright.flows.costs import CostDB
from tilewright.flows.costs.database import DatabaseError
from tilewright.flows.runs import SCHEMA_VERSION, RunError, open_run

CONFIG = {"seed": 3, "budget": 8, "space": {"rows": [2, 4], "clock": 700}}


def test_record_and_resume(db_url):
    with open_run(db_url, "r1", kind="sweep", config=CONFIG) as run:
        assert run.done() == {}
        assert run.record("a", (1, 2.5)) == [1, 2.5]
        run.record("b", {"x": None, "ok": True})
        run.record("a", [3])                    # replaced
        assert list(run.record("o", {"z": 1, "a": 2})) == ["z", "a"]     # keys keep order
    with open_run(db_url, "r1", kind="sweep", config=dict(CONFIG)) as run:
        assert run.done() == {"b": {"x": None, "ok": True}, "a": [3], "o": {"z": 1, "a": 2}}
        assert list(run.done()["o"]) == ["z", "a"]
        assert run.config == CONFIG
    with open_run(db_url, "r2", kind="sweep", config=CONFIG) as other:
        assert other.done() == {}               # runs are apart


def test_resume_with_another_config_refused(db_url):
    open_run(db_url, "r", kind="sweep", config=CONFIG).close()
    changed = {**CONFIG, "seed": 4, "space": {"rows": [2, 4]}, "extra": 1}
    with pytest.raises(RunError) as e:
        open_run(db_url, "r", kind="sweep", config=changed)
    assert str(e.value) == ("run 'r' was started with another config: extra was (absent), "
                            "now 1; seed was 3, now 4; space.clock was 700, now (absent)")
    with pytest.raises(RunError) as e:
        open_run(db_url, "r", kind="codesign", config=CONFIG)
    assert str(e.value) == "run 'r' is a sweep run, not codesign"
    with open_run(db_url, "r", kind="sweep", config=CONFIG) as run:
        assert run.config == CONFIG             # nothing was overwritten


def test_bad_input(tmp_path):
    url = str(tmp_path / "runs.sqlite")
    with pytest.raises(TypeError) as e:
        open_run(url, "r", kind="sweep", config={"f": {1, 2}})
    assert str(e.value) == ("a run's config must be JSON data (dicts, lists, str, finite "
                            "numbers, bool, None): Object of type set is not JSON serializable")
    with pytest.raises(RunError) as e:
        open_run(url, "", kind="sweep", config={})
    assert str(e.value) == "run id must be a non-empty string, not ''"
    with open_run(url, "r", kind="sweep", config={}) as run:
        with pytest.raises(TypeError) as e:
            run.record("k", float("nan"))
        assert str(e.value).startswith("the value of 'k' must be JSON data")
        with pytest.raises(TypeError) as e:
            run.record(3, 1)
        assert str(e.value) == "a run record's key must be a string, not 3"
        assert run.done() == {}


def test_shares_the_cost_database(tmp_path):
    url = str(tmp_path / "costs.sqlite")
    with CostDB(url) as db:
        run = open_run(db, "r", kind="sweep", config={})
        run.record("k", 1)
        run.close()                             # the CostDB's connection stays open
        assert len(db) == 0 and db.schema_version == COST_SCHEMA_VERSION
    tables = {r[0] for r in sqlite3.connect(url).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"cost_records", "runs", "run_records", "schema_info"} <= tables


def test_newer_schema_refused(tmp_path):
    url = str(tmp_path / "runs.sqlite")
    open_run(url, "r", kind="sweep", config={}).close()
    conn = sqlite3.connect(url)
    conn.execute("UPDATE schema_info SET value = '99' WHERE name = 'runs_version'")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError) as e:
        open_run(url, "r", kind="sweep", config={})
    assert str(e.value) == (f"database {url!r} has run store schema version 99; this "
                            f"tilewright reads up to {SCHEMA_VERSION}")


def _writer(url, start):
    with open_run(url, "shared", kind="sweep", config=CONFIG) as run:
        for i in range(start, start + 25):
            run.record(f"k{i}", i)


def test_four_concurrent_writers_lose_nothing(db_url):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(db_url, k * 1000)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with open_run(db_url, "shared", kind="sweep", config=CONFIG) as run:
        assert run.done() == {f"k{k * 1000 + i}": k * 1000 + i
                              for k in range(4) for i in range(25)}
