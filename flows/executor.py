"""One executor for independent evaluations: a local process pool or a Dask cluster.

Every sweep and search hands its independent evaluations (characterize a block, run a
regression, train a golden model, simulate a design) to :meth:`Executor.map`, which yields
``(key, result)`` as they finish, whichever executor runs them:

- ``get_executor("local")`` (the default): a pool of spawned worker processes, one per
  core. Each worker is its own process, so a crash or a kill stops one evaluation only.
- ``get_executor("dask", scheduler="tcp://HOST:PORT")``: an existing Dask distributed
  cluster (for example one started by dask-jobqueue on Slurm).
- ``get_executor("dask")``: a Dask ``LocalCluster`` of one single-threaded worker process
  per core, started for this executor and stopped with it.

Failures. An evaluation that raises is reported as :class:`TaskFailed` (its key, the
worker that ran it, the exception, the caller's replay command) after the other
evaluations have finished. A worker that dies during an evaluation (killed, out of
memory, a crash in native code) has that evaluation retried once on another worker
process; a second death is reported the same way. Ctrl-C (``KeyboardInterrupt``), or a
consumer that stops iterating, cancels what has not finished and stops the local workers;
nothing is half-written, because results reach the caller only whole and the databases
write each record in one transaction.

Workers run with ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` defaulting to 1: the pool
already uses every core.
"""

import os
import pickle
import signal
import socket
import sys
import traceback
import uuid
from collections import deque

__all__ = ["Executor", "ExecutorError", "LocalExecutor", "DaskExecutor", "TaskFailed",
           "WorkerDied", "get_executor", "EXECUTORS", "CONNECT_TIMEOUT_S"]

EXECUTORS = ("local", "dask")
CONNECT_TIMEOUT_S = 3
#: Most worker processes of one pool (a typo's million would fork a million processes).
MAX_WORKERS = 256


class ExecutorError(ValueError):
    """The executor cannot start: bad arguments or a scheduler that does not answer."""


class WorkerDied(RuntimeError):
    """The worker process running an evaluation died (twice: the retry died too)."""


class TaskFailed(RuntimeError):
    """Evaluation ``key`` failed on ``worker`` with exception ``cause``.

    ``replay`` is the command that runs this evaluation alone (when the caller gave one),
    ``traceback`` the worker's traceback text, and ``others`` the other evaluations of
    the same :meth:`Executor.map` that failed too (each a :class:`TaskFailed`).
    """

    def __init__(self, key, worker, cause, *, replay=None, traceback=None):
        super().__init__(key, worker, cause)
        self.key = key
        self.worker = worker
        self.cause = cause
        self.replay = replay
        self.traceback = traceback
        self.others = []

    def __str__(self):
        text = f"evaluation {self.key!r} failed on {self.worker}: " \
               f"{type(self.cause).__name__}: {self.cause}"
        if self.replay:
            text += f"\nreplay: {self.replay}"
        if self.others:
            text += f"\n{len(self.others)} more failed: " + \
                    ", ".join(repr(f.key) for f in self.others)
        return text


