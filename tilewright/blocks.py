"""The generator blocks' descriptions: parameters, their domains, and blocks.

Each module of :mod:`tilewright.gen` that defines a module-level ``BLOCK`` (a
:class:`Block`) is a block: the CLI, the configs and the flows find it by its ``name``
(``"mac-lane"``) in :mod:`tilewright.gen.catalogue`. A block states its parameters once
(:class:`Param`, with the values each may take) and the rules between them
(:class:`Constraint`); :meth:`Block.check` applies both, for the component's
``__init__``, the CLI and the configs alike, so each rejects a value with the same
message. From them also come the CLI options and the design space a searcher reads
(:meth:`Block.design_space`, ``tilewright blocks --json``).
"""

from dataclasses import dataclass, field

from tilewright.fixedpoint import MAX_WIDTH, check_choice, check_int, check_power_of_two

__all__ = ["Param", "Constraint", "Block", "BlockError", "OPERATION_UNITS", "check_params",
           "format_params", "format_width", "accumulator_width"]

#: What one operation of a block is, as its stimulus test counts them and its cost record
#: charges energy to: one multiply-accumulate, one multiplication, one element (a value),
#: one vector of the block's length parameter, one tile of the block's tile shape.
OPERATION_UNITS = ("mac", "product", "element", "vector", "tile")

_KINDS = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


class BlockError(ValueError):
    """Unknown block or parameter."""


@dataclass(frozen=True)
class Param:
    """One generator parameter and the values it may take.

    Attributes
    ----------
    name, type, default, help : keyword, Python type, default value, one line for people.
    choices : the allowed values, or ``None``.
    low, high : the inclusive range of an ``int``, or ``None``.
    power_of_two : whether an ``int`` must be a power of two (within ``low``..``high``).
    optional : whether ``None`` is allowed (the component then derives the value from
        the other parameters; :attr:`help` says how).
    """

    name: str
    type: type
    default: object
    help: str
    choices: tuple = None
    low: int = None
    high: int = None
    power_of_two: bool = False
    optional: bool = False

    @property
    def option(self):
        """The CLI spelling, ``--gelu-segments`` for ``gelu_segments``."""
        return "--" + self.name.replace("_", "-")

    def check(self, value):
        """``value`` if this parameter may take it; ``TypeError`` (wrong kind) or
        ``ValueError`` (outside the domain) naming the parameter and the allowed values."""
        if value is None and self.optional:
            return value
        if not _is(value, self.type):
            raise TypeError(f"{self.name} must be {_KINDS[self.type]}, not {value!r}")
        if self.choices is not None:
            check_choice(self.name, value, self.choices)
        if self.low is not None or self.high is not None:
            low = float("-inf") if self.low is None else self.low
            high = float("inf") if self.high is None else self.high
            if self.power_of_two:
                check_power_of_two(self.name, value, low, high)
            else:
                check_int(self.name, value, low, high)
        return value

    def domain(self):
        """The parameter as data: name, type, default, the allowed values, help."""
        found = {"name": self.name, "type": self.type.__name__, "default": self.default,
                 "optional": self.optional}
        if self.choices is not None:
            found["choices"] = list(self.choices)
        if self.low is not None:
            found["low"] = self.low
        if self.high is not None:
            found["high"] = self.high
        if self.power_of_two:
            found["power_of_two"] = True
        found["help"] = self.help
        return found


@dataclass(frozen=True)
class Constraint:
    """A rule over several parameters: ``text`` states it for people and the design
    space; ``check(values)`` raises ``ValueError`` (naming the parameters and the allowed
    values) when ``values``, a dict of every parameter of the block, break it."""

    names: tuple
    text: str
    check: object = field(compare=False)


def check_params(params, values, constraints=()):
    """The one validator of generator parameters: ``TypeError``/``ValueError`` naming the
    parameter and its allowed values unless every :class:`Param` of ``params`` is in its
    domain in ``values`` (a dict by name; other names are ignored, so a component's
    ``__init__`` passes ``locals()``) and every :class:`Constraint` holds."""
    for p in params:
        p.check(values[p.name])
    for rule in constraints:
        rule.check(values)


