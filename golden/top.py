"""Bit-exact model of the accelerator top: executes a program of
:mod:`tilewright.isa` instructions on a main-memory image with the blocks' golden models
(AccelTran §III-B, Fig. 4-5).

Every compute instruction is what its unit computes, to the bit: MAC lanes
(:class:`~tilewright.golden.mac_lane.MacLaneModel`, the bias as one more beat of operands
``1.0`` and the bias, ADD as a beat of ``(1.0, 1.0)·(A, B)``), the GeLU unit
(:func:`~tilewright.golden.gelu.gelu_pwl`), the softmax unit
(:func:`~tilewright.golden.softmax.softmax_lut`, ``out_fl = fl``), the layer-norm unit
(:func:`~tilewright.golden.layer_norm.layer_norm_fixed`) and DynaTran
(:func:`~tilewright.golden.dynatran.prune`).

Instructions run one after the other, in program order. The hardware overlaps them; the
program is correct only if its FENCEs make that overlap invisible, and :class:`TopModel`
checks this as it runs: an instruction that reads or writes a word that another unit's
still running instruction writes (or writes a word it reads) raises :class:`ProgramRace`.
An instruction runs from its issue until a FENCE covers it (``FENCE ALL``, or a FENCE on
its unit with a count reaching it) or the next instruction for its unit issues (issue
waits for the unit to be idle).
"""

from types import SimpleNamespace

import torch

from tilewright.fixedpoint import FixedFormat
from tilewright.golden.dynatran import prune
from tilewright.golden.gelu import gelu_pwl
from tilewright.golden.layer_norm import layer_norm_fixed
from tilewright.golden.mac_lane import MacLaneModel
from tilewright.golden.softmax import softmax_lut
from tilewright.isa import BUFFERS, FENCE_KINDS, REGION_BITS, address

__all__ = ["TopModel", "ProgramRace"]


class ProgramRace(ValueError):
    """Two units may touch the same word at once: a FENCE is missing."""


def _rows(base, rows, length, stride):
    """Intervals ``[start, end)`` of ``rows`` rows of ``length`` words, ``stride`` apart."""
    return [(base + r * stride, base + r * stride + length) for r in range(rows)]


def _stride(ins):
    """Row stride of the input of ADD, SOFTMAX, LAYERNORM and PRUNE: ``z``, or ``y``."""
    return ins.z or ins.y


def _overlap(xs, ys):
    return any(a < d and c < b for a, b in xs for c, d in ys)


def _mirror(intervals):
    """The mask words of activation-region intervals (the mask mirrors the activations)."""
    mask = BUFFERS.index("mask") << REGION_BITS
    return [(mask + a, mask + b) for a, b in intervals if a >> REGION_BITS == 0]


