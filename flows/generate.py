"""Generate Verilog for one block or a whole config, and write it safely.

Everything is elaborated (and, when asked, linted) before the first file is written; files
are written under temporary names and renamed, so a failure leaves the output folder as
it was.
"""

import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tilewright.cosim.toolchain import lint, tool_versions
from tilewright.gen import hierarchy
from tilewright.gen.catalogue import get_block
from tilewright.isa import REGION_BITS

__all__ = ["Generated", "check_params", "generate", "generate_config", "accelerator_params",
           "memory_words_per_cycle", "write", "OutputError", "LintError"]


class OutputError(OSError):
    """The output folder cannot be written."""


class LintError(RuntimeError):
    """Verilator found something in the Verilog besides the named waivers."""


@dataclass(frozen=True)
class Generated:
    """Verilog of one block instance with its resolved parameters and derived facts: the
    generator's (latency, widths) and the golden models' approximation errors."""

    block: str
    instance: str
    params: dict
    verilog: str
    facts: dict

    def manifest(self):
        return {"block": self.block, "module": self.instance, "params": self.params,
                "facts": self.facts, "tools": tool_versions()}


def check_params(block_name, given=None):
    """``given`` with the defaults filled in, checked by building (not elaborating) the
    block's component: raises as :func:`generate` would, before any work is done."""
    block = get_block(block_name)
    params = block.resolve(given)
    block.component(**params)._MustUse__silence = True      # built only to check
    return params


def generate(block_name, given=None, instance=None, errors=True):
    """Elaborate ``block_name`` with ``given`` parameters into a :class:`Generated`;
    ``errors=False`` leaves the golden models' approximation errors out of its facts
    (they import PyTorch), for callers that need the Verilog only."""
    block = get_block(block_name)
    params = block.resolve(given)
    component = block.component(**params)
    name = instance or block.toplevel
    text = hierarchy.convert(component, name)
    facts = block.facts(component) if block.facts else {}
    if errors:
        from tilewright.golden.errors import error_facts     # PyTorch: only when asked
        facts = {**facts, **error_facts(block.name, params)}
    return Generated(block.name, name, params, text, facts)


def generate_config(config):
    return [generate(i.block, i.params, i.instance) for i in config.instances]


def memory_words_per_cycle(accelerator):
    """Words of ``il + fl`` bits main memory delivers per cycle of the accelerator's clock
    at its bandwidth."""
    a = accelerator
    return a.main_memory().bandwidth_gbps * 1e3 / a.clock_mhz * 8 / (a.il + a.fl)


def accelerator_params(accelerator):
    """``{"pe": params, "top": params}`` of the PE and the top built as ``accelerator`` (a
    :class:`tilewright.flows.model.hardware.Accelerator`) says (AccelTran §III-B): its
    lanes, multipliers and softmax units per PE, its softmax and layer-norm vector lengths,
    the format; buffers as deep as their capacity allows (a power of two, at most
    the ISA's ``2**18`` words per region); the DMA beat as many words as main memory
    delivers per cycle (a power of two, at most 64)."""
    a = accelerator
    width = a.il + a.fl
    pe = {"lanes": a.lanes_per_pe, "macs": a.macs_per_lane, "softmax": a.softmax_per_pe,
          "seq": a.vector_length("softmax"), "features": a.vector_length("layernorm"),
          "il": a.il, "fl": a.fl}

    def words(which):
        return min(1 << REGION_BITS, 1 << (a.buffer_bytes(which) * 8 // width).bit_length() - 1)
    beat = min(64, 1 << max(0, math.ceil(math.log2(memory_words_per_cycle(a)))))
    top = {"pes": a.pes, **pe, "activation_words": words("activation"),
           "weight_words": words("weight"), "dma_words": beat}
    return {"pe": pe, "top": top}


def check_writable(folder):
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".tilewright-probe-"):
            pass
    except OSError as e:
        raise OutputError(f"output folder {str(folder)!r} is not writable: "
                          f"{e.strerror or e}") from None
    return folder


def write(items, folder, check_lint=True, on_lint=None):
    """Write each :class:`Generated` as ``<instance>.v`` and ``<instance>.json``.

    Lints every module first when ``check_lint`` (calling ``on_lint(item)`` before each);
    raises :class:`LintError` or :class:`OutputError` before writing anything. Every file
    is written under a temporary name first and renamed into place only when all are
    written, so a failure leaves the output folder as it was. Returns the written paths.
    """
    if check_lint:
        with tempfile.TemporaryDirectory() as scratch:
            for item in items:
                if on_lint is not None:
                    on_lint(item)
                path = Path(scratch) / f"{item.instance}.v"
                path.write_text(item.verilog)
                problems = lint(path, item.instance)
                if problems:
                    raise LintError(f"{item.instance}: verilator -Wall: {problems[0]}")
    made = not Path(folder).exists()
    folder = check_writable(folder)
    staged = []
    try:
        for item in items:
            for suffix, text in ((".v", item.verilog),
                                 (".json", json.dumps(item.manifest(), indent=2) + "\n")):
                path = folder / f"{item.instance}{suffix}"
                tmp = path.with_name(f".{path.name}.tmp")
                staged.append((tmp, path))
                tmp.write_text(text)
    except OSError as e:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        if made:
            try:
                folder.rmdir()
            except OSError:
                pass
        raise OutputError(f"cannot write {str(staged[-1][1])!r}: {e.strerror or e}") from None
    for tmp, path in staged:
        os.replace(tmp, path)
    return [path for _, path in staged]
