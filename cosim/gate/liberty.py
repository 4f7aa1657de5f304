"""Read the figures characterization needs from a Liberty (``.lib`` / ``.lib.gz``) file.

Per cell: area (µm²), ``cell_leakage_power``, and per pin its direction, input
capacitance, ``internal_power`` tables (``rise_power`` / ``fall_power``, energy per
transition) and ``timing`` arcs (``cell_rise`` / ``cell_fall`` delays and
``rise_transition`` / ``fall_transition`` output slews, or ``rise_constraint`` /
``fall_constraint`` for setup checks), its logic ``function``; the cell's ``ff`` or
``latch`` group (:class:`Storage`). Every two-dimensional table is stored indexed by
(input transition, output load) — or (clock transition, data transition) for
constraints — whatever order the file's template declares. Library-wide: the units, the
nominal voltage, the ``wire_load`` models (with ``default_wire_load``) and the default
operating conditions' ``tree_type``. Parsing the 13 MB SkyWater library takes seconds, so
the result is cached (pickled, keyed by the file's sha256) under the build cache.

The default library is SkyWater ``sky130_fd_sc_hd`` at ``tt_025C_1v80`` (Apache-2.0),
shipped in ``tilewright/tech/``.
"""

import bisect
import dataclasses
import gzip
import hashlib
import json
import pickle
import re
import zlib
from tilewright.files import write_atomically
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

__all__ = ["Library", "Cell", "Pin", "Storage", "PowerArc", "TimingArc", "Table", "WireLoad",
           "LibertyError",
           "default_liberty", "load_liberty", "library_head", "parse_liberty"]

DEFAULT_LIBRARY = "sky130_fd_sc_hd__tt_025C_1v80.lib.gz"


class LibertyError(ValueError):
    """A Liberty file that cannot be read or lacks what characterization needs."""


@dataclass(frozen=True)
class Table:
    """A lookup table: ``values[i][j]`` at ``index_1[i]``, ``index_2[j]`` (1-D: one row)."""

    index_1: tuple
    index_2: tuple
    values: tuple

    def at(self, x, y=0.0):
        """Bilinear interpolation at ``(x, y)``, clamped to the table's range (no
        extrapolation)."""
        def locate(index, v):
            if len(index) == 1:
                return 0, 0, 0.0
            v = min(max(v, index[0]), index[-1])
            k = min(max(bisect.bisect_right(index, v) - 1, 0), len(index) - 2)
            return k, k + 1, (v - index[k]) / (index[k + 1] - index[k])
        i0, i1, fx = locate(self.index_1, x)
        if not self.index_2:
            row = self.values[0]
            return row[i0] + (row[i1] - row[i0]) * fx
        j0, j1, fy = locate(self.index_2, y)
        v = self.values
        low = v[i0][j0] + (v[i0][j1] - v[i0][j0]) * fy
        high = v[i1][j0] + (v[i1][j1] - v[i1][j0]) * fy
        return low + (high - low) * fx


@dataclass(frozen=True)
class PowerArc:
    """One ``internal_power`` group of a pin: energy per rising/falling transition."""

    related_pin: str
    rise: Table
    fall: Table

    def energy(self, slew, load):
        """Mean of the rise and fall energy at (input transition, output load)."""
        return 0.5 * (self.rise.at(slew, load) + self.fall.at(slew, load))


@dataclass(frozen=True)
class TimingArc:
    """One ``timing`` group of a pin, from ``related_pin`` to this pin.

    ``kind`` is the ``timing_type`` (``combinational`` when absent, ``rising_edge`` for
    a flip-flop's clock-to-output arc, ``setup_rising`` for a setup check, ...) and
    ``sense`` the ``timing_sense`` (``positive_unate``, ``negative_unate`` or
    ``non_unate``). Delay arcs have ``rise`` / ``fall`` delay tables (of this pin's
    rising / falling edge) and ``rise_slew`` / ``fall_slew`` output transition tables;
    constraint arcs have ``rise`` / ``fall`` constraint tables (for this pin rising /
    falling) and no slews. A table the file leaves out is ``None``.
    """

    related_pin: str
    kind: str
    sense: str = "non_unate"
    rise: Table = None
    fall: Table = None
    rise_slew: Table = None
    fall_slew: Table = None


