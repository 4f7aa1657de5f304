"""The local executor: results as they finish, a failure reported after the others finish
(key, worker, replay), a worker that dies retried once then reported, Ctrl-C and an early
stop end the workers, bad arguments refused before anything starts."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tilewright.flows.executor import (ExecutorError, TaskFailed, WorkerDied, get_executor,
                                       usable_cores)


def square(x):
    return x * x


def fail_on(x, bad):
    if x == bad:
        raise ValueError(f"{x} is bad")
    return x


def die_first_times(marker_dir, deaths):
    """Kill this worker the first ``deaths`` times it is called for ``marker_dir``."""
    count = len(os.listdir(marker_dir))
    if count < deaths:
        open(os.path.join(marker_dir, str(count)), "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid()


def sleep_then(seconds, value):
    time.sleep(seconds)
    return value


@pytest.fixture(scope="module")
def pool():
    with get_executor("local", workers=2) as ex:
        yield ex


def test_results_as_they_finish(pool):
    tasks = {"slow": (0.8, "s"), "fast": (0.0, "f")}
    assert list(pool.map(sleep_then, tasks)) == [("fast", "f"), ("slow", "s")]
    assert dict(pool.map(square, {i: (i,) for i in range(20)}, desc="squares")) == \
        {i: i * i for i in range(20)}


def test_failure_reported_after_the_others(pool):
    got = {}
    with pytest.raises(TaskFailed) as e:
        for key, value in pool.map(fail_on, {f"t{i}": (i, 3) for i in range(8)},
                                   replay=lambda key: f"tilewright replay {key}"):
            got[key] = value
    assert got == {f"t{i}": i for i in range(8) if i != 3}
    failed = e.value
    assert failed.key == "t3" and isinstance(failed.cause, ValueError)
    assert failed.worker.split(" pid ")[1].isdigit()
    assert str(failed) == (f"evaluation 't3' failed on {failed.worker}: ValueError: 3 is bad"
                           f"\nreplay: tilewright replay t3")
    assert "raise ValueError" in failed.traceback
    assert dict(pool.map(square, {1: (1,)})) == {1: 1}      # the pool still works


def test_several_failures(pool):
    with pytest.raises(TaskFailed) as e:
        list(pool.map(square, {"a": ("x",), "b": (2,), "c": (None,)}))
    assert sorted([e.value.key] + [o.key for o in e.value.others]) == ["a", "c"]
    assert str(e.value).endswith(f"1 more failed: {e.value.others[0].key!r}")


def test_dead_worker_retried_once(pool, tmp_path):
    pid = dict(pool.map(die_first_times, {"k": (str(tmp_path), 1)}))["k"]
    assert len(os.listdir(tmp_path)) == 1 and pid != os.getpid()


def test_dead_worker_twice_reported(pool, tmp_path):
    with pytest.raises(TaskFailed) as e:
        list(pool.map(die_first_times, {"k": (str(tmp_path), 2), "ok": (str(tmp_path), 0)}))
    assert e.value.key == "k" and isinstance(e.value.cause, WorkerDied)
    assert str(e.value.cause) == "worker process died (exit code -9) in attempt 2 of 2"
    assert not e.value.others


def test_worker_killed_while_idle(pool):
    pool._pool[0].process.kill()
    pool._pool[0].process.join()
    assert dict(pool.map(square, {i: (i,) for i in range(4)})) == {i: i * i for i in range(4)}
    assert all(w.process.is_alive() for w in pool._pool) and len(pool._pool) == 2


def test_unpicklable_argument_reported(pool):
    with pytest.raises(TaskFailed) as e:
        list(pool.map(square, {"lambda": (lambda: 1,), "ok": (2,)}))
    assert e.value.key == "lambda" and e.value.worker == "this process (not sent)"


def test_early_stop_ends_the_workers():
    ex = get_executor("local", workers=2)
    results = ex.map(sleep_then, {i: (0.01 if i == 0 else 30, i) for i in range(3)})
    assert next(results) == (0, 0)
    processes = [w.process for w in ex._pool]
    results.close()                             # the consumer stops: the 30 s tasks end
    assert not any(p.is_alive() for p in processes) and not ex._pool
    ex.close()


INTERRUPTED = """
import os, sys
sys.path.insert(0, sys.argv[1])
from test_executor import sleep_then
from tilewright.flows.executor import get_executor
with get_executor("local", workers=2) as ex:
    print(" ".join(str(w.process.pid) for w in ex._pool), flush=True)
    try:
        print("mapping", flush=True)
        list(ex.map(sleep_then, {i: (60, i) for i in range(4)}))
    except KeyboardInterrupt:
        print("interrupted", flush=True)
"""


def test_ctrl_c_stops_the_workers():
    # as from a shell: Ctrl-C not ignored (a test run may have left this process ignoring
    # it, and a child inherits that, so Python would never raise KeyboardInterrupt)
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPTED, os.path.dirname(__file__)],
                            stdout=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert proc.stdout.readline() == "mapping\n"    # in the try block, however slow the start
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    assert proc.stdout.readline() == "interrupted\n"
    assert proc.wait(20) == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_bad_arguments():
    cases = [(("thread",), {}, "executor must be one of local, dask, not 'thread'"),
             (("local",), {"workers": 0}, "workers must be a positive integer, not 0"),
             (("local",), {"scheduler": "tcp://h:1"},
              "scheduler goes with the dask executor, not 'local'"),
             (("dask",), {"scheduler": "h:1"},
              "scheduler must be an address like tcp://HOST:PORT, not 'h:1'"),
             (("dask",), {"scheduler": "tcp://h:1", "workers": 2},
              "workers goes with a local pool or a new LocalCluster, not with a scheduler "
              "(its cluster has its own workers)")]
    for args, kwargs, message in cases:
        with pytest.raises(ExecutorError) as e:
            get_executor(*args, **kwargs)
        assert str(e.value) == message
    with pytest.raises(TypeError) as e:
        list(get_executor("local").map(square, {"k": 3}))
    assert str(e.value) == "the arguments of task 'k' must be a tuple, not int"
    assert get_executor().workers == usable_cores()


class Unloadable(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


def raise_unloadable():
    raise Unloadable(1, 2)


def test_exception_that_does_not_unpickle(pool):
    with pytest.raises(TaskFailed) as e:
        list(pool.map(raise_unloadable, {"k": ()}))
    assert type(e.value.cause) is RuntimeError and str(e.value.cause) == "Unloadable: 1 and 2"
