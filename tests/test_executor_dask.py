"""The Dask executor: on an existing cluster (by its scheduler address) and on a
LocalCluster it starts; failures name the worker's address; a task whose worker dies is
retried once, then reported; a scheduler that does not answer is one line."""

import os
import socket
import time

import pytest

from test_executor import die_first_times, fail_on, sleep_then, square
from tilewright.flows.executor import (CONNECT_TIMEOUT_S, ExecutorError, TaskFailed,
                                       WorkerDied, get_executor)


@pytest.fixture(scope="module")
def scheduler():
    """An existing cluster of 2 workers that retries a task whose worker died once."""
    import dask
    from distributed import LocalCluster
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0")
    with cluster:
        yield cluster.scheduler_address


def test_existing_cluster(scheduler):
    with get_executor("dask", scheduler=scheduler) as ex:
        tasks = {"slow": (1.0, "s"), "fast": (0.0, "f")}
        assert list(ex.map(sleep_then, tasks, desc="sleep")) == [("fast", "f"), ("slow", "s")]
        got = {}
        with pytest.raises(TaskFailed) as e:
            for key, value in ex.map(fail_on, {i: (i, 2) for i in range(5)},
                                     replay=lambda key: f"replay {key}"):
                got[key] = value
        assert got == {0: 0, 1: 1, 3: 3, 4: 4}
        assert e.value.key == 2 and e.value.worker.startswith("tcp://")
        assert str(e.value) == (f"evaluation 2 failed on {e.value.worker}: ValueError: "
                                f"2 is bad\nreplay: replay 2")


def test_dead_worker_retried_once_then_reported(scheduler, tmp_path):
    once, twice = tmp_path / "once", tmp_path / "twice"
    once.mkdir()
    twice.mkdir()
    with get_executor("dask", scheduler=scheduler) as ex:
        pid = dict(ex.map(die_first_times, {"k": (str(once), 1)}))["k"]
        assert pid != os.getpid() and len(os.listdir(once)) == 1
        with pytest.raises(TaskFailed) as e:
            list(ex.map(die_first_times, {"k": (str(twice), 2)}))
    assert isinstance(e.value.cause, WorkerDied) and e.value.worker.startswith("tcp://")
    assert str(e.value.cause) == ("worker process died in every attempt the scheduler "
                                  "allows (1 retries)")


def test_local_cluster():
    with get_executor("dask", workers=1) as ex:
        assert ex._cluster is not None
        assert dict(ex.map(square, {i: (i,) for i in range(6)})) == {i: i * i for i in range(6)}
    assert ex._cluster is None and ex._client is None


def test_scheduler_that_does_not_answer():
    with socket.socket() as s:                  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ex = get_executor("dask", scheduler=f"tcp://127.0.0.1:{port}")
    start = time.monotonic()
    with pytest.raises(ExecutorError) as e:
        ex.start()
    assert time.monotonic() - start < CONNECT_TIMEOUT_S + 5
    assert str(e.value) == (f"dask scheduler tcp://127.0.0.1:{port} does not answer within "
                            f"{CONNECT_TIMEOUT_S} s (OSError)")