@dataclass(frozen=True)
class WireLoad:
    """A ``wire_load`` model: the estimated length of a net from its fanout, before
    placement (``fanout_length`` pairs, linear between them, extended by ``slope`` past
    the last), times ``capacitance`` (capacitive load unit) and ``resistance`` per unit
    length."""

    name: str
    capacitance: float
    resistance: float
    slope: float
    fanout_length: tuple

    def length(self, fanout):
        """Estimated length of a net driving ``fanout`` pins (0 for none)."""
        if fanout <= 0 or not self.fanout_length:
            return 0.0
        points = self.fanout_length
        if fanout >= points[-1][0]:
            return points[-1][1] + self.slope * (fanout - points[-1][0])
        if fanout <= points[0][0]:
            return points[0][1] * fanout / points[0][0]
        k = bisect.bisect_right([f for f, _ in points], fanout) - 1
        (f0, l0), (f1, l1) = points[k], points[k + 1]
        return l0 + (l1 - l0) * (fanout - f0) / (f1 - f0)

    def net_capacitance(self, fanout):
        """Estimated wire capacitance of a net driving ``fanout`` pins."""
        return self.capacitance * self.length(fanout)


@dataclass(frozen=True)
class Pin:
    name: str
    direction: str
    capacitance: float
    power: tuple = ()
    timing: tuple = ()
    function: str = None


@dataclass(frozen=True)
class Storage:
    """A cell's ``ff`` or ``latch`` group: ``kind`` ``"ff"`` or ``"latch"``; ``state`` and
    ``state_n`` the internal variables (``IQ``, ``IQ_N``) that output pin functions read;
    ``trigger`` the ``clocked_on`` (ff) or ``enable`` (latch) expression, ``data`` the
    ``next_state`` or ``data_in``; ``clear`` and ``preset`` asynchronous (``None`` when
    absent), and ``clear_preset`` the ``(clear_preset_var1, clear_preset_var2)`` values
    when both are active."""

    kind: str
    state: str
    state_n: str
    trigger: str
    data: str
    clear: str = None
    preset: str = None
    clear_preset: tuple = (None, None)


@dataclass(frozen=True)
class Cell:
    name: str
    area: float
    leakage: float
    pins: dict = field(default_factory=dict)
    sequential: bool = False
    storage: Storage = None


@dataclass(frozen=True)
class Library:
    """Parsed library: ``cells`` by name; ``voltage`` in V; ``units`` as written in the
    file (``time_unit``, ``leakage_power_unit``, ``capacitive_load_unit``);
    ``wire_loads`` (:class:`WireLoad`) by name and the ``default_wire_load``'s name
    (``None`` when the file names none); ``tree_type`` of the default operating
    conditions (how a net's wire resistance and capacitance are distributed:
    ``balanced_tree`` when the file does not say)."""

    name: str
    path: str
    sha256: str
    voltage: float
    units: dict
    cells: dict
    wire_loads: dict = field(default_factory=dict)
    default_wire_load: str = None
    tree_type: str = "balanced_tree"

    def wire_load(self, name="default"):
        """The :class:`WireLoad` called ``name``: ``"default"`` is the library's
        ``default_wire_load`` and ``"none"`` (or a library without one) is ``None``, pin
        loads only."""
        if name == "none" or (name == "default" and self.default_wire_load is None):
            return None
        if name == "default":
            name = self.default_wire_load
        if name not in self.wire_loads:
            allowed = ", ".join(repr(n) for n in ["default", "none", *self.wire_loads])
            raise LibertyError(f"wire load must be one of {allowed}, not {name!r}")
        return self.wire_loads[name]

    def cell(self, name):
        try:
            return self.cells[name]
        except KeyError:
            raise LibertyError(f"cell {name!r} is not in library {self.name}") from None


