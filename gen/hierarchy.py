"""Hierarchical Verilog: one module per distinct block configuration (AccelTran §III-B,
Fig. 5: a PE holds many identical lanes, the top many identical PEs).

Amaranth 0.5 emits every submodule as its own copy (``top.pe0.lane0``,
``top.pe0.lane1``, ... with identical bodies), so a top of P PEs of L lanes would hold
P·L copies of the lane. Here a composite instead asks :func:`instance` for its blocks:
within :func:`convert` each distinct block (named by the caller from its parameters) is
elaborated to Verilog once, as module ``<top>__<name>``, and instantiated with
:class:`amaranth.hdl.Instance` wherever it is used; :func:`convert` returns the top's
Verilog followed by every such module. The text therefore grows with the number of
*distinct* blocks, not with the number of instances, and Verilator builds each body once.

Outside :func:`convert` (plain ``verilog.convert`` or Amaranth's simulator)
:func:`instance` adds the block as an ordinary submodule, so a composite elaborates
either way.
"""

import contextvars
import re
from contextlib import contextmanager

from amaranth.back import verilog
from amaranth.hdl import ClockSignal, Instance, ResetSignal, Value
from amaranth.lib.wiring import Flow

__all__ = ["convert", "instance"]

_library = contextvars.ContextVar("tilewright_hierarchy", default=None)
_TOP_ATTRIBUTE = re.compile(r"^\(\* top =  1  \*\)\n", re.MULTILINE)
#: An ``initial`` block that sets every word of a memory to 0, as Yosys writes it.
_ZERO_INIT = re.compile(r"^  initial begin\n(?:    \\?[\w$.]+ ?\[\d+\] = \d+'h0+;\n)+  end\n",
                        re.MULTILINE)


@contextmanager
def _collecting(prefix):
    token = _library.set({"prefix": prefix, "modules": {}})
    try:
        yield _library.get()
    finally:
        _library.reset(token)


def convert(component, name):
    """Verilog of ``component`` as module ``name``: its own module first, then one module per
    distinct block it (or any block below it) placed with :func:`instance`."""
    outer = _library.get()
    if outer is not None:           # a nested composite shares its parent's library
        return _emit(component, name)
    with _collecting(name) as library:
        text = _emit(component, name)
        return "".join([text, *library["modules"].values()])


def _emit(component, name):
    return verilog.convert(component, name=name, emit_src=False)


def instance(m, submodule, block, component, blackbox=False):
    """Place ``component`` in module ``m`` as submodule ``submodule``; returns the interface
    to connect (``component`` itself, or under :func:`convert` a proxy of its signature
    wired to an instance of module ``<top>__<block>``).

    ``block`` names the configuration: two calls with the same ``block`` must pass
    components that elaborate alike (the caller builds it from every parameter).
    ``blackbox`` gives the module the Verilog attribute ``(* blackbox *)``: simulators
    run its body, Yosys leaves it to a macro; its memories are emitted without their
    all-zero initial contents (an SRAM's are undefined at power-up; Verilator starts them
    at 0), which would otherwise take a line per word."""
    library = _library.get()
    if library is None:
        m.submodules[submodule] = component
        return component
    component._MustUse__silence = True         # elaborated on its own, below
    module = f"{library['prefix']}__{block}"
    if module not in library["modules"]:
        library["modules"][module] = None           # reserved: children come after it
        text = _TOP_ATTRIBUTE.sub("", _emit(component, module))
        if blackbox:
            text = text.replace(f"module {module}(", f"(* blackbox *)\nmodule {module}(", 1)
            text = _ZERO_INIT.sub("", text)
        library["modules"][module] = text
    proxy = component.signature.create(path=(submodule,))
    ports = {}
    for path, member, value in component.signature.flatten(proxy):
        kind = "i" if member.flow == Flow.In else "o"
        ports[f"{kind}_{'__'.join(map(str, path))}"] = Value.cast(value)
    text = library["modules"][module]
    if re.search(r"^\s*input clk;", text, re.MULTILINE):
        ports["i_clk"] = ClockSignal()
    if re.search(r"^\s*input rst;", text, re.MULTILINE):
        ports["i_rst"] = ResetSignal()
    m.submodules[submodule] = Instance(module, **ports)
    return proxy
