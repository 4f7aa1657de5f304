"""The catalogue of generator blocks.

Each module of :mod:`tilewright.gen` that defines a module-level ``BLOCK`` (a
:class:`Block`) is a block: the CLI, the configs and the flows find it by its ``name``
(``"mac-lane"``) in :mod:`tilewright.gen.catalogue`. A block states its parameters once (:class:`Param`); from them come the
CLI options, config validation and the JSON of resolved parameters.
"""

from dataclasses import dataclass, field

__all__ = ["Param", "Block", "BlockError"]


class BlockError(ValueError):
    """Unknown block or parameter, or a parameter value of the wrong kind."""


@dataclass(frozen=True)
class Param:
    """One generator parameter: keyword ``name``, Python ``type``, ``default``, ``help``,
    and optionally the allowed ``choices``."""

    name: str
    type: type
    default: object
    help: str
    choices: tuple = None

    @property
    def option(self):
        """The CLI spelling, ``--gelu-segments`` for ``gelu_segments``."""
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Block:
    """A generator block.

    Attributes
    ----------
    name : CLI / config name (``"mac-lane"``).
    summary : one line for ``--help``.
    component : the ``wiring.Component`` class, called with the parameters as keywords.
    params : the parameters, in CLI order.
    toplevel : Verilog module name.
    testbench : dotted name of the cocotb test module, or ``None``.
    facts : optional callable ``component -> dict`` of derived figures (latency, widths,
        approximation error) written next to the Verilog.
    stimulus : name of the cocotb test (in ``testbench``) that is the block's representative
        workload, used to measure cycles and switching activity. It calls
        ``record("stimulus", {"operations": n, "cycles": c, "latency": l,
        "initiation_interval": ii, "description": "..."})`` and honours
        ``TILEWRIGHT_STIMULUS=zeros`` (all-zero data) besides the default ``random``.
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
    verilator_args: tuple = ()

    def resolve(self, given=None):
        """Defaults filled in, unknown names and wrongly typed values rejected.

        Values are checked by the component itself when it is built.
        """
        given = dict(given or {})
        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise BlockError(f"{self.name}: unknown parameter {unknown[0]!r}; parameters are "
                             f"{', '.join(known)}")
        resolved = {}
        for p in self.params:
            value = given.get(p.name, p.default)
            if value is not None and not _is(value, p.type):
                raise BlockError(f"{self.name}: {p.name} must be {_KINDS[p.type]}, "
                                 f"not {value!r}")
            resolved[p.name] = value
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


#: What a value of each parameter type is called in errors (as the CLI's `convert` says).
_KINDS = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def _is(value, kind):
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind)