def format_params(il, fl, of="", fl_high=MAX_WIDTH - 1):
    """The parameters ``il`` and ``fl`` of a fixed-point format with defaults ``il`` and
    ``fl``; each block narrows ``il + fl`` with :func:`format_width`."""
    return (Param("il", int, il, f"integer bits{of}, sign included", low=1, high=MAX_WIDTH),
            Param("fl", int, fl, f"fraction bits{of}", low=0, high=fl_high))


def format_width(high, what):
    """The rule ``2 ≤ il + fl ≤ high`` of a block whose data are in format ``(il, fl)``."""
    def check(values):
        width = values["il"] + values["fl"]
        if not 2 <= width <= high:
            raise ValueError(f"il + fl must be from 2 to {high} bits for {what}, "
                             f"not {width!r}")
    return Constraint(("il", "fl"), f"il + fl from 2 to {high}", check)


def accumulator_width(high):
    """The rule ``2·(il + fl) ≤ acc_width ≤ high`` when ``acc_width`` is given."""
    def check(values):
        if values["acc_width"] is not None:
            check_int("acc_width", values["acc_width"], 2 * (values["il"] + values["fl"]), high)
    return Constraint(("acc_width", "il", "fl"), f"acc_width from 2·(il + fl) to {high}",
                      check)


@dataclass(frozen=True)
class Block:
    """A generator block.

    Attributes
    ----------
    name : CLI / config name (``"mac-lane"``).
    summary : one line for ``--help``.
    component : the ``wiring.Component`` class, called with the parameters as keywords;
        its ``__init__`` checks them with :meth:`check`.
    params : the parameters, in CLI order, with their domains.
    toplevel : Verilog module name.
    testbench : dotted name of the cocotb test module, or ``None``.
    facts : optional callable ``component -> dict`` of derived figures (latency, widths)
        written next to the Verilog.
    stimulus : name of the cocotb test (in ``testbench``) that is the block's representative
        workload, used to measure cycles and switching activity. It writes its report as a
        :class:`tilewright.cosim.bench.Stimulus` and honours ``TILEWRIGHT_STIMULUS=zeros``
        (all-zero data) besides the default ``random``.
    constraints : the rules between parameters (:class:`Constraint`).
    verilator_args : extra Verilator options for every build of the block (e.g. an
        optimization pass that does not scale to its large instances, turned off).
    """

    name: str
    summary: str
    component: type
    params: tuple
    toplevel: str
    testbench: str = None
    facts: object = field(default=None, compare=False)
    stimulus: str = None
    constraints: tuple = ()
    verilator_args: tuple = ()

    def check(self, values):
        """:func:`check_params` with this block's parameters and constraints."""
        check_params(self.params, values, self.constraints)

    def resolve(self, given=None):
        """``given`` with defaults filled in, checked (:meth:`check`); unknown names are a
        :class:`BlockError`."""
        given = dict(given or {})
        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise BlockError(f"{self.name}: unknown parameter {unknown[0]!r}; parameters are "
                             f"{', '.join(known)}")
        resolved = {p.name: given.get(p.name, p.default) for p in self.params}
        self.check(resolved)
        return resolved

    def param_args(self, params):
        """``["--param", "name=value", ...]`` for the values of ``params`` that differ from
        the defaults, as ``tilewright characterize`` and ``regress`` take them."""
        return [arg for p in self.params
                if params.get(p.name) is not None and params[p.name] != p.default
                for arg in ("--param", f"{p.name}={params[p.name]}")]

    def build(self, given=None):
        """The component for ``given`` parameters (resolved first)."""
        return self.component(**self.resolve(given))

    def design_space(self):
        """The block as data: name, summary, parameters with their domains, rules."""
        return {"name": self.name, "summary": self.summary,
                "params": [p.domain() for p in self.params],
                "constraints": [rule.text for rule in self.constraints]}


def _is(value, kind):
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind)
