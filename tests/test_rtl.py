"""The Verilog in rtl/ is what the generators emit for the shipped presets, and lint-clean."""

from pathlib import Path

import pytest

from tilewright.cosim.toolchain import lint
from tilewright.flows.config import load_config, presets
from tilewright.flows.generate import accelerator_params, generate, generate_config
from tilewright.flows.model.hardware import load_accelerator

RTL = Path(__file__).resolve().parent.parent / "rtl"


def _items(preset):
    """What ``tilewright gen --config preset`` emits: the blocks, and the PE of an
    ``[accelerator]`` table."""
    config = load_config(preset)
    items = list(generate_config(config))
    if config.accelerator is not None:
        hardware = load_accelerator({"name": config.name, "accelerator": config.accelerator})
        items.append(generate("pe", accelerator_params(hardware)["pe"], "pe"))
    return items


@pytest.mark.parametrize("preset", presets())
def test_preset_rtl_is_current_and_lint_clean(preset):
    for item in _items(preset):
        path = RTL / preset / f"{item.instance}.v"
        assert path.exists(), f"missing {path}: run tilewright gen --config {preset} -o {path.parent}"
        assert path.read_text() == item.verilog, f"{path} is stale: regenerate it"
        assert lint(path, item.instance) == []


def test_lint_catches_real_problems(tmp_path):
    bad = tmp_path / "bad.v"
    bad.write_text("module bad(input [3:0] a, output [1:0] y);\n  assign y = a;\nendmodule\n")
    problems = lint(bad, "bad")
    assert any("WIDTHTRUNC" in p for p in problems)
