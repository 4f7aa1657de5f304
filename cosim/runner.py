"""Build generated Verilog with Verilator and run cocotb testbenches on it.

One build directory per hash of (block, parameters, Verilog text, build options, tool
versions), under
:func:`cache_root`; a build is reused while that hash is unchanged. Builds are guarded by
a file lock and runs get their own directories, so pytest-xdist workers can share the
cache. Parameters reach the testbench as JSON in ``TILEWRIGHT_PARAMS``; the testbench
writes its measurements as JSON to ``TILEWRIGHT_REPORT``.

Verilator's runtime (``verilated.cpp`` and its kin: about 7 s of compilation) depends only
on the tool versions, the compiler and the build options, not on the design: its objects
are kept once per such key (``verilator-runtime/`` beside the builds) and copied into every
new build directory before ``make`` runs, which then finds them up to date.
"""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import threading
import uuid
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tilewright.cosim.children import dying_with_us
from tilewright.cosim.gate.ports import top_ports
from tilewright.cosim.toolchain import tool_versions, verilator_env, waiver_args

__all__ = ["cache_root", "build", "run", "test_names", "RunResult", "SimulationFailed"]

BUILD_STAMP = ".tilewright-built"


def cache_root():
    """Where builds live: ``$TILEWRIGHT_CACHE`` or ``~/.cache/tilewright``."""
    root = os.environ.get("TILEWRIGHT_CACHE") or Path.home() / ".cache" / "tilewright"
    return Path(root) / "build"