def default_liberty():
    """Path of the shipped default library."""
    return Path(str(resources.files("tilewright") / "tech" / DEFAULT_LIBRARY))


# ------------------------------------------------------------------------- parser
_TOKEN = re.compile(r'''
    \s+ | /\*.*?\*/ | //[^\n]* | \\\n       # skipped: blanks, comments, continuations
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<word>[^\s(){}:;,"]+)
  | (?P<punct>[(){}:;,])
''', re.S | re.X)


def _tokens(text):
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "str":
            yield "s", m.group()[1:-1]
        elif kind:
            yield ("w" if kind == "word" else "p"), m.group()


class _Group:
    __slots__ = ("kind", "args", "attrs", "groups", "repeated")

    def __init__(self, kind, args):
        self.kind, self.args, self.attrs, self.groups = kind, args, {}, []
        self.repeated = {}     # complex attributes by name, every occurrence


def _parse_tree(text):
    tokens = list(_tokens(text))
    root = _Group("<root>", [])
    stack = [root]
    i, n = 0, len(tokens)
    while i < n:
        kind, value = tokens[i]
        if value == "}":
            if len(stack) == 1:
                raise LibertyError(f"unmatched '}}' at token {i}")
            stack.pop()
            i += 1
            continue
        if value == ";":
            i += 1
            continue
        name = value
        nxt = tokens[i + 1][1] if i + 1 < n else None
        if nxt == ":":              # simple attribute: name : value ;
            i += 2
            parts = []
            while i < n and tokens[i][1] not in (";", "}") and not (
                    i + 1 < n and tokens[i + 1][1] == ":" and parts):
                parts.append(tokens[i][1])
                i += 1
            stack[-1].attrs[name] = " ".join(parts)
        elif nxt == "(":            # complex attribute name(args); or group name(args) {
            i += 2
            args = []
            while i < n and tokens[i][1] != ")":
                if tokens[i][1] != ",":
                    args.append(tokens[i][1])
                i += 1
            i += 1
            if i < n and tokens[i][1] == "{":
                group = _Group(name, args)
                stack[-1].groups.append(group)
                stack.append(group)
                i += 1
            else:
                stack[-1].attrs.setdefault(name, args)
                stack[-1].repeated.setdefault(name, []).append(args)
        else:
            raise LibertyError(f"unexpected token {name[:40]!r} near token {i}")
    if i > n:
        raise LibertyError("a '(' is not closed at the end of the file")
    if len(stack) > 1:
        raise LibertyError(f"group {stack[-1].kind!r} is not closed at the end of the file")
    libs = [g for g in root.groups if g.kind == "library"]
    if not libs:
        raise LibertyError("no library group")
    return libs[0]


def _numbers(text):
    return tuple(float(x) for x in re.split(r"[,\s]+", text.strip()) if x)


#: Template variables that belong on a table's second axis (the output load of a delay
#: or power table, the constrained pin's transition of a constraint table).
_SECOND_AXIS = ("total_output_net_capacitance", "constrained_pin_transition")


def _table(group, templates):
    template = templates.get(group.args[0] if group.args else "", {})
    index_1 = _numbers(group.attrs.get("index_1", template.get("index_1", ["0"]))[0])
    raw2 = group.attrs.get("index_2", template.get("index_2"))
    index_2 = _numbers(raw2[0]) if raw2 else ()
    values = tuple(_numbers(row) for row in group.attrs["values"])
    if index_2 and len(values) != len(index_1):
        raise LibertyError(f"table {group.kind} has {len(values)} rows for "
                           f"{len(index_1)} index_1 entries")
    if index_2 and template.get("variable_1") in _SECOND_AXIS:
        values = tuple(zip(*values))
        index_1, index_2 = index_2, index_1
    return Table(index_1, index_2, values)


