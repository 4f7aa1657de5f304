"""TOML configurations: a named list of block instances with their parameters.

A config looks like (shipped presets live in ``tilewright/presets/``)::

    name = "acceltran-edge"
    description = "..."

    [[blocks]]
    block = "mac-lane"          # a block name, see `tilewright blocks`
    instance = "mac_lane"       # file name of its Verilog; defaults to the block's top
    multipliers = 16            # any parameter of that block

An ``[accelerator]`` table, when present, describes the accelerator built from the blocks;
it is read by the accelerator model (:func:`tilewright.flows.model.load_accelerator`), not
here: the config keeps it as :attr:`Config.accelerator` (``tilewright gen --config`` emits
the PE and the top it describes).
"""

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tilewright.blocks import BlockError
from tilewright.flows.generate import check_params
from tilewright.flows.verilog_names import identifier_problem
from tilewright.gen.catalogue import get_block

__all__ = ["Config", "Instance", "ConfigError", "load_config", "presets"]

TOP_KEYS = ("name", "description", "blocks", "accelerator")


class ConfigError(ValueError):
    """A malformed configuration; the message names the file and the field."""


@dataclass(frozen=True)
class Instance:
    block: str
    instance: str
    params: dict


@dataclass(frozen=True)
class Config:
    name: str
    description: str
    instances: tuple
    source: str
    accelerator: dict = None        # the raw [accelerator] table, if any


def presets():
    """Names of the shipped presets."""
    folder = resources.files("tilewright") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_config(spec):
    """Load a config from a path, or a shipped preset by name."""
    path = Path(spec)
    if path.suffix == ".toml" or path.exists():
        try:
            text, source = path.read_text(encoding="utf-8"), str(path)
        except OSError as e:
            raise ConfigError(f"{spec}: cannot read ({e.strerror})") from None
        except UnicodeDecodeError as e:
            raise ConfigError(f"{spec}: not UTF-8 text (byte {e.start})") from None
    elif spec in presets():
        source = f"preset {spec!r}"
        text = (resources.files("tilewright") / "presets" / f"{spec}.toml").read_text()
    else:
        raise ConfigError(f"no config file or preset {spec!r}; presets are "
                          f"{', '.join(presets())}")
    return parse_config(text, source)


def parse_config(text, source="<config>"):
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from None
    for key in raw:
        if key not in TOP_KEYS:
            raise ConfigError(f"{source}: unknown key {key!r}; keys are {', '.join(TOP_KEYS)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{source}: name must be a non-empty string")
    entries = raw.get("blocks")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{source}: blocks must be a non-empty array of tables ([[blocks]])")
    instances, seen = [], set()
    for n, entry in enumerate(entries):
        where = f"{source}: blocks[{n}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table")
        entry = dict(entry)
        block_name = entry.pop("block", None)
        if not isinstance(block_name, str):
            raise ConfigError(f"{where}.block must name a block")
        try:
            instance = entry.pop("instance", get_block(block_name).toplevel)
            params = check_params(block_name, entry)
        except (BlockError, ValueError, TypeError) as e:
            raise ConfigError(f"{where}: {e}") from None
        problem = identifier_problem(instance)
        if problem:
            shown = repr(instance) if len(repr(instance)) <= 60 else repr(instance)[:57] + "..."
            raise ConfigError(f"{where}.instance {problem}, not {shown}")
        if instance in seen:
            raise ConfigError(f"{where}.instance {instance!r} is used twice")
        seen.add(instance)
        instances.append(Instance(block_name, instance, params))
    return Config(name, raw.get("description", ""), tuple(instances), source,
                  raw.get("accelerator"))
