"""Run the cocotb regressions of blocks and configs on Verilator.

A failing run names its seed and the one command that replays it.
"""

import random
import shlex

from tilewright.gen.catalogue import get_block
from tilewright.cosim.runner import run
from tilewright.flows.generate import generate

__all__ = ["regress_block", "regress_config", "replay_command", "new_seed"]


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


def regress_block(block_name, given=None, *, seed=None, testcase=None, waves=False,
                  instance=None, keep=False):
    """Generate ``block_name`` and run its testbench; returns the :class:`RunResult`."""
    block = get_block(block_name)
    if block.testbench is None:
        raise ValueError(f"block {block_name!r} has no testbench")
    item = generate(block_name, given, instance)
    seed = new_seed() if seed is None else seed
    return run(block_name, item.params, item.verilog, item.instance, block.testbench,
               seed=seed, testcase=testcase, waves=waves, keep=keep,
               build_args=block.verilator_args,
               replay=replay_command(block_name, item.params, seed, testcase))


def regress_config(config, *, seed=None, waves=False):
    """Regress every instance of ``config``; yields ``(instance, RunResult)``."""
    for inst in config.instances:
        result = regress_block(inst.block, inst.params, seed=seed, waves=waves,
                               instance=inst.instance)
        yield inst, result
