"""Run the cocotb regressions of blocks and configs on Verilator.

A failing run names its seed and the one command that replays it.
"""

import random
import shlex

from tilewright.gen.catalogue import get_block
from tilewright.cosim.runner import run, test_names
from tilewright.flows.generate import generate

__all__ = ["check_testcase", "regress_block", "regress_config", "replay_command", "new_seed"]


def new_seed():
    return random.SystemRandom().randrange(1, 2**31)


def replay_command(block_name, params, seed, testcase=None):
    """The ``tilewright regress`` command line that reruns this exact regression."""
    block = get_block(block_name)
    args = ["tilewright", "regress", "--block", block_name]
    for p in block.params:
        if params.get(p.name) is not None and params[p.name] != p.default:
            args += ["--param", f"{p.name}={params[p.name]}"]
    args += ["--seed", str(seed)]
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
               replay=replay_command(block_name, item.params, seed, testcase))


def regress_config(config, *, seed=None, waves=False, on_stage=None):
    """Regress every instance of ``config``; yields ``(instance, RunResult)``.
    ``on_stage(instance, name)``, when given, is called as each stage starts."""
    for inst in config.instances:
        result = regress_block(
            inst.block, inst.params, seed=seed, waves=waves, instance=inst.instance,
            on_stage=None if on_stage is None else lambda name: on_stage(inst, name))
        yield inst, result
