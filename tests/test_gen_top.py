"""The accelerator top: parameter errors, cycle formulas per instruction, hierarchical and
lint-clean Verilog, and the CLI (``gen top``, ``gen --config`` with an [accelerator])."""

import re

import pytest

from tilewright.cosim.toolchain import lint
from tilewright.flows.generate import accelerator_params, generate
from tilewright.flows.model.hardware import load_accelerator
from tilewright.gen.catalogue import get_block
from tilewright.gen.dma import Dma
from tilewright.gen.pe import Pe
from tilewright.gen.top import Top
from tilewright.isa import Instruction

SMALL = dict(pes=2, lanes=1, macs=2, softmax=1, seq=2, features=2, il=4, fl=4,
             activation_words=64, weight_words=64, dma_words=2)


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"pes": 0}, ValueError, "pes must be an integer from 1 to 64, not 0"),
    ({"pes": 65}, ValueError, "pes must be an integer from 1 to 64, not 65"),
    ({"activation_words": 1000}, ValueError,
     "activation_words must be a power of two from 2 to 262144, not 1000"),
    ({"weight_words": 1 << 19}, ValueError,
     "weight_words must be an integer from 2 to 262144, not 524288"),
    ({"dma_words": 3}, ValueError, "dma_words must be a power of two from 1 to 64, not 3"),
    ({"macs": 128}, ValueError, "macs must be an integer from 1 to 64, not 128"),
    ({"il": 12, "fl": 16}, ValueError, "il + fl must be from 2 to 20 bits for the top, not 28"),
])
def test_parameter_errors(kwargs, exc, msg):
    with pytest.raises(exc) as info:
        Top(**kwargs)
    assert str(info.value) == msg


def test_instruction_cycles():
    shape = dict(macs=4, seq=8, features=16, il=4, fl=8, dma_words=2, memory_latency=3)
    cycles = {ins.op: Top.instruction_cycles(ins, **shape) for ins in (
        Instruction("LOAD", n=7), Instruction("STORE", n=7),
        Instruction("MATMUL", x=2, y=16, z=3, flags=("BIAS",)),
        Instruction("ADD", x=2, y=5), Instruction("SOFTMAX", x=3, y=8),
        Instruction("LAYERNORM", x=3, y=16), Instruction("PRUNE", x=2, y=9),
        Instruction("FENCE"), Instruction("END"))}
    assert cycles == {"LOAD": Dma.load_cycles(7, 2, 3) == 4 + 3 and 7,
                      "STORE": 4 + 1, "MATMUL": Pe.matmul_cycles(2, 16, 3, 4, True),
                      "ADD": Pe.add_cycles(2, 5, 4), "SOFTMAX": Pe.softmax_cycles(3, 8, 8),
                      "LAYERNORM": Pe.layernorm_cycles(3, 16, 4, 8),
                      "PRUNE": Pe.prune_cycles(2, 9, 4), "FENCE": 0, "END": 0}


def test_hierarchical_lint_clean_verilog(tmp_path):
    one = generate("top", {**SMALL, "pes": 1}, errors=False)
    three = generate("top", {**SMALL, "pes": 3}, errors=False)
    modules = re.findall(r"^module \\?(\S+?)\s*\(", three.verilog, re.MULTILINE)
    assert sum(name.startswith("top__pe_lanes") for name in modules) == 1       # the PE
    assert len(modules) == len(set(modules))
    assert re.search(r"\(\* blackbox \*\)\nmodule top__buffer_", three.verilog)
    # a PE more adds its ports and an instance, not a copy of the PE's body
    assert len(three.verilog) - len(one.verilog) < 0.5 * len(one.verilog)
    path = tmp_path / "top.v"
    path.write_text(three.verilog)
    assert lint(path, "top") == []
    assert three.facts["read_ports"] == 3 * Pe.read_ports(1, 2, 1) + 2


def test_edge_parameters_from_the_accelerator():
    built = accelerator_params(load_accelerator("acceltran-edge"))
    assert built["pe"] == dict(lanes=16, macs=16, softmax=4, seq=16, features=16, il=4, fl=16)
    assert built["top"]["pes"] == 64 and built["top"]["dma_words"] == 16
    assert built["top"]["activation_words"] == built["top"]["weight_words"] == 1 << 18


