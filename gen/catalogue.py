"""The catalogue of generator blocks: every module of :mod:`tilewright.gen` that defines a
module-level ``BLOCK`` (a :class:`tilewright.blocks.Block`)."""

import importlib
import pkgutil
from functools import lru_cache

import tilewright.gen as gen
from tilewright.blocks import Block, BlockError

__all__ = ["blocks", "get_block"]


@lru_cache(maxsize=1)
def blocks():
    """All blocks, by name."""
    found = {}
    for info in pkgutil.iter_modules(gen.__path__):
        module = importlib.import_module(f"tilewright.gen.{info.name}")
        block = getattr(module, "BLOCK", None)
        if isinstance(block, Block):
            found[block.name] = block
    return dict(sorted(found.items()))


def get_block(name):
    """The block called ``name``; ``BlockError`` listing the known ones otherwise."""
    known = blocks()
    if name not in known:
        raise BlockError(f"unknown block {name!r}; blocks are {', '.join(known)}")
    return known[name]
