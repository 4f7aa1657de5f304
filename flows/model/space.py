"""Design spaces as data: the permissible values of each accelerator field, for searchers.

:func:`load_space` reads a space file (shipped: ``elector``, TransCODE Table II, in
``tilewright/spaces/``); :meth:`Space.accelerator` turns one choice per field into an
:class:`~tilewright.flows.model.hardware.Accelerator`.
"""

import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tilewright.flows.model.errors import InvalidDesign
from tilewright.flows.model.hardware import Accelerator

__all__ = ["Space", "load_space", "spaces"]


@dataclass(frozen=True)
class Space:
    """``choices``: field → tuple of allowed values; ``memories``: tuple of
    ``(type, banks, ranks, channels)``."""

    name: str
    source: str
    choices: dict
    memories: tuple

    @property
    def size(self):
        """Number of accelerators in the space."""
        return math.prod(len(v) for v in self.choices.values()) * len(self.memories)

    def accelerator(self, point, **fixed):
        """The :class:`Accelerator` of ``point`` (field → value, ``memory`` → an index
        into :attr:`memories`); values outside the space raise :class:`InvalidDesign`.
        ``fixed`` sets fields the space leaves open (``il``, ``clock_mhz``...)."""
        values = dict(fixed)
        for name, allowed in self.choices.items():
            if name not in point:
                raise InvalidDesign(name, f"must be given, one of {list(allowed)}")
            if point[name] not in allowed:
                raise InvalidDesign(name, f"must be one of {list(allowed)}, not "
                                          f"{point[name]!r}")
            values[name] = point[name]
        index = point.get("memory")
        if not isinstance(index, int) or not 0 <= index < len(self.memories):
            raise InvalidDesign("memory", f"must be an index from 0 to "
                                          f"{len(self.memories) - 1}, not {index!r}")
        kind, banks, ranks, channels = self.memories[index]
        return Accelerator(name=f"{self.name}-point", memory=kind, memory_banks=banks,
                           memory_ranks=ranks, memory_channels=channels, **values)


def spaces():
    """Names of the shipped spaces."""
    folder = resources.files("tilewright") / "spaces"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_space(spec="elector"):
    """The :class:`Space` of a shipped space's name or a TOML file."""
    path = Path(spec)
    if path.suffix == ".toml":
        text = path.read_text()
    elif spec in spaces():
        text = (resources.files("tilewright") / "spaces" / f"{spec}.toml").read_text()
    else:
        raise InvalidDesign("space", f"must be a TOML file or one of {', '.join(spaces())}, "
                                     f"not {spec!r}")
    raw = tomllib.loads(text)
    choices = {k: tuple(v) for k, v in raw["choices"].items()}
    memories = tuple(tuple(m) for m in raw["memory"])
    return Space(raw.get("name", path.stem), raw.get("source", ""), choices, memories)
