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
