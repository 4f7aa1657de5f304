"""Programs for the accelerator top's regressions: :mod:`tilewright.isa` instruction lists
with their main-memory images, made race-free with FENCEs (checked by
:class:`tilewright.golden.top.TopModel` as it computes the expected image).

- :func:`directed`: every instruction kind and flag once (MATMUL plain, BIAS + GELU,
  TRANSPOSE + PRUNE; ADD, SOFTMAX, LAYERNORM, PRUNE with an input row stride; LOAD, STORE
  of values and mask bits), each followed by a FENCE on its own unit, so that the FENCE's
  issue cycle minus the instruction's is the instruction's cycles.
- :func:`concurrent`: a MATMUL on every lane of every PE, a LAYERNORM and a PRUNE on every
  PE, a SOFTMAX on every softmax unit, all issued back to back, then ``FENCE ALL``; with
  ``rounds``, that many times over on fresh inputs (the top's characterization stimulus).
- :func:`unit_work`: the cycles each unit of a program works, for the composed
  characterization of the PE and the top (:mod:`tilewright.flows.compose`).
- :func:`random_program`: rounds of random instructions on random units (random shapes,
  flags and thresholds), ``FENCE ALL`` between rounds; later rounds read earlier results.
"""

from dataclasses import dataclass, field, replace

import torch

from tilewright.cosim.operands import operands
from tilewright.fixedpoint import FixedFormat
from tilewright.isa import FENCE_KINDS, Instruction, address

__all__ = ["Program", "directed", "concurrent", "random_program", "unit_work"]

_KIND = {"LOAD": "DMA", "STORE": "DMA", "MATMUL": "LANE", "ADD": "LANE",
         "SOFTMAX": "SOFTMAX", "LAYERNORM": "LAYERNORM", "PRUNE": "DYNATRAN"}


@dataclass
class Program:
    """A program under construction: instructions, the main-memory image, which
    instructions are timed (each followed by a FENCE on its unit alone) and, for
    :func:`concurrent`, the span (first compute instruction, the FENCE ALL after)."""

    fmt: FixedFormat
    instructions: list = field(default_factory=list)
    image: list = field(default_factory=list)
    timed: list = field(default_factory=list)
    span: tuple = None
    _free: dict = field(default_factory=lambda: {"activation": 0, "weight": 0})
    _done: dict = field(default_factory=dict)      # unit → instructions issued to it

    def alloc(self, buffer, words):
        """An on-chip address of ``words`` free words of ``buffer``."""
        offset = self._free[buffer]
        self._free[buffer] += words
        return address(buffer, offset)

    def memory(self, values):
        """Main-memory word address of ``values`` appended to the image."""
        at = len(self.image)
        self.image.extend(torch.as_tensor(values).flatten().tolist())
        return at

    def add(self, ins, fence=False):
        """Append ``ins``; with ``fence``, a FENCE on its unit right after it (timed)."""
        self.instructions.append(ins)
        unit = self._unit(ins)
        if unit is not None:
            self._done[unit] = self._done.get(unit, 0) + 1
        if fence:
            self.timed.append(len(self.instructions) - 1)
            kind, pe, index = unit
            self.instructions.append(Instruction("FENCE", pe=pe, unit=FENCE_KINDS[kind],
                                                 x=index, n=self._done[unit]))
        return ins

    @staticmethod
    def _unit(ins):
        kind = _KIND.get(ins.op)
        if kind is None:
            return None
        if kind == "DMA":
            return (kind, 0, 0)
        return (kind, ins.pe, ins.unit if kind in ("LANE", "SOFTMAX") else 0)

    def load(self, buffer, values, fence=False):
        """LOAD ``values`` into fresh words of ``buffer``; returns their address."""
        n = torch.as_tensor(values).numel()
        at = self.alloc(buffer, n)
        self.add(Instruction("LOAD", o=at, mem=self.memory(values), n=n), fence)
        return at

    def store(self, at, n, fence=False):
        """STORE ``n`` words from ``at`` to fresh main memory (filled with the format's
        largest value, which the results overwrite)."""
        mem = self.memory([self.fmt.max_int] * n)
        self.add(Instruction("STORE", a=at, mem=mem, n=n), fence)

    def issued(self, kind):
        """Instructions issued so far to the unit of ``kind`` with index 0 on PE 0 (the
        DMA's: what a FENCE on it waits for)."""
        return self._done.get((kind, 0, 0), 0)

    def fence_all(self):
        self.instructions.append(Instruction("FENCE", unit=FENCE_KINDS["ALL"]))

    def end(self):
        self.instructions.append(Instruction("END"))
        return self


def _mask(at):
    """The mask-region address mirroring activation address ``at``."""
    return address("mask", at)


