"""The accelerator top: ``pes`` PEs, the buffers, the DMA and the control block executing a
:mod:`tilewright.isa` instruction stream (AccelTran §III-B, Fig. 4-5; TransCODE Fig. 3).

- :class:`~tilewright.gen.control.Control` takes the instruction stream (``instr``, one
  192-bit word per beat) and issues each instruction in order when its unit is idle;
  FENCE and END as :mod:`tilewright.isa` says; ``done`` rises after END.
- ``pes`` :class:`~tilewright.gen.pe.Pe` run their units concurrently.
- :class:`~tilewright.gen.buffer.Buffer` holds the activation, weight and mask regions
  (behavioural SRAM, a read and a write port per reader and writer, read latency 1; a
  Verilog black box for synthesis).
- :class:`~tilewright.gen.dma.Dma` moves LOAD and STORE words, ``dma_words`` per beat,
  over the main-memory port ``mem_req``/``mem_resp`` (protocol and latency in
  :mod:`tilewright.gen.dma`).

Emitted through :func:`tilewright.gen.hierarchy.convert`, the Verilog holds one module per
distinct block (one PE, one lane slot, one MAC lane, ...), instantiated many times.

Cycles per instruction: :meth:`Top.instruction_cycles` (from the edge that issues it to the
edge of its last write or transfer, with the memory always ready).
"""

from amaranth.hdl import Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from tilewright.blocks import Block, Constraint, Param, format_width
from tilewright.gen import hierarchy
from tilewright.gen.buffer import Buffer, check_ports
from tilewright.gen.control import Control
from tilewright.gen.dma import Dma, request_layout, response_layout
from tilewright.gen.pe import MAX_UNITS, MAX_WIDTH, PE_PARAMS, Pe
from tilewright.isa import FENCE_KINDS, REGION_BITS, WORD_BITS

__all__ = ["Top"]


class Top(wiring.Component):
    """The accelerator.

    Parameters
    ----------
    pes : int
        Processing elements, 1 to 64.
    lanes, macs, softmax, seq, features, il, fl :
        Every PE's, as :class:`~tilewright.gen.pe.Pe`.
    activation_words, weight_words : int
        Depth of the activation and weight buffers, a power of two from 2 to ``2**18``
        (the mask buffer mirrors the activation buffer).
    dma_words : int
        Words the DMA moves per beat, a power of two from 1 to 64.

    Members
    -------
    instr : In(stream.Signature(WORD_BITS))
        The program, one instruction per transfer.
    mem_req : Out(stream.Signature(request_layout(il + fl, dma_words)))
    mem_resp : In(stream.Signature(response_layout(il + fl, dma_words)))
        The main-memory port (:mod:`tilewright.gen.dma`).
    done : Out(1)
        High from the cycle after END is taken.
    """

    def __init__(self, *, pes=2, lanes=2, macs=4, softmax=1, seq=8, features=16, il=4,
                 fl=16, activation_words=1024, weight_words=1024, dma_words=1):
        BLOCK.check(locals())
        self._pe = dict(lanes=lanes, macs=macs, softmax=softmax, seq=seq, features=features,
                        il=il, fl=fl)
        self._pes = pes
        self._words, self._dma_words = (activation_words, weight_words), dma_words
        width = il + fl
        super().__init__({"instr": In(stream.Signature(WORD_BITS)),
                          "mem_req": Out(stream.Signature(request_layout(width, dma_words))),
                          "mem_resp": In(stream.Signature(response_layout(width, dma_words))),
                          "done": Out(1)})

    @staticmethod
    def check_program(instructions, *, pes, lanes, softmax, seq, features, **_):
        """Raise ``ValueError`` naming the first instruction this top cannot execute (and
        the field, with its allowed values): a PE, lane or softmax unit it lacks, a
        vector length other than its units', an empty operation, a FENCE of an unknown
        kind, or a program that does not end with its only END. The control block would
        take such an instruction and ignore it, or a unit would wait for ever."""
        def fail(k, ins, name, allowed):
            raise ValueError(f"instruction {k} ({ins.op}): {name} must be {allowed}, not "
                             f"{getattr(ins, name)!r}")
        kinds = {v: k for k, v in FENCE_KINDS.items()}
        for k, ins in enumerate(instructions):
            if ins.op == "END":
                if k != len(instructions) - 1:
                    raise ValueError(f"instruction {k} (END): END must be the last of the "
                                     f"{len(instructions)} instructions")
                continue
            if ins.op in ("LOAD", "STORE"):
                if ins.n < 1:
                    fail(k, ins, "n", "at least 1")
                continue
            kind = kinds.get(ins.unit) if ins.op == "FENCE" else None
            if ins.op == "FENCE" and kind is None:
                fail(k, ins, "unit", f"a FENCE kind from 0 to {len(FENCE_KINDS) - 1}")
            if kind in ("ALL", "DMA"):
                continue
            if ins.pe >= pes:
                fail(k, ins, "pe", f"a PE from 0 to {pes - 1}")
            units = {"MATMUL": lanes, "ADD": lanes, "SOFTMAX": softmax}.get(ins.op)
            index = "unit" if ins.op != "FENCE" else "x"
            units = {"LANE": lanes, "SOFTMAX": softmax}.get(kind, units)
            if units is not None and getattr(ins, index) >= units:
                fail(k, ins, index, f"a unit from 0 to {units - 1}")
            if ins.op == "FENCE":
                continue
            for name in ("x", "y", "z") if ins.op == "MATMUL" else ("x", "y"):
                if getattr(ins, name) < 1:
                    fail(k, ins, name, "at least 1")
            length = {"SOFTMAX": seq, "LAYERNORM": features}.get(ins.op)
            if length is not None and ins.y != length:
                fail(k, ins, "y", f"the unit's length {length}")
        if not instructions or instructions[-1].op != "END":
            raise ValueError("a program must end with END")

    @staticmethod
    def instruction_cycles(instruction, *, macs, seq, features, il, fl, dma_words,
                           memory_latency=1):
        """Cycles of ``instruction`` (a :class:`tilewright.isa.Instruction`) on its unit,
        from the edge that issues it to the edge of its last write (0 for FENCE and END);
        the memory always ready, of latency ``memory_latency``."""
        i = instruction
        cycles = {
            "LOAD": lambda: Dma.load_cycles(i.n, dma_words, memory_latency),
            "STORE": lambda: Dma.store_cycles(i.n, dma_words),
            "MATMUL": lambda: Pe.matmul_cycles(i.x, i.y, i.z, macs, i.has("BIAS")),
            "ADD": lambda: Pe.add_cycles(i.x, i.y, macs),
            "SOFTMAX": lambda: Pe.softmax_cycles(i.x, seq, fl),
            "LAYERNORM": lambda: Pe.layernorm_cycles(i.x, features, il, fl),
            "PRUNE": lambda: Pe.prune_cycles(i.x, i.y, macs),
        }
        return cycles[i.op]() if i.op in cycles else 0

    @property
    def pes(self):
        return self._pes

    @property
    def pe_params(self):
        return dict(self._pe)

    @property
    def words(self):
        return self._words

    @property
    def dma_words(self):
        return self._dma_words

    def elaborate(self, platform):
        m = Module()
        p = self._pe
        width = p["il"] + p["fl"]
        reads = Pe.read_ports(p["lanes"], p["macs"], p["softmax"])
        writes = Pe.write_ports(p["lanes"], p["macs"], p["softmax"])
        m.submodules.control = control = Control(pes=self._pes, lanes=p["lanes"],
                                                 softmax=p["softmax"])
        m.submodules.dma = dma = Dma(width=width, words=self._dma_words)
        dmas = self._dma_words
        words = "_".join(map(str, self._words))
        buffer = hierarchy.instance(
            m, "buffer", f"buffer_r{self._pes * reads + dmas}_w{self._pes * writes + dmas}"
                         f"_b{width}_{words}",
            Buffer(reads=self._pes * reads + dmas, writes=self._pes * writes + dmas,
                   width=width, words=self._words), blackbox=True)
        wiring.connect(m, wiring.flipped(self.instr), control.instr)
        wiring.connect(m, control.dma, dma.cmd)
        wiring.connect(m, dma.req, wiring.flipped(self.mem_req))
        wiring.connect(m, wiring.flipped(self.mem_resp), dma.resp)
        for t in range(dmas):
            wiring.connect(m, dma.rd[t], buffer.rd[t])
            wiring.connect(m, dma.wr[t], buffer.wr[t])
        m.d.comb += [self.done.eq(control.done), control.dma_finished.eq(dma.finished)]
        name = "pe_" + "_".join(f"{key}{value}" for key, value in p.items())
        for k in range(self._pes):
            pe = hierarchy.instance(m, f"pe{k}", name, Pe(**p))
            wiring.connect(m, control.pe[k], pe.cmd)
            m.d.comb += [control.pe_idle[k].eq(pe.idle), control.pe_fenced[k].eq(pe.fenced)]
            for j in range(reads):
                wiring.connect(m, pe.rd[j], buffer.rd[dmas + k * reads + j])
            for j in range(writes):
                wiring.connect(m, pe.wr[j], buffer.wr[dmas + k * writes + j])
        return m