def get_executor(kind="local", *, scheduler=None, workers=None):
    """The executor ``kind`` (``"local"`` or ``"dask"``); nothing starts before its first
    :meth:`~Executor.map` (or ``with``), so bad arguments fail before any side effect.

    Parameters
    ----------
    kind : str
        ``"local"``: a process pool; ``"dask"``: the cluster at ``scheduler``, or a new
        ``LocalCluster`` when ``scheduler`` is None.
    scheduler : str or None
        A Dask scheduler address (``tcp://HOST:PORT``); only with ``kind="dask"``.
    workers : int or None
        Worker processes of the local pool or LocalCluster (default: the usable cores);
        not with ``scheduler``, whose cluster has its own workers.
    """
    if kind not in EXECUTORS:
        raise ExecutorError(f"executor must be one of {', '.join(EXECUTORS)}, not {kind!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ExecutorError(f"workers must be a positive integer, not {workers!r}")
    if workers is not None and workers > MAX_WORKERS:
        raise ExecutorError(f"workers must be at most {MAX_WORKERS}, not {workers!r}")
    if scheduler is not None:
        if kind != "dask":
            raise ExecutorError(f"scheduler goes with the dask executor, not {kind!r}")
        if "://" not in scheduler:
            raise ExecutorError(f"scheduler must be an address like tcp://HOST:PORT, "
                                f"not {scheduler!r}")
        if workers is not None:
            raise ExecutorError("workers goes with a local pool or a new LocalCluster, "
                                "not with a scheduler (its cluster has its own workers)")
    workers = workers or usable_cores()
    if kind == "local":
        return LocalExecutor(workers)
    return DaskExecutor(scheduler, workers)


def usable_cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                      # not on Linux
        return os.cpu_count() or 1


class Executor:
    """Runs independent evaluations; use as a context manager (or call :meth:`close`)."""

    kind = None

    def map(self, fn, tasks, *, desc=None, replay=None):
        """Run ``fn(*args)`` for every ``key: args`` of ``tasks``; yield ``(key, result)``
        in the order they finish.

        Parameters
        ----------
        fn : callable
            A module-level function (it is pickled by reference to reach the workers).
        tasks : dict
            ``{key: tuple_of_args}``.
        desc : str or None
            The label of a tqdm progress bar on stderr (no bar when None).
        replay : callable or None
            ``replay(key)`` → the command line that reruns one evaluation, put in its
            :class:`TaskFailed`.

        Raises
        ------
        TaskFailed
            After every other evaluation has finished, for the first that failed (the
            others in its ``others``).
        """
        tasks = dict(tasks)
        for key, args in tasks.items():
            if not isinstance(args, tuple):
                raise TypeError(f"the arguments of task {key!r} must be a tuple, "
                                f"not {type(args).__name__}")
        failures = []
        with _progress(desc, len(tasks)) as bar:
            for key, outcome in self._run(fn, tasks):
                bar.update()
                if outcome[0] == "ok":
                    yield key, outcome[1]
                else:
                    _, cause, worker, text = outcome
                    failures.append(TaskFailed(key, worker, cause, traceback=text,
                                               replay=replay(key) if replay else None))
        if failures:
            failures[0].others = failures[1:]
            raise failures[0]

    def _run(self, fn, tasks):
        """Yield ``(key, outcome)`` as tasks finish; ``outcome`` is ``("ok", value)`` or
        ``("error", exception, worker, traceback_text)``."""
        raise NotImplementedError

    def close(self):
        raise NotImplementedError

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        """Start the workers (or connect to the cluster) now rather than at the first
        :meth:`map`."""


def _progress(desc, total):
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="task", file=sys.stderr, disable=desc is None)


# ---------------------------------------------------------------- in the worker
def _where():
    """The worker this runs on: a Dask worker's address, or host and pid."""
    if "distributed" in sys.modules:
        from distributed import get_worker
        try:
            return get_worker().address
        except ValueError:                      # not in a Dask worker
            pass
    return f"{socket.gethostname()} pid {os.getpid()}"