def _inputs(prog, rand, p):
    """Q (seq × features, activations), K (seq × features), bias (seq), γ, β (features)."""
    fmt, s, f = prog.fmt, p["seq"], p["features"]
    q = prog.load("activation", operands(rand, fmt, (s, f)))
    k = prog.load("weight", operands(rand, fmt, (s, f)))
    bias = prog.load("weight", operands(rand, fmt, (s,)))
    gamma = prog.load("weight", operands(rand, fmt, (f,)))
    beta = prog.load("weight", operands(rand, fmt, (f,)))
    return q, k, bias, gamma, beta


def directed(p, rand):
    """Every instruction kind once, each timed; top parameters ``p``."""
    fmt = FixedFormat(p["il"], p["fl"])
    prog = Program(fmt)
    s, f = p["seq"], p["features"]
    last_pe, last_lane = p["pes"] - 1, p["lanes"] - 1
    tau = 1 << max(0, fmt.fl - 2)
    q = prog.load("activation", operands(rand, fmt, (s, f)), fence=True)
    k = prog.load("weight", operands(rand, fmt, (s, f)), fence=True)
    bias, gamma, beta = (prog.load("weight", operands(rand, fmt, (n,)))
                         for n in (s, f, f))
    prog.add(Instruction("FENCE", unit=FENCE_KINDS["DMA"], n=5))
    outputs = []

    def out(words):
        at = prog.alloc("activation", words)
        outputs.append((at, words))
        return at

    r1 = out(s * s)
    prog.add(Instruction("MATMUL", pe=0, unit=0, a=q, b=k, o=r1, x=s, y=f, z=s, so=s), True)
    r2 = out(s * s)
    prog.add(Instruction("MATMUL", pe=last_pe, unit=last_lane, flags=("BIAS", "GELU"), a=q,
                         b=k, c=bias, o=r2, x=s, y=f, z=s, so=s), True)
    r3 = out(s * s)
    prog.add(Instruction("MATMUL", pe=0, unit=last_lane, flags=("TRANSPOSE", "PRUNE"), a=q,
                         b=k, o=r3, x=s, y=f, z=s, so=s, n=tau), True)
    r4 = out(s * s)
    prog.add(Instruction("ADD", pe=last_pe, unit=0, a=r1, b=r2, o=r4, x=s, y=s, so=s), True)
    r5 = out(s * s)
    prog.add(Instruction("SOFTMAX", pe=0, unit=p["softmax"] - 1, a=r4, o=r5, x=s, y=s,
                         so=s), True)
    r6 = out(s * f)
    prog.add(Instruction("LAYERNORM", pe=last_pe, a=q, b=gamma, c=beta, o=r6, x=s, y=f,
                         so=f), True)
    half = max(1, f // 2 - 1)
    r7 = out(s * half)
    prog.add(Instruction("PRUNE", pe=0, a=q + 1, o=r7, x=s, y=half, z=f, so=half, n=tau),
             True)
    for at, words in outputs:
        prog.store(at, words, fence=True)
    prog.store(_mask(r3), s * s, fence=True)
    prog.store(_mask(r7), s * half, fence=True)
    return prog.end()


def concurrent(p, rand, rounds=1):
    """Every unit of every PE busy at once, then FENCE ALL; ``rounds`` times over, each on
    fresh inputs loaded (and its results stored) in its own round. ``span`` is the first
    round's."""
    fmt = FixedFormat(p["il"], p["fl"])
    prog = Program(fmt)
    s, f = p["seq"], p["features"]
    for _ in range(rounds):
        q, k, bias, gamma, beta = _inputs(prog, rand, p)
        scores = prog.load("activation", operands(rand, fmt, (s, s)))
        prog.add(Instruction("FENCE", unit=FENCE_KINDS["DMA"], n=prog.issued("DMA")))
        results = []
        first = len(prog.instructions)
        for pe in range(p["pes"]):
            for lane in range(p["lanes"]):
                o = prog.alloc("activation", s * s)
                prog.add(Instruction("MATMUL", pe=pe, unit=lane, flags=("BIAS",), a=q, b=k,
                                     c=bias, o=o, x=s, y=f, z=s, so=s))
                results.append((o, s * s))
            for unit in range(p["softmax"]):
                o = prog.alloc("activation", s * s)
                prog.add(Instruction("SOFTMAX", pe=pe, unit=unit, a=scores, o=o, x=s, y=s,
                                     so=s))
                results.append((o, s * s))
            o = prog.alloc("activation", s * f)
            prog.add(Instruction("LAYERNORM", pe=pe, a=q, b=gamma, c=beta, o=o, x=s, y=f,
                                 so=f))
            results.append((o, s * f))
            o = prog.alloc("activation", s * f)
            prog.add(Instruction("PRUNE", pe=pe, a=q, o=o, x=s, y=f, so=f,
                                 n=1 << max(0, fmt.fl - 1)))
            results.append((o, s * f))
        prog.span = prog.span or (first, len(prog.instructions))
        prog.fence_all()
        for at, words in results:
            prog.store(at, words)
    return prog.end()


def unit_work(program, cycles):
    """``{unit: {"cycles", "results"}}`` for every PE unit ``program`` uses, named
    ``pe<p>.lane<l>``, ``pe<p>.softmax<u>``, ``pe<p>.layer_norm``, ``pe<p>.dynatran``:
    the cycles it streams data (MAC-lane beats, ``x·V`` for a softmax or layer norm,
    DynaTran tiles: an instruction's ``cycles`` less those of the same instruction on no
    rows, its fixed pipeline and sequencer overhead) and the results it writes (a lane's
    outputs, each through its GeLU unit). ``cycles(instruction)`` is
    :meth:`tilewright.gen.top.Top.instruction_cycles` for the top's parameters."""
    names = {"LANE": "lane{}", "SOFTMAX": "softmax{}", "LAYERNORM": "layer_norm",
             "DYNATRAN": "dynatran"}
    work = {}
    for ins in program.instructions:
        unit = Program._unit(ins)
        if unit is None or unit[0] == "DMA":
            continue
        kind, pe, index = unit
        entry = work.setdefault(f"pe{pe}.{names[kind].format(index)}",
                                {"cycles": 0, "results": 0})
        entry["cycles"] += cycles(ins) - cycles(replace(ins, x=0))
        entry["results"] += ins.x * (ins.z if ins.op == "MATMUL" else ins.y)
    return work


def random_program(p, rand, rounds=3, per_round=4):
    """Rounds of random instructions on distinct random units, FENCE ALL between."""
    fmt = FixedFormat(p["il"], p["fl"])
    prog = Program(fmt)
    s, f = p["seq"], p["features"]
    q, k, bias, gamma, beta = _inputs(prog, rand, p)
    prog.add(Instruction("FENCE", unit=FENCE_KINDS["DMA"], n=5))
    sources = [(q, s, f)]           # (address, rows, row length) of activation data
    results = []
    for _ in range(rounds):
        used, made = set(), []
        for _ in range(per_round):
            op = rand.choice(["MATMUL", "MATMUL", "ADD", "SOFTMAX", "LAYERNORM", "PRUNE"])
            pe = rand.randrange(p["pes"])
            unit = rand.randrange(p["lanes"] if op in ("MATMUL", "ADD") else
                                  p["softmax"] if op == "SOFTMAX" else 1)
            if (op in ("MATMUL", "ADD"), op, pe, unit) in used:
                continue
            used.add((op in ("MATMUL", "ADD"), op, pe, unit))
            src, rows, length = rand.choice(sources)
            x = rand.randint(1, rows)
            flags = tuple(flag for flag in ("PRUNE",) if rand.random() < 0.3)
            tau = rand.randint(0, 1 << fmt.fl)
            if op == "MATMUL":
                y, z = rand.randint(1, min(length, f)), rand.randint(1, s)
                flags += tuple(fl for fl in ("BIAS", "GELU", "TRANSPOSE") if rand.random() < 0.4)
                o = prog.alloc("activation", x * z)
                ins = Instruction(op, pe=pe, unit=unit, flags=flags, a=src, b=k, c=bias, o=o,
                                  x=x, y=y, z=z, so=x if "TRANSPOSE" in flags else z, n=tau)
                made.append((o, x * z, x, z) if "TRANSPOSE" not in flags else (o, x * z, z, x))
            elif op == "ADD":
                y = rand.randint(1, length)
                o = prog.alloc("activation", x * y)
                ins = Instruction(op, pe=pe, unit=unit, flags=flags, a=src, b=src, o=o, x=x,
                                  y=y, z=length, so=y, n=tau)
                made.append((o, x * y, x, y))
            elif op == "SOFTMAX" or op == "LAYERNORM":
                n = s if op == "SOFTMAX" else f
                if length < n:
                    continue
                o = prog.alloc("activation", x * n)
                ins = Instruction(op, pe=pe, unit=unit, flags=flags, a=src, b=gamma, c=beta,
                                  o=o, x=x, y=n, z=length, so=n, n=tau)
                made.append((o, x * n, x, n))
            else:
                y = rand.randint(1, length)
                o = prog.alloc("activation", x * y)
                ins = Instruction(op, pe=pe, a=src, o=o, x=x, y=y, z=length, so=y, n=tau)
                made.append((o, x * y, x, y))
            prog.add(ins)
        prog.fence_all()
        sources += [(o, rows, length) for o, _, rows, length in made]
        results += [(o, words) for o, words, _, _ in made]
    for at, words in results:
        prog.store(at, words)
        prog.store(_mask(at), words)
    return prog.end()