def _facts(top):
    p = top.pe_params
    dmas = top.dma_words
    return {"read_ports": top.pes * Pe.read_ports(p["lanes"], p["macs"], p["softmax"]) + dmas,
            "write_ports": top.pes * Pe.write_ports(p["lanes"], p["macs"], p["softmax"]) + dmas,
            "buffer_words": list(top.words),
            "multiplications_per_cycle": top.pes * p["lanes"] * p["macs"]}


def _buffer_ports(v):
    """Read and write ports of the buffer of a top with parameters ``v``: every PE's, and
    the DMA's."""
    return (v["pes"] * Pe.read_ports(v["lanes"], v["macs"], v["softmax"]) + v["dma_words"],
            v["pes"] * Pe.write_ports(v["lanes"], v["macs"], v["softmax"]) + v["dma_words"])


def _words(name, what):
    return Param(name, int, 1024, f"words of the {what} buffer, a power of two",
                 low=2, high=1 << REGION_BITS, power_of_two=True)


BLOCK = Block(
    name="top",
    summary="the accelerator: PEs, buffers, DMA and the control block executing the "
            "instruction set (AccelTran §III-B, Fig. 4)",
    component=Top,
    params=(Param("pes", int, 2, "processing elements", low=1, high=MAX_UNITS),
            *PE_PARAMS, _words("activation_words", "activation"),
            _words("weight_words", "weight"),
            Param("dma_words", int, 1, "words the DMA moves per beat, a power of two",
                  low=1, high=64, power_of_two=True)),
    constraints=(format_width(MAX_WIDTH, "the top"),
                 Constraint(("pes", "lanes", "macs", "softmax", "il", "fl", "dma_words"),
                            "the buffer's ports fit one module",
                            lambda v: check_ports(*_buffer_ports(v), v["il"] + v["fl"],
                                                  "the top's buffer ports")),),
    toplevel="top",
    testbench="tilewright.cosim.tb_top",
    stimulus="stimulus",
    facts=_facts,
)