def _key(block, params, verilog, build_args):
    blob = json.dumps([block, params, verilog, list(build_args), tool_versions()],
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


#: Verilator's runtime objects: the same for every design built with the same options.
RUNTIME_OBJECTS = ("verilated.o", "verilated_cov.o", "verilated_dpi.o", "verilated_threads.o",
                   "verilated_vpi.o", "verilated_vcd_c.o", "verilated_fst_c.o",
                   "verilated_saif_c.o", "verilated_timing.o")


@lru_cache(maxsize=1)
def _compiler():
    out = subprocess.run(["c++", "--version"], capture_output=True, text=True)
    return out.stdout.splitlines()[0] if out.stdout else out.stderr


def _runtime_dir(build_args):
    """Where the runtime objects of builds with ``build_args`` are kept."""
    blob = json.dumps([tool_versions(), list(build_args), _compiler(),
                       verilator_env().get("MAKEFLAGS", "")], sort_keys=True)
    return cache_root() / "verilator-runtime" / hashlib.sha256(blob.encode()).hexdigest()[:20]


def _seed_runtime(directory, build_args):
    """Copy the kept runtime objects into a verilated build ``directory`` (fresh times:
    newer than the runtime's sources and the makefile Verilator just wrote, so ``make``
    does not compile them again)."""
    kept = _runtime_dir(build_args)
    if kept.is_dir():
        for obj in kept.glob("*.o"):
            shutil.copy(obj, directory / obj.name)


def _keep_runtime(directory, build_args):
    """Keep a finished build's runtime objects for the next builds with its options."""
    kept = _runtime_dir(build_args)
    if kept.is_dir():
        return
    scratch = kept.with_name(f"{kept.name}.{uuid.uuid4().hex[:8]}")
    scratch.mkdir(parents=True)
    for name in RUNTIME_OBJECTS:
        if (directory / name).exists():
            shutil.copy(directory / name, scratch / name)
    try:
        scratch.rename(kept)
    except OSError:                 # another build kept them first
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def _locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _runner(before_make=None):
    """cocotb's Verilator runner, whose commands (build and simulator) die with this
    process (:mod:`~tilewright.cosim.children`), without cocotb's ``--public-flat-rw``
    (every signal visible): :func:`build` names the visible ones; ``before_make()`` is
    called between verilating and ``make``."""
    os.environ.update(verilator_env())
    from cocotb_tools.runner import Verilator

    class Runner(Verilator):
        def _execute_cmds(self, cmds, cwd, stdout=None):
            for cmd in cmds:
                if before_make is not None and cmd[0] == "make":
                    before_make()
                super()._execute_cmds([dying_with_us(cmd)], cwd, stdout)

        def _build_command(self):
            return [[a for a in cmd if a != "--public-flat-rw"]
                    for cmd in super()._build_command()]
    return Runner()


def _cocotb_library_path():
    """``LD_LIBRARY_PATH`` with this environment's cocotb libraries first: a cached
    simulator's run path names the cocotb of the environment that built it, which may have
    moved or been deleted since (another virtualenv sharing the cache); the build key holds
    cocotb's version, so this environment's libraries are the same ones."""
    import cocotb_tools.config
    return os.pathsep.join([str(cocotb_tools.config.libs_dir),
                            *filter(None, [os.environ.get("LD_LIBRARY_PATH")])])


def _public_config(toplevel, public):
    """A Verilator control file making the signals ``public`` of ``toplevel`` visible."""
    return "`verilator_config\n" + "".join(
        f'public_flat_rw -module "{toplevel}" -var "{name}"\n' for name in public)


def build(block, params, verilog, toplevel, *, build_args=(), waves=False, public=None):
    """Compile ``verilog`` (text) into a simulator; returns its build directory.

    ``block`` and ``params`` only name the build. Reused when already built. ``public``:
    the names of the only top-module signals cocotb may access (e.g. the ports of a
    gate-level netlist); by default the top module's ports, all that a testbench drives
    and reads. Every other signal is Verilator's to optimize away (``--trace`` still
    dumps them): PIVOT's flat 64×36 array verilates to 21 MB of C++ instead of cocotb's
    52 MB with every signal visible.
    """
    build_args = [*build_args, *(["--trace"] if waves else [])]
    if public is None:
        public = tuple(top_ports(verilog, toplevel))
    key_args = [*build_args, "public", *public]
    directory = cache_root() / block / _key(block, params, verilog, key_args)
    with _locked(directory.with_suffix(".lock")):
        if _built(directory, toplevel):
            return directory
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        source = directory / f"{toplevel}.v"
        source.write_text(verilog)
        (directory / "params.json").write_text(json.dumps(params, indent=2, sort_keys=True))
        sources = [source, directory / "public.vlt"]
        sources[-1].write_text(_public_config(toplevel, public))
        args = ["-Wall", *waiver_args(), *build_args]
        runner = _runner(before_make=lambda: _seed_runtime(directory, args))
        runner.build(sources=sources, hdl_toplevel=toplevel, build_dir=directory,
                     build_args=args, waves=waves, log_file=directory / "build.log")
        _keep_runtime(directory, args)
        (directory / BUILD_STAMP).write_text(json.dumps(_fingerprint(directory / toplevel)))
    return directory


_HIDDEN = threading.Lock()
_hiding = {"runs": 0, "value": None}


@contextmanager
def _outside_pytest():
    """Hide ``PYTEST_CURRENT_TEST`` from cocotb's runner while runs (in any thread) are
    in progress: we judge the results ourselves."""
    with _HIDDEN:
        if _hiding["runs"] == 0:
            _hiding["value"] = os.environ.pop("PYTEST_CURRENT_TEST", None)
        _hiding["runs"] += 1
    try:
        yield
    finally:
        with _HIDDEN:
            _hiding["runs"] -= 1
            if _hiding["runs"] == 0 and _hiding["value"] is not None:
                os.environ["PYTEST_CURRENT_TEST"] = _hiding["value"]


def _fingerprint(binary):
    """Size and sha256 of the simulator ``binary``: what a build's stamp vouches for."""
    digest = hashlib.sha256()
    with open(binary, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return {"binary": binary.name, "size": binary.stat().st_size, "sha256": digest.hexdigest()}


def _built(directory, toplevel):
    """Whether ``directory`` holds a whole build: a stamp, and the simulator binary it
    names with the size and hash the stamp recorded (a binary deleted or damaged since
    means building again). A stamp from before stamps named the binary is trusted once,
    and rewritten with the binary's fingerprint."""
    stamp, binary = directory / BUILD_STAMP, directory / toplevel
    try:
        text = stamp.read_text()
        if not binary.is_file():
            return False
        found = _fingerprint(binary)
    except OSError:
        return False
    try:
        want = json.loads(text)
    except ValueError:
        want = None
    if not isinstance(want, dict):
        stamp.write_text(json.dumps(found))
        return True
    return want == found


def test_names(test_module):
    """Names of the cocotb tests of ``test_module`` (a dotted module name), in file order."""
    import importlib

    from cocotb._decorators import Test, TestGenerator
    module = importlib.import_module(test_module)
    return [name for name, value in vars(module).items()
            if isinstance(value, (Test, TestGenerator))]


class SimulationFailed(AssertionError):
    """A cocotb test failed; the message says which, the seed, and the log's tail."""


@dataclass
class RunResult:
    """Outcome of :func:`run`: passed/failed counts, the testbench's measurements."""

    tests: int
    failed: int
    seed: int
    directory: Path
    report: dict = field(default_factory=dict)


def _results(xml_path):
    tests, failures = 0, []
    for case in ET.parse(xml_path).iter("testcase"):
        tests += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failures.append(case.get("name"))
    return tests, failures


#: cocotb rewrites the asserts of the Python files matching this (pytest's
#: ``python_files`` globs) as the simulator imports them, for pytest's failure messages.
REWRITE = "COCOTB_REWRITE_ASSERTION_FILES"
#: Our testbenches' files only (the environment variable, when set, wins): cocotb's
#: default, every file, parses and rewrites torch, numpy and Amaranth in every simulator
#: process, none of it cached where Python writes no bytecode (a mac-lane regression
#: 23.2 -> 10.1 s of CPU).
REWRITTEN_FILES = "tb_*.py *_bench.py"


def run(block, params, verilog, toplevel, test_module, *, seed, testcase=None,
        waves=False, build_args=(), extra_env=None, replay=None, keep=False, public=None,
        on_stage=None):
    """Build (or reuse) and run ``test_module``'s cocotb tests with ``seed``.

    Returns a :class:`RunResult`; raises :class:`SimulationFailed` (naming the failing
    tests, the seed and ``replay``, the command that reruns it) when any test fails.
    The run directory is removed after a pass unless ``keep`` or ``waves``. ``public`` as
    for :func:`build`. ``on_stage(name)``, when given, is called as the build and the
    simulation start.
    """
    stage = on_stage or (lambda name: None)
    stage("Verilator build")
    directory = build(block, params, verilog, toplevel, build_args=build_args, waves=waves,
                      public=public)
    stage("simulation")
    test_dir = directory / "runs" / f"{seed}-{uuid.uuid4().hex[:8]}"
    test_dir.mkdir(parents=True)
    results, report, log = (test_dir / "results.xml", test_dir / "report.json",
                            test_dir / "sim.log")
    env = {"TILEWRIGHT_PARAMS": json.dumps(params), "TILEWRIGHT_REPORT": str(report),
           "LD_LIBRARY_PATH": _cocotb_library_path(),
           REWRITE: os.environ.get(REWRITE, REWRITTEN_FILES), **(extra_env or {})}
    runner = _runner()
    try:
        with _outside_pytest():
            runner.test(test_module=test_module, hdl_toplevel=toplevel,
                        hdl_toplevel_lang="verilog", build_dir=directory,
                        test_dir=test_dir, seed=seed, testcase=testcase, extra_env=env,
                        results_xml=str(results), waves=waves, log_file=log)
    except SystemExit:
        pass
    if not results.exists():
        raise SimulationFailed(_failure(block, seed, ["(simulator crashed)"], log, replay))
    tests, failures = _results(results)
    if failures:
        raise SimulationFailed(_failure(block, seed, failures, log, replay))
    measured = json.loads(report.read_text()) if report.exists() else {}
    if not (keep or waves):
        shutil.rmtree(test_dir, ignore_errors=True)
    return RunResult(tests=tests, failed=0, seed=seed, directory=test_dir, report=measured)


def _failure(block, seed, failures, log, replay):
    tail = log.read_text(errors="replace").splitlines()[-40:] if log.exists() else []
    lines = [f"{block}: {len(failures)} cocotb test(s) failed: {', '.join(failures)}",
             f"seed {seed}; log {log}"]
    if replay:
        lines.append(f"replay: {replay}")
    return "\n".join(lines + ["--- log tail ---", *tail])