def _picklable(error):
    """``error``, or a RuntimeError of its text if it does not survive pickling (an
    exception whose ``__init__`` wants other arguments than ``args`` cannot be loaded)."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")


def _call(fn, args):
    """``fn(*args)`` as an outcome (see :meth:`Executor._run`)."""
    try:
        return ("ok", fn(*args))
    except Exception as e:
        return ("error", _picklable(e), _where(), traceback.format_exc())


def _die_with_parent():
    """Linux: have the kernel kill this process when its parent dies (a parent killed
    with SIGKILL cannot stop its workers itself)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)     # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _serve(conn):
    """A local worker: run the pickled ``(fn, args)`` it receives until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # the parent handles Ctrl-C
    _die_with_parent()
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if not message:
            return
        try:
            fn, args = pickle.loads(message)
        except Exception as e:
            outcome = ("error", _picklable(e), _where(), traceback.format_exc())
        else:
            outcome = _call(fn, args)
        try:
            data = pickle.dumps(outcome)
        except Exception as e:                  # an unpicklable result
            data = pickle.dumps(("error", _picklable(e), _where(), traceback.format_exc()))
        conn.send_bytes(data)


# ---------------------------------------------------------------- local pool
class _Worker:
    """One spawned worker process and the pipe to it."""

    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), name="tilewright-worker")
        self.process.start()
        child.close()
        self.task = None                        # the key it is running

    @property
    def name(self):
        return f"{socket.gethostname()} pid {self.process.pid}"

    def stop(self, kill=False):
        if kill or self.task is not None:
            self.process.kill()
        else:
            try:
                self.conn.send_bytes(b"")
            except OSError:
                pass
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class LocalExecutor(Executor):
    """A pool of ``workers`` spawned processes on this machine."""

    kind = "local"

    def __init__(self, workers):
        self.workers = workers
        self._pool = []

    def start(self):
        import multiprocessing
        ctx = multiprocessing.get_context("spawn")
        env = {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
        for name in env:
            os.environ.setdefault(name, "1")     # inherited by the spawned workers
        try:
            while len(self._pool) < self.workers:
                self._pool.append(_Worker(ctx))
        finally:
            for name, value in env.items():
                if value is None:
                    del os.environ[name]

    def _replace(self, worker):
        worker.stop(kill=True)
        self._pool.remove(worker)
        self.start()

    def _run(self, fn, tasks):
        from multiprocessing.connection import wait
        self.start()
        payloads = {}
        for key, args in tasks.items():
            try:
                payloads[key] = pickle.dumps((fn, args))
            except Exception as e:
                yield key, ("error", _picklable(e), "this process (not sent)",
                            traceback.format_exc())
        queue = deque(payloads)
        attempts = dict.fromkeys(payloads, 0)
        finished = False
        try:
            while queue or any(w.task is not None for w in self._pool):
                for worker in self._pool:
                    if queue and worker.task is None:
                        worker.task = queue.popleft()
                        attempts[worker.task] += 1
                        try:
                            worker.conn.send_bytes(payloads[worker.task])
                        except OSError:         # it died idle: its sentinel tells below
                            pass
                busy = [w for w in self._pool if w.task is not None]
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for worker in busy:
                    if worker.conn in ready:
                        try:
                            outcome = pickle.loads(worker.conn.recv_bytes())
                        except (EOFError, OSError):
                            outcome = None      # died: its sentinel tells the same
                        if outcome is not None:
                            key, worker.task = worker.task, None
                            yield key, outcome
                            continue
                    if worker.conn in ready or worker.process.sentinel in ready:
                        key = worker.task
                        worker.process.join()
                        death = WorkerDied(f"worker process died (exit code "
                                           f"{worker.process.exitcode}) "
                                           f"in attempt {attempts[key]} of 2")
                        name = worker.name
                        self._replace(worker)
                        if attempts[key] < 2:
                            queue.appendleft(key)
                        else:
                            yield key, ("error", death, name, None)
            finished = True
        finally:
            if not finished:                    # Ctrl-C, or the consumer stopped
                self.close()

    def close(self):
        for worker in self._pool:
            worker.stop()
        self._pool = []


# ---------------------------------------------------------------- Dask
class DaskExecutor(Executor):
    """The Dask cluster at ``scheduler``, or a LocalCluster of ``workers`` processes."""

    kind = "dask"

    def __init__(self, scheduler, workers):
        self.scheduler = scheduler
        self.workers = workers
        self._client = None
        self._cluster = None

    def start(self):
        if self._client is not None:
            return
        import dask
        from distributed import Client
        if self.scheduler is None:
            from distributed import LocalCluster
            # a task whose worker dies is retried once elsewhere, then reported
            with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                             processes=True, dashboard_address=":0",
                                             env={"OMP_NUM_THREADS": "1",
                                                  "MKL_NUM_THREADS": "1"})
            self._client = Client(self._cluster)
            return
        try:
            self._client = Client(self.scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as e:
            raise ExecutorError(f"dask scheduler {self.scheduler} does not answer within "
                                f"{CONNECT_TIMEOUT_S} s ({type(e).__name__})") from None

    def _run(self, fn, tasks):
        from distributed import as_completed
        from distributed.scheduler import KilledWorker
        self.start()
        name = getattr(fn, "__name__", "task")
        futures = {self._client.submit(_call, fn, args, pure=False,
                                       key=f"{name}-{uuid.uuid4().hex}"): key
                   for key, args in tasks.items()}
        finished = False
        try:
            for future in as_completed(futures):
                key = futures[future]
                try:
                    outcome = future.result()
                except KilledWorker as e:
                    worker = getattr(e.last_worker, "address", e.last_worker)
                    outcome = ("error", WorkerDied(f"worker process died in every attempt "
                                                   f"the scheduler allows ({e.allowed_failures}"
                                                   f" retries)"), worker, None)
                except Exception as e:
                    outcome = ("error", e, "the dask cluster", None)
                yield key, outcome
            finished = True
        finally:
            if not finished:                    # Ctrl-C, or the consumer stopped
                self._client.cancel(list(futures))

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
