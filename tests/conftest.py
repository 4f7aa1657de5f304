"""What the tests share: the build cache, readable ids for parameter dicts, running the
CLI in-process (``run_cli``), a block regression with a logged seed (``regress``) and cost
records to store (``cost_record``). Fixtures, not imports, so that the tests run alike
under ``pytest``, ``python -m pytest`` and ``tilewright regress --full``."""

import os
import tempfile

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Builds go to a cache shared by the xdist workers of this session (keyed by content,
    locked per build), unless the user points TILEWRIGHT_CACHE elsewhere."""
    if "TILEWRIGHT_CACHE" not in os.environ:
        os.environ["TILEWRIGHT_CACHE"] = os.path.join(tempfile.gettempdir(),
                                                      "tilewright-test-cache")
    yield


def pytest_make_parametrize_id(config, val, argname):
    """A dict of generator parameters as ``name=value-name=value``."""
    if isinstance(val, dict):
        return "-".join(f"{k}={v}" for k, v in val.items())
    return None


@pytest.fixture
def run_cli(capsys):
    """``run_cli(*argv)`` runs ``tilewright`` in-process: ``(exit code, stdout, stderr)``."""
    from tilewright.cli import main

    def run(*argv):
        with pytest.raises(SystemExit) as info:
            main(list(argv))
            raise SystemExit(0)
        out = capsys.readouterr()
        return info.value.code or 0, out.out, out.err
    return run


@pytest.fixture
def seed():
    """A fresh seed for a randomized test (``TILEWRIGHT_SEED`` fixes it), printed so that a
    failure can be replayed."""
    from tilewright.flows.regress import new_seed
    value = int(os.environ.get("TILEWRIGHT_SEED") or new_seed())
    print(f"seed {value}")
    return value


@pytest.fixture
def regress(seed):
    """``regress(block, params, tests=3)``: the block's cocotb regression on Verilator with
    :func:`seed`; asserts that its ``tests`` tests ran and that no scoreboard found a
    mismatch, returns the result."""
    from tilewright.flows.regress import regress_block

    def run(block, params, tests=3):
        result = regress_block(block, params, seed=seed)
        assert result.tests == tests
        for name, entry in result.report.items():
            if isinstance(entry, dict) and "mismatches" in entry:
                assert entry["mismatches"] == 0, f"{name}: {entry['mismatches']} mismatches"
        return result
    return run


@pytest.fixture
def in_processes():
    """``in_processes(target, arglists, timeout=120)``: ``target(*args)`` in one spawned
    process per ``args`` (forking an xdist worker may deadlock), all started before any
    is waited for; asserts that each exits with status 0."""
    import multiprocessing

    def run(target, arglists, timeout=120):
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=target, args=args) for args in arglists]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout)
            assert p.exitcode == 0
    return run


def make_cost_record(i, block="mac-lane"):
    """A cost record numbered ``i`` (area 100 + i µm², i/2 pJ per operation, ...)."""
    from tilewright.flows.costs.store import CostRecord, cost_key
    params = {"multipliers": 2, "seed": i}
    return CostRecord(key=cost_key(block, params, "0.1.0", {"pyosys": "0.70"}), block=block,
                      params=params, generator_version="0.1.0", area_um2=100.0 + i,
                      leakage_mw=1e-6 * i, energy_per_op_pj=0.5 * i, operation="mac",
                      operations=48, cycles=27, latency_cycles=3, initiation_interval=0.5,
                      clock_mhz=700.0, technology="sky130", node_nm=130, tools={"x": "1"},
                      stimulus={"description": "random"}, details={"blob": "x" * 2000})


@pytest.fixture
def cost_record():
    """``cost_record(i, block="mac-lane")``: :func:`make_cost_record`."""
    return make_cost_record


POSTGRES_MISSING = ("PostgreSQL server binaries (initdb, pg_ctl, postgres) are not on PATH; "
                    "install PostgreSQL 15 (e.g. `apt-get install postgresql-15` and put "
                    "/usr/lib/postgresql/15/bin on PATH), or point "
                    "TILEWRIGHT_TEST_POSTGRES at a server (postgresql://...)")


def _as_server_user(args):
    """``args`` run as the unprivileged user `postgres` when we are root (the server
    refuses to run as root), else as ourselves."""
    import subprocess
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True)


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a PostgreSQL server (without a database name) started from the binaries
    on PATH for this session (one per xdist worker), or TILEWRIGHT_TEST_POSTGRES's."""
    import shutil
    import socket
    if os.environ.get("TILEWRIGHT_TEST_POSTGRES"):
        yield os.environ["TILEWRIGHT_TEST_POSTGRES"].rsplit("/", 1)[0]
        return
    binaries = [shutil.which(name) for name in ("initdb", "pg_ctl", "postgres")]
    if not all(binaries):
        pytest.skip(POSTGRES_MISSING)
    if os.geteuid() == 0:
        import pwd
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and PostgreSQL refuses root: create an "
                        "unprivileged user `postgres` (useradd postgres) to run the server")
    home = tempfile.mkdtemp(prefix="tilewright-pg-")
    if os.geteuid() == 0:
        os.chown(home, user.pw_uid, user.pw_gid)
    data = os.path.join(home, "data")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _as_server_user([binaries[0], "-D", data, "-U", "tilewright", "--auth=trust",
                     "-E", "UTF8", "--no-sync"])
    _as_server_user([binaries[1], "-D", data, "-l", os.path.join(home, "log"), "-w",
                     "-o", f"-p {port} -k {home} -c listen_addresses=127.0.0.1 "
                           f"-c fsync=off -c max_connections=50", "start"])
    try:
        yield f"postgresql://tilewright@127.0.0.1:{port}"
    finally:
        _as_server_user([binaries[1], "-D", data, "-m", "immediate", "stop"])
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A new, empty database on the session's PostgreSQL server."""
    import uuid

    import psycopg
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"{postgres_server}/{name}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """A new database: a SQLite file, then a PostgreSQL database (see postgres_url)."""
    if request.param == "sqlite":
        return str(tmp_path / "test.sqlite")
    return request.getfixturevalue("postgres_url")