CONFIG = """name = "tiny"
[accelerator]
pes = 1
lanes_per_pe = 1
macs_per_lane = 2
softmax_per_pe = 1
spatial_tile = 2
il = 4
fl = 4
activation_buffer_mb = 0.0001
weight_buffer_mb = 0.0001

[[blocks]]
block = "gelu"
lanes = 1
il = 4
fl = 4
"""


def test_gen_config_emits_pe_and_top_when_asked(run_cli, tmp_path):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(CONFIG)
    code, _, err = run_cli("gen", "--config", str(cfg), "--top", "-o", str(tmp_path / "rtl"))
    assert code == 0, err
    assert {p.name for p in (tmp_path / "rtl").iterdir()} == {
        "gelu_unit.v", "gelu_unit.json", "pe.v", "pe.json", "top.v", "top.json"}
    assert "module top(" in (tmp_path / "rtl" / "top.v").read_text()
    code, _, err = run_cli("gen", "--config", str(cfg), "--no-lint", "-o",
                           str(tmp_path / "no-top"))
    assert code == 0 and not (tmp_path / "no-top" / "top.v").exists()


def test_gen_top_command(run_cli, tmp_path):
    args = [f"--{k.replace('_', '-')}={v}" for k, v in SMALL.items()]
    code, out, err = run_cli("gen", "top", *args, "-o", str(tmp_path))
    assert code == 0, err
    assert (tmp_path / "top.v").exists() and '"read_ports"' in out
    code, _, err = run_cli("gen", "pe", "--macs", "3", "-o", str(tmp_path / "x"))
    assert code == 2 and "macs must be a power of two from 1 to 64, not 3" in err


def test_edge_top_is_past_amaranths_module_limit(run_cli, tmp_path):
    """AccelTran-Edge's buffers would have 34,256 read ports: more port bits than Amaranth
    0.5 numbers in one module; the top says so in one line (its PE is emitted)."""
    with pytest.raises(ValueError, match=r"^the top's buffer ports must fit 65280 bits each "
                                         r"way .* not 821888 \(34256 read and 2384 write "
                                         r"ports\): fewer PEs, lanes or multipliers$"):
        Top(**accelerator_params(load_accelerator("acceltran-edge"))["top"])
    Top(**{**accelerator_params(load_accelerator("acceltran-edge"))["top"], "pes": 4})


@pytest.mark.parametrize("program, message", [
    ([Instruction("MATMUL", pe=2, x=1, y=1, z=1)],
     "instruction 0 (MATMUL): pe must be a PE from 0 to 1, not 2"),
    ([Instruction("ADD", unit=5, x=1, y=1)],
     "instruction 0 (ADD): unit must be a unit from 0 to 1, not 5"),
    ([Instruction("SOFTMAX", x=1, y=3)],
     "instruction 0 (SOFTMAX): y must be the unit's length 8, not 3"),
    ([Instruction("LAYERNORM", x=0, y=16)],
     "instruction 0 (LAYERNORM): x must be at least 1, not 0"),
    ([Instruction("LOAD")], "instruction 0 (LOAD): n must be at least 1, not 0"),
    ([Instruction("FENCE", unit=9)],
     "instruction 0 (FENCE): unit must be a FENCE kind from 0 to 5, not 9"),
    ([Instruction("FENCE", unit=1, x=7)],
     "instruction 0 (FENCE): x must be a unit from 0 to 1, not 7"),
    ([Instruction("END")], "instruction 0 (END): END must be the last of the 2 instructions"),
])
def test_check_program_names_what_the_top_cannot_execute(program, message):
    params = get_block("top").resolve({})
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        Top.check_program([*program, Instruction("END")], **params)
    Top.check_program([Instruction("MATMUL", pe=1, unit=1, x=1, y=4, z=1),
                       Instruction("FENCE", pe=1, unit=1, x=1, n=1), Instruction("END")],
                      **params)