_TIMING_TABLES = {"cell_rise": "rise", "cell_fall": "fall", "rise_transition": "rise_slew",
                  "fall_transition": "fall_slew", "rise_constraint": "rise",
                  "fall_constraint": "fall"}


def _timing(group, templates):
    arcs = []
    for t in group.groups:
        if t.kind != "timing":
            continue
        tables = {_TIMING_TABLES[g.kind]: _table(g, templates) for g in t.groups
                  if g.kind in _TIMING_TABLES}
        for related in t.attrs.get("related_pin", "").split():
            arcs.append(TimingArc(related, t.attrs.get("timing_type", "combinational"),
                                  t.attrs.get("timing_sense", "non_unate"), **tables))
    return arcs


def _power(group, templates):
    arcs = []
    for ip in group.groups:
        if ip.kind != "internal_power":
            continue
        tables = {g.kind: _table(g, templates) for g in ip.groups
                  if g.kind in ("rise_power", "fall_power", "power")}
        if "power" in tables:
            tables.setdefault("rise_power", tables["power"])
            tables.setdefault("fall_power", tables["power"])
        if "rise_power" in tables and "fall_power" in tables:
            arcs.append(PowerArc(ip.attrs.get("related_pin", ""), tables["rise_power"],
                                 tables["fall_power"]))
    return arcs


def _storage(cell):
    """The cell's single ``ff`` or ``latch`` group as a :class:`Storage`, or ``None``."""
    for g in cell.groups:
        if g.kind in ("ff", "latch") and len(g.args) == 2:
            a = g.attrs
            trigger, data = (("clocked_on", "next_state") if g.kind == "ff"
                             else ("enable", "data_in"))
            return Storage(g.kind, g.args[0], g.args[1], a.get(trigger), a.get(data),
                           a.get("clear"), a.get("preset"),
                           (a.get("clear_preset_var1"), a.get("clear_preset_var2")))
    return None


def _wire_load(group):
    try:
        points = sorted((float(f), float(length))
                        for f, length in group.repeated.get("fanout_length", []))
        return WireLoad(group.args[0], float(group.attrs.get("capacitance", 0.0)),
                        float(group.attrs.get("resistance", 0.0)),
                        float(group.attrs.get("slope", 0.0)), tuple(points))
    except (ValueError, IndexError):
        raise LibertyError(f"wire_load {' '.join(group.args)!r} is malformed") from None


def parse_liberty(text, path="<text>", sha256=""):
    """Parse Liberty ``text`` into a :class:`Library`."""
    lib = _parse_tree(text)
    templates = {g.args[0]: g.attrs for g in lib.groups
                 if g.kind in ("power_lut_template", "lu_table_template") and g.args}
    voltage = float(lib.attrs.get("nom_voltage", "nan"))
    if voltage != voltage:
        conds = [g for g in lib.groups if g.kind == "operating_conditions"]
        voltage = float(conds[0].attrs["voltage"]) if conds else float("nan")
    cells = {}
    for g in lib.groups:
        if g.kind != "cell":
            continue
        pins = {}
        for p in g.groups:
            names = p.args if p.kind == "pin" else []
            if p.kind == "bus":
                names = [p.args[0]]
            for name in names:
                pins[name] = Pin(name, p.attrs.get("direction", ""),
                                 float(p.attrs.get("capacitance", 0.0)),
                                 tuple(_power(p, templates)), tuple(_timing(p, templates)),
                                p.attrs.get("function"))
        sequential = any(s.kind in ("ff", "latch", "ff_bank", "latch_bank", "statetable")
                         for s in g.groups)
        cells[g.args[0]] = Cell(g.args[0], float(g.attrs.get("area", 0.0)),
                                float(g.attrs.get("cell_leakage_power", 0.0)), pins,
                                sequential, _storage(g))
    units = {k: lib.attrs.get(k) for k in ("time_unit", "leakage_power_unit", "voltage_unit",
                                           "pulling_resistance_unit")}
    cap = lib.attrs.get("capacitive_load_unit")
    units["capacitive_load_unit"] = " ".join(cap) if isinstance(cap, list) else cap
    wire_loads = {g.args[0]: _wire_load(g) for g in lib.groups
                  if g.kind == "wire_load" and g.args}
    default = lib.attrs.get("default_wire_load")
    if default is not None and default not in wire_loads:
        raise LibertyError(f"default_wire_load {default!r} names no wire_load group")
    conditions = {g.args[0] if g.args else "": g for g in lib.groups
                  if g.kind == "operating_conditions"}
    chosen = conditions.get(lib.attrs.get("default_operating_conditions"))
    tree = (chosen.attrs.get("tree_type") if chosen else None) or "balanced_tree"
    if not cells:
        raise LibertyError("the library has no cells")
    return Library(lib.args[0] if lib.args else "", path, sha256, voltage, units, cells,
                   wire_loads, default, tree)


