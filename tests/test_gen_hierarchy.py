"""Hierarchical Verilog: one module per distinct block under ``hierarchy.convert``, plain
submodules otherwise; black boxes without their memories' zero initialisation."""

import re

from amaranth.back import verilog
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from tilewright.cosim.toolchain import lint
from tilewright.gen import hierarchy
from tilewright.gen.gelu_unit import GeluUnit


class Pair(wiring.Component):
    """Two identical GeLU units side by side."""

    def __init__(self):
        super().__init__({"x": In(8).array(2), "y": Out(8).array(2)})

    def elaborate(self, platform):
        m = Module()
        for k in range(2):
            unit = hierarchy.instance(m, f"g{k}", "gelu_l1", GeluUnit(lanes=1, il=4, fl=4))
            m.d.comb += [unit.i.valid.eq(1), unit.i.payload[0].eq(self.x[k]),
                         unit.o.ready.eq(1), self.y[k].eq(unit.o.payload[0])]
        return m


class Store(wiring.Component):
    def __init__(self):
        super().__init__({"addr": In(4), "data": Out(8)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=8, depth=16, init=[])
        port = mem.read_port()
        m.d.comb += [port.addr.eq(self.addr), self.data.eq(port.data)]
        return m


class Holder(wiring.Component):
    def __init__(self):
        super().__init__({"addr": In(4), "data": Out(8)})

    def elaborate(self, platform):
        m = Module()
        store = hierarchy.instance(m, "store", "store", Store(), blackbox=True)
        m.d.comb += [store.addr.eq(self.addr), self.data.eq(store.data)]
        return m


def _modules(text):
    return re.findall(r"^module \\?(\S+?)\s*\(", text, re.MULTILINE)


def test_one_module_per_block(tmp_path):
    text = hierarchy.convert(Pair(), "pair")
    assert _modules(text) == ["pair", "pair__gelu_l1", "pair__gelu_l1.gelu0"]
    assert text.count("pair__gelu_l1 g") == 2           # two instances of one body
    path = tmp_path / "pair.v"
    path.write_text(text)
    assert lint(path, "pair") == []


def test_plain_submodules_outside_convert():
    text = verilog.convert(Pair(), name="pair", emit_src=False)
    assert {"pair.g0", "pair.g1"} <= set(_modules(text))


def test_black_box_without_zero_initialisation():
    text = hierarchy.convert(Holder(), "holder")
    assert "(* blackbox *)\nmodule holder__store(" in text
    assert "initial begin" not in text
    plain = verilog.convert(Store(), name="store", emit_src=False)
    assert "initial begin" in plain
