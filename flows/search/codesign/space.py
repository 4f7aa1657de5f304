"""The joint transformer × accelerator design space of TransCODE (§III-B3, §IV), as data.

The allowed values are data: ``space.toml`` beside this module holds a FlexiBERT-2.0-style
transformer space (TransCODE Table III, sized for the shipped tasks) and names the
accelerator model's design space (:func:`tilewright.flows.model.space.load_space`; the
ELECTOR space of TransCODE Table II), whose memory configurations become the values
``type-banks-ranks-channels`` of the ``memory`` axis. A design is a :class:`Pair` of a
:class:`Transformer` (heterogeneous :class:`Layer` s and one activation) and an
:class:`Accelerator`; :attr:`Pair.key` names it in caches and run stores.
"""

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, replace
from importlib import resources

__all__ = ["Layer", "Transformer", "Accelerator", "Pair", "Space", "load_space",
           "accelerator_preset", "LAYER_AXES", "ACCELERATOR_AXES"]

LAYER_AXES = ("hidden", "heads", "attention", "ff")
ACCELERATOR_AXES = ("batch_tile", "spatial_tile", "pes", "lanes_per_pe", "macs_per_lane",
                    "softmax_per_pe", "batch_size", "activation_buffer_mb", "weight_buffer_mb",
                    "mask_buffer_mb", "memory")
TRANSFORMER_AXES = ("layers",) + LAYER_AXES + ("activation",)


@dataclass(frozen=True)
class Layer:
    """One encoder layer: hidden size h, heads n, attention type o, feed-forward size f."""

    hidden: int
    heads: int
    attention: str
    ff: int


@dataclass(frozen=True)
class Transformer:
    layers: tuple
    activation: str

    def to_dict(self):
        return {"activation": self.activation, "layers": [asdict(x) for x in self.layers]}

    @classmethod
    def from_dict(cls, d):
        return cls(tuple(Layer(**x) for x in d["layers"]), d["activation"])


@dataclass(frozen=True)
class Accelerator:
    """An ELECTOR accelerator (TransCODE Table II); ``memory`` is ``type-banks-ranks-channels``."""

    batch_tile: int
    spatial_tile: int
    pes: int
    lanes_per_pe: int
    macs_per_lane: int
    softmax_per_pe: int
    batch_size: int
    activation_buffer_mb: int
    weight_buffer_mb: int
    mask_buffer_mb: int
    memory: str

    def to_dict(self):
        return asdict(self)


def accelerator_preset(name):
    """The ELECTOR point of a shipped accelerator of the model (``acceltran-edge``,
    ``acceltran-server``: AccelTran Table II), for HW-NAS and the DSE's base."""
    from tilewright.flows.model.hardware import accelerators, load_accelerator
    if name not in accelerators():
        allowed = ", ".join(map(repr, accelerators()))
        raise ValueError(f"fix_accelerator must be one of {allowed}, not {name!r}")
    hw = load_accelerator(name)
    return Accelerator(hw.batch_tile, hw.spatial_tile, hw.pes, hw.lanes_per_pe,
                       hw.macs_per_lane, hw.softmax_per_pe, hw.batch_size,
                       hw.activation_buffer_mb, hw.weight_buffer_mb, hw.mask_buffer_mb,
                       f"{hw.memory}-{hw.memory_banks}-{hw.memory_ranks}-"
                       f"{hw.memory_channels}")


@dataclass(frozen=True)
class Pair:
    transformer: Transformer
    accelerator: Accelerator

    def to_dict(self):
        return {"transformer": self.transformer.to_dict(),
                "accelerator": self.accelerator.to_dict()}

    @classmethod
    def from_dict(cls, d):
        return cls(Transformer.from_dict(d["transformer"]), Accelerator(**d["accelerator"]))

    @property
    def key(self):
        """A short stable name of the pair (hash of its canonical JSON)."""
        blob = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Space:
    """Allowed values per axis: ``transformer`` and ``accelerator`` map axis → tuple."""

    transformer: dict
    accelerator: dict

    def __post_init__(self):
        for part, axes in (("transformer", TRANSFORMER_AXES),
                           ("accelerator", ACCELERATOR_AXES)):
            values = getattr(self, part)
            for axis in axes:
                if not values.get(axis):
                    raise ValueError(f"space.{part}.{axis} must list at least one value, "
                                     f"not {values.get(axis)!r}")
            extra = set(values) - set(axes)
            if extra:
                raise ValueError(f"space.{part} axes must be among {', '.join(axes)}, "
                                 f"not {sorted(extra)[0]!r}")

    @property
    def max_layers(self):
        return max(self.transformer["layers"])

    def sample(self, rng):
        """A uniformly random pair (``rng``: a ``random.Random``); it may be invalid."""
        t = self.transformer
        n = rng.choice(t["layers"])
        layers = tuple(Layer(*(rng.choice(t[a]) for a in LAYER_AXES)) for _ in range(n))
        acc = Accelerator(*(rng.choice(self.accelerator[a]) for a in ACCELERATOR_AXES))
        return Pair(Transformer(layers, rng.choice(t["activation"])), acc)

    def contains(self, pair):
        """Whether every value of ``pair`` is one of the space's."""
        t = self.transformer
        tr = pair.transformer
        if len(tr.layers) not in t["layers"] or tr.activation not in t["activation"]:
            return False
        if any(getattr(x, a) not in t[a] for x in tr.layers for a in LAYER_AXES):
            return False
        return all(getattr(pair.accelerator, a) in self.accelerator[a]
                   for a in ACCELERATOR_AXES)

    def with_accelerator(self, accelerator):
        """The HW-NAS space (TransCODE §IV-D): ``accelerator`` fixed, transformer searched."""
        return replace(self, accelerator={a: (getattr(accelerator, a),)
                                          for a in ACCELERATOR_AXES})


def load_space(text=None, accelerator_space=None):
    """The space from TOML ``text`` (default: the shipped ``space.toml``); its accelerator
    part from ``accelerator_space`` when given (a name from ``tilewright/spaces/`` or a TOML
    path, e.g. ``"elector-measured"``: ELECTOR on the characterized block sizes), else from
    the file's ``accelerator_space`` (default ``"elector"``)."""
    from tilewright.flows.model import InvalidDesign
    from tilewright.flows.model.space import load_space as load_accelerator_space
    if text is None:
        text = (resources.files("tilewright.flows.search.codesign") / "space.toml").read_text()
    data = tomllib.loads(text)
    if not isinstance(data.get("transformer"), dict):
        raise ValueError("space.transformer must be a table of allowed values, not missing")
    field = "accelerator_space" if accelerator_space else "space.accelerator_space"
    spec = accelerator_space or data.get("accelerator_space", "elector")
    try:
        elector_space = load_accelerator_space(spec)
    except InvalidDesign as e:
        raise ValueError(f"{field} {e.message}") from None
    except (OSError, tomllib.TOMLDecodeError, KeyError) as e:
        raise ValueError(f"{field} must be a readable TOML space with [choices] and memory, "
                         f"not {spec!r} ({type(e).__name__})") from None
    accelerator = {k: v for k, v in elector_space.choices.items() if k != "activation"}
    accelerator["memory"] = tuple("-".join(map(str, m)) for m in elector_space.memories)
    return Space({k: tuple(v) for k, v in data["transformer"].items()}, accelerator)