class TopModel:
    """What the top outputs for a program.

    Parameters
    ----------
    fmt : FixedFormat
        The datapath's format ``(il, fl)``: every buffer word.
    macs : int
        Multipliers per MAC lane (beats of ``macs`` products).
    acc_width : int or None
        MAC lane accumulator bits (``None``: ``2·(il+fl)``).
    rounding, overflow : str
        The MAC lanes' output rounding and overflow.
    gelu_segments : int
        Chords of the GeLU unit.
    lut_depth, exp_bits : int
        The softmax units' exponent table.
    """

    def __init__(self, *, fmt, macs, acc_width=None, rounding="half-even",
                 overflow="saturate", gelu_segments=64, lut_depth=256, exp_bits=16):
        if not isinstance(fmt, FixedFormat):
            raise TypeError(f"fmt must be a FixedFormat, not {fmt!r}")
        self.fmt = fmt
        self.gelu_segments = gelu_segments
        self.lut_depth, self.exp_bits = lut_depth, exp_bits
        self.lane = MacLaneModel(SimpleNamespace(
            multipliers=macs, fmt=fmt, acc_width=acc_width or 2 * fmt.width,
            rounding=rounding, overflow=overflow, activation="none",
            gelu_segments=gelu_segments, multiplier="exact", multiplier_k=None))
        self.words = {}

    # ------------------------------------------------------------ storage
    def read(self, intervals):
        """The words of ``intervals`` (absent words read 0), as one int64 tensor."""
        return torch.tensor([self.words.get(w, 0) for a, b in intervals for w in range(a, b)],
                            dtype=torch.int64)

    def write(self, intervals, values):
        values = torch.as_tensor(values, dtype=torch.int64).flatten().tolist()
        it = iter(values)
        for a, b in intervals:
            for w in range(a, b):
                self.words[w] = next(it)

    # ------------------------------------------------------------ units
    def _dots(self, a, b):
        """Dot products of the rows of ``a`` and ``b`` (``(n, k)`` each), as the lane
        streams them: beats of M, the accumulator fitted after every beat."""
        m = self.lane.lane.multipliers
        n, k = a.shape
        pad = -(-k // m) * m - k
        a = torch.cat([a, torch.zeros((n, pad), dtype=torch.int64)], 1).view(n, -1, m)
        b = torch.cat([b, torch.zeros((n, pad), dtype=torch.int64)], 1).view(n, -1, m)
        return self.lane.dots(a, b)

    def _result(self, ins, values, intervals):
        """Write ``values`` to ``intervals`` through DynaTran when the PRUNE flag is set."""
        values = torch.as_tensor(values, dtype=torch.int64)
        mask = torch.zeros_like(values, dtype=torch.bool)
        if ins.has("PRUNE"):
            values, mask = prune(values, ins.n)
        self.write(intervals, values)
        self.write(_mirror(intervals), mask.to(torch.int64))

    def _matmul(self, ins):
        one = 1 << self.fmt.fl
        a = self.read(_rows(ins.a, ins.x, ins.y, ins.y)).view(ins.x, 1, ins.y)
        b = self.read(_rows(ins.b, ins.z, ins.y, ins.y)).view(1, ins.z, ins.y)
        a, b = a.expand(ins.x, ins.z, ins.y), b.expand(ins.x, ins.z, ins.y)
        if ins.has("BIAS"):         # one more beat after the row's: (1.0, bias)
            m = self.lane.lane.multipliers
            k = -(-ins.y // m) * m
            pa = torch.zeros((ins.x, ins.z, k + m), dtype=torch.int64)
            pb = torch.zeros_like(pa)
            pa[..., :ins.y], pb[..., :ins.y] = a, b
            pa[..., k] = one
            pb[..., k] = self.read([(ins.c, ins.c + ins.x)]).view(ins.x, 1)
            acc = self._dots(pa.view(-1, k + m), pb.view(-1, k + m))
        else:
            acc = self._dots(a.reshape(-1, ins.y), b.reshape(-1, ins.y))
        out = acc.view(ins.x, ins.z)
        if ins.has("GELU"):
            out = gelu_pwl(out, self.fmt, self.gelu_segments)
        if ins.has("TRANSPOSE"):
            self._result(ins, out.T, _rows(ins.o, ins.z, ins.x, ins.so))
        else:
            self._result(ins, out, _rows(ins.o, ins.x, ins.z, ins.so))

    def _add(self, ins):
        one = 1 << self.fmt.fl
        a = self.read(_rows(ins.a, ins.x, ins.y, _stride(ins)))
        b = self.read(_rows(ins.b, ins.x, ins.y, _stride(ins)))
        ones = torch.full_like(a, one)
        acc = self._dots(torch.stack([ones, ones], 1), torch.stack([a, b], 1))
        self._result(ins, acc.view(ins.x, ins.y), _rows(ins.o, ins.x, ins.y, ins.so))

    def _softmax(self, ins):
        fl = self.fmt.fl
        q = self.read(_rows(ins.a, ins.x, ins.y, _stride(ins))).view(ins.x, ins.y)
        out = softmax_lut(q, fl, self.lut_depth, self.exp_bits, fl)
        self._result(ins, out, _rows(ins.o, ins.x, ins.y, ins.so))

    def _layernorm(self, ins):
        q = self.read(_rows(ins.a, ins.x, ins.y, _stride(ins))).view(ins.x, ins.y)
        g = self.read([(ins.b, ins.b + ins.y)])
        beta = self.read([(ins.c, ins.c + ins.y)])
        out = layer_norm_fixed(q, g, beta, self.fmt.fl, self.fmt.width)
        self._result(ins, out, _rows(ins.o, ins.x, ins.y, ins.so))

    def _prune(self, ins):
        values = self.read(_rows(ins.a, ins.x, ins.y, _stride(ins)))
        kept, mask = prune(values, ins.n)
        out = _rows(ins.o, ins.x, ins.y, ins.so)
        self.write(out, kept)
        self.write(_mirror(out), mask.to(torch.int64))

    # ------------------------------------------------------------ the program
    @staticmethod
    def unit_of(ins):
        """The unit that executes ``ins``: ``("dma",)``, ``(pe, kind, index)`` or None."""
        kind = {"LOAD": "dma", "STORE": "dma", "MATMUL": "lane", "ADD": "lane",
                "SOFTMAX": "softmax", "LAYERNORM": "layernorm", "PRUNE": "dynatran"}.get(ins.op)
        if kind is None:
            return None
        if kind == "dma":
            return ("dma",)
        return (ins.pe, kind, ins.unit if kind in ("lane", "softmax") else 0)

    @staticmethod
    def footprint(ins):
        """``(reads, writes)``: on-chip word intervals ``ins`` touches."""
        if ins.op == "LOAD":
            return [], _rows(ins.o, 1, ins.n, 0)
        if ins.op == "STORE":
            return _rows(ins.a, 1, ins.n, 0), []
        if ins.op == "MATMUL":
            reads = _rows(ins.a, ins.x, ins.y, ins.y) + _rows(ins.b, ins.z, ins.y, ins.y)
            if ins.has("BIAS"):
                reads += [(ins.c, ins.c + ins.x)]
            writes = (_rows(ins.o, ins.z, ins.x, ins.so) if ins.has("TRANSPOSE")
                      else _rows(ins.o, ins.x, ins.z, ins.so))
        elif ins.op in ("ADD", "SOFTMAX", "LAYERNORM", "PRUNE"):
            reads = _rows(ins.a, ins.x, ins.y, _stride(ins))
            if ins.op == "ADD":
                reads += _rows(ins.b, ins.x, ins.y, _stride(ins))
            if ins.op == "LAYERNORM":
                reads += [(ins.b, ins.b + ins.y), (ins.c, ins.c + ins.y)]
            writes = _rows(ins.o, ins.x, ins.y, ins.so)
        else:
            return [], []
        return reads, writes + _mirror(writes)

    def run(self, program, memory):
        """Execute ``program`` (isa.Instruction s, ending with END) on ``memory`` (a 1-D
        integer tensor of main-memory words, values of ``fmt``); returns the main memory
        after END (a new tensor). Raises :class:`ProgramRace` on a missing FENCE and
        ``ValueError`` on a program without END or reading past main memory."""
        memory = torch.as_tensor(memory, dtype=torch.int64).clone()
        running = {}                    # unit → (index, its ordinal on the unit, reads, writes)
        issued = {}                     # unit → instructions issued to it
        for index, ins in enumerate(program):
            if ins.op in ("FENCE", "END"):
                self._fence(ins, running)
                if ins.op == "END":
                    return memory
                continue
            unit = self.unit_of(ins)
            running.pop(unit, None)
            issued[unit] = issued.get(unit, 0) + 1
            reads, writes = self.footprint(ins)
            for other, (j, _, r, w) in running.items():
                if _overlap(reads, w) or _overlap(writes, r) or _overlap(writes, w):
                    raise ProgramRace(f"instruction {index} ({ins.op}) touches words that "
                                      f"instruction {j} ({program[j].op}, still running on "
                                      f"{other}) uses: a FENCE is missing")
            running[unit] = (index, issued[unit], reads, writes)
            self._execute(ins, memory)
        raise ValueError("program must end with END")

    @staticmethod
    def fenced_unit(ins):
        """The unit a FENCE waits for, as :meth:`unit_of` names it; None for ``ALL``."""
        kind = {v: k.lower() for k, v in FENCE_KINDS.items()}[ins.unit]
        if kind == "all":
            return None
        if kind == "dma":
            return ("dma",)
        return (ins.pe, kind, ins.x)

    @classmethod
    def _fence(cls, ins, running):
        unit = None if ins.op == "END" else cls.fenced_unit(ins)
        if unit is None:
            running.clear()
        elif unit in running and running[unit][1] <= ins.n:
            del running[unit]

    def _execute(self, ins, memory):
        if ins.op == "LOAD":
            if ins.mem + ins.n > len(memory):
                raise ValueError(f"LOAD reads main memory up to word {ins.mem + ins.n}, "
                                 f"past its {len(memory)} words")
            self.write(_rows(ins.o, 1, ins.n, 0), memory[ins.mem:ins.mem + ins.n])
        elif ins.op == "STORE":
            if ins.mem + ins.n > len(memory):
                raise ValueError(f"STORE writes main memory up to word {ins.mem + ins.n}, "
                                 f"past its {len(memory)} words")
            memory[ins.mem:ins.mem + ins.n] = self.read(_rows(ins.a, 1, ins.n, 0))
        else:
            {"MATMUL": self._matmul, "ADD": self._add, "SOFTMAX": self._softmax,
             "LAYERNORM": self._layernorm, "PRUNE": self._prune}[ins.op](ins)

    def mask(self, offset, count):
        """``count`` mask bits from activation-region word ``offset`` (1 = pruned)."""
        base = address("mask", offset)
        return self.read([(base, base + count)])

