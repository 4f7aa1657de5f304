"""Imports flow one way (DESIGN.md §2): config → gen → rtl → cosim ⇄ golden → costs → model →
search. Every ``import`` of every module, function-level ones included, is checked against
the layer the module belongs to."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"tilewright": "tilewright", "gen": "tilewright.gen", "golden": "tilewright.golden",
           "cosim": "tilewright.cosim", "flows": "tilewright.flows"}

#: layer → the prefixes of the modules it is made of, most specific first
LAYERS = {
    "cli": ("tilewright.cli",),
    "commands": ("tilewright.flows.commands",),
    "search": ("tilewright.flows.search",),
    "model": ("tilewright.flows.model",),
    "costs": ("tilewright.flows.costs",),
    "infra": ("tilewright.flows.executor", "tilewright.flows.runs"),
    "pipelines": ("tilewright.flows",),
    "cosim": ("tilewright.cosim",),
    "gen": ("tilewright.gen",),
    "golden": ("tilewright.golden",),
    "core": ("tilewright",),
}

#: layer → the layers it may import (besides itself)
ALLOWED = {
    "core": set(),
    "gen": {"core"},
    "golden": {"core"},
    "cosim": {"core", "gen", "golden"},
    "costs": {"core", "gen"},
    "infra": {"core", "costs"},
    "pipelines": {"core", "gen", "golden", "cosim", "costs", "infra"},
    "model": {"core", "gen", "golden", "costs"},
    "search": {"core", "gen", "golden", "costs", "infra", "model"},
    "commands": {"core", "gen", "golden", "cosim", "costs", "infra", "pipelines", "model",
                 "search"},
    "cli": {"commands"},
}


def layer_of(module):
    for layer, prefixes in LAYERS.items():
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return layer
    return None


def modules():
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join((package, *parts)), path


def imports(path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_every_module_has_a_layer():
    assert all(layer_of(name) for name, _ in modules())


@pytest.mark.parametrize("name,path", list(modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_imports_only_layers_below(name, path):
    layer = layer_of(name)
    wrong = sorted({target for target in imports(path) if target.startswith("tilewright")
                    and (lambda t: t is not None and t != layer and t not in ALLOWED[layer])(
                        layer_of(target))})
    assert not wrong, f"{name} ({layer}) imports {wrong}"


@pytest.mark.parametrize("module", ["tilewright.fixedpoint", "tilewright.gen.mac_lane",
                                    "tilewright.gen.catalogue", "tilewright.flows.costs.store",
                                    "tilewright.flows.characterize",
                                    "tilewright.flows.commands.characterize"])
def test_loads_without_torch(module):
    # a search-space check or a cost lookup (in process or from the CLI) must not pay for
    # torch: a fresh interpreter imports the module and, for the catalogue, every block
    code = ("import importlib, sys\n"
            "getattr(importlib.import_module(sys.argv[1]), 'blocks', lambda: None)()\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, module], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "False"


def test_verilog_for_a_cost_key_without_torch():
    # characterization's key needs the Verilog, not the golden models' error facts
    code = ("import sys\nfrom tilewright.flows.generate import generate\n"
            "item = generate('multiplier', {'bits': 4}, errors=False)\n"
            "print('torch' in sys.modules, 'error_vs_exact' in item.facts, 'module' in item.verilog)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False", "True"]
