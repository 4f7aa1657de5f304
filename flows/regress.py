"""Run the cocotb regressions of blocks and configs on Verilator.

A failing run names its seed and the one command that replays it.
"""

import json
import random
import shlex
import tempfile
from pathlib import Path

from tilewright.gen.catalogue import get_block
from tilewright.cosim.runner import run, test_names
from tilewright.flows.generate import generate
from tilewright.isa import encode

__all__ = ["check_testcase", "regress_block", "regress_config", "regress_instance",
           "regress_program", "replay_command", "new_seed"]


def new_seed():
    return random.SystemRandom().randrange(1, 2**31)


def replay_command(block_name, params, seed, testcase=None):
    """The ``tilewright regress`` command line that reruns this exact regression."""
    args = ["tilewright", "regress", "--block", block_name,
            *get_block(block_name).param_args(params), "--seed", str(seed)]
    if testcase:
        args += ["--test", testcase]
    return shlex.join(args)


def check_testcase(block_name, testcase):
    """Raise ``ValueError`` listing the tests of ``block_name`` unless ``testcase`` is one
    (or ``None``: all of them)."""
    if testcase is None:
        return
    names = test_names(get_block(block_name).testbench)
    if testcase not in names:
        raise ValueError(f"--test must be one of {', '.join(map(repr, names))} (the tests of "
                         f"{block_name}), not {testcase!r}")


def regress_block(block_name, given=None, *, seed=None, testcase=None, waves=False,
                  instance=None, keep=False, on_stage=None):
    """Generate ``block_name`` and run its testbench; returns the :class:`RunResult`.
    ``on_stage(name)``, when given, is called as each stage (elaboration, build,
    simulation) starts."""
    block = get_block(block_name)
    if block.testbench is None:
        raise ValueError(f"block {block_name!r} has no testbench")
    check_testcase(block_name, testcase)
    if on_stage is not None:
        on_stage("elaboration")
    item = generate(block_name, given, instance)
    seed = new_seed() if seed is None else seed
    return run(block_name, item.params, item.verilog, item.instance, block.testbench,
               seed=seed, testcase=testcase, waves=waves, keep=keep, on_stage=on_stage,
               build_args=block.verilator_args,
               replay=replay_command(block_name, item.params, seed, testcase))


def regress_instance(block_name, params, instance, seed, waves):
    """:func:`regress_block` for one instance of a config, as an executor task (positional
    arguments); the run folder is kept when ``waves`` asks for a waveform."""
    return regress_block(block_name, params, seed=seed, waves=waves, instance=instance,
                         keep=waves)


def regress_config(config, executor, *, seed=None, waves=False, desc=None):
    """Regress every instance of ``config`` on ``executor``
    (:mod:`tilewright.flows.executor`); yields ``(instance, RunResult)`` as each finishes.

    Each instance runs with ``seed``, or with a fresh seed of its own drawn here, so that a
    failure (:class:`~tilewright.flows.executor.TaskFailed`, raised after the others have
    finished) carries the command replaying it.
    """
    instances = {inst.instance: inst for inst in config.instances}
    seeds = {name: new_seed() if seed is None else seed for name in instances}
    tasks = {name: (inst.block, inst.params, name, seeds[name], waves)
             for name, inst in instances.items()}

    def replay(name):
        return replay_command(instances[name].block, instances[name].params, seeds[name])
    for name, result in executor.map(regress_instance, tasks, desc=desc, replay=replay):
        yield instances[name], result


def regress_program(params, instructions, image, expected, *, latency, rate=1.0, seed=None):
    """Run one program (:class:`tilewright.isa.Instruction` s) on the accelerator top built
    with ``params``, main memory ``image`` before and ``expected`` after (word lists), a
    memory of ``latency`` cycles taking at most ``rate`` requests (DMA beats) per cycle
    (``tilewright.cosim.tb_top_program``); returns the
    :class:`RunResult`, whose report's ``program_file`` holds each instruction's issue edge
    (``issued``, from the first's), its cycles by the static formulas with the memory
    always ready (``cycles``) and the edge of every main-memory request (``requests``).
    Raises ``ValueError`` before anything runs for an instruction the top cannot execute
    (:meth:`~tilewright.gen.top.Top.check_program`) and
    :class:`~tilewright.cosim.runner.SimulationFailed` when main memory differs."""
    from tilewright.gen.top import Top
    Top.check_program(instructions, **get_block("top").resolve(params))
    item = generate("top", params, errors=False)
    seed = new_seed() if seed is None else seed
    with tempfile.TemporaryDirectory() as scratch:
        spec = Path(scratch) / "program.json"
        spec.write_text(json.dumps({"words": [hex(encode(i)) for i in instructions],
                                    "image": [int(w) for w in image],
                                    "expected": [int(w) for w in expected],
                                    "latency": latency, "rate": rate}))
        return run("top", item.params, item.verilog, item.instance,
                   "tilewright.cosim.tb_top_program", seed=seed,
                   extra_env={"TILEWRIGHT_PROGRAM": str(spec)})