def _cache_dir():
    from tilewright.cosim.runner import cache_root
    return cache_root().parent / "liberty"


def read_text(path):
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LibertyError(f"cannot read Liberty file {str(path)!r}: {e.strerror}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            raise LibertyError(f"Liberty file {str(path)!r} is a damaged gzip file") from None
    return data


_LOADED = {}


def load_liberty(path=None):
    """The :class:`Library` at ``path`` (default: the shipped sky130 library), parsed once
    and then read from the cache (and kept in memory while the file is unchanged)."""
    path = Path(path) if path is not None else default_liberty()
    try:
        stat = path.stat()
        seen = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    except OSError:
        seen = None
    if seen in _LOADED:
        return _LOADED[seen]
    lib = _load(path)
    if seen is not None:
        _LOADED[seen] = lib
    return lib


def library_head(path=None):
    """``(head, sequential)``: the :class:`Library` at ``path`` (default: the shipped one)
    without its cells — name, sha256, voltage, units, wire loads, tree type: what checking
    options and keying a record need — and whether it has a flip-flop or latch cell. Kept
    in a small file while the library file is unchanged (path, size, modification time),
    so that a lookup served from the cost database does not load the whole library."""
    path = Path(path) if path is not None else default_liberty()
    try:
        stat = path.stat()
    except OSError:
        return _head(load_liberty(path))        # raises LibertyError naming the file
    parser = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    seen = json.dumps([str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino,
                       parser])
    memo = _cache_dir() / f"head-{hashlib.sha256(seen.encode()).hexdigest()[:24]}.pickle"
    try:
        with open(memo, "rb") as f:
            head, sequential = pickle.load(f)
        return dataclasses.replace(head, path=str(path)), sequential
    except Exception:
        pass
    head, sequential = _head(load_liberty(path))
    write_atomically(memo, lambda tmp: tmp.write_bytes(
        pickle.dumps((head, sequential), protocol=pickle.HIGHEST_PROTOCOL)))
    return head, sequential


def _head(lib):
    return dataclasses.replace(lib, cells={}), any(c.sequential for c in lib.cells.values())


def _load(path):
    data = read_text(path)
    sha = hashlib.sha256(data).hexdigest()
    parser = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    cached = _cache_dir() / f"{sha[:24]}-{parser}.pickle"      # this parser's reading
    if cached.exists():
        try:
            with open(cached, "rb") as f:
                lib = pickle.load(f)
            return dataclasses.replace(lib, path=str(path), sha256=sha)
        except Exception:
            pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LibertyError(f"Liberty file {str(path)!r} is not a text file") from None
    try:
        lib = parse_liberty(text, str(path), sha)
    except (LibertyError, ValueError, IndexError, KeyError) as e:
        detail = e if isinstance(e, LibertyError) else f"{type(e).__name__}: {e}"
        raise LibertyError(f"Liberty file {str(path)!r} is malformed: "
                           f"{' '.join(str(detail).split())[:120]}") from None
    write_atomically(cached, lambda tmp: tmp.write_bytes(
        pickle.dumps(lib, protocol=pickle.HIGHEST_PROTOCOL)))
    return lib
