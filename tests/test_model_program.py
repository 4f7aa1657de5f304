"""The lowering of the model's schedule to the top's instruction stream: run on the top's
bit-exact model, a lowered encoder layer gives the golden model's output word for word,
with FENCEs enough for every overlap the schedule has (the race check)."""

import pytest
from model_costs import HW, LAYER, FormulaCosts

from tilewright.flows.model import InvalidDesign, requirements
from tilewright.flows.model.layer_case import check_program, layer_case
from tilewright.golden.top import ProgramRace


@pytest.mark.parametrize("tau", [None, 0.05])
def test_lowered_layer_equals_the_golden_model(tau):
    case = layer_case(HW, LAYER, batch=1, seq=4, costs=FormulaCosts(), tau=tau)
    check_program(case, HW)
    ops = [i.op for i in case.program.instructions]
    assert ops[-1] == "END" and ops.count("FENCE") > 0
    assert {"LOAD", "STORE", "MATMUL", "ADD", "SOFTMAX", "LAYERNORM"} <= set(ops)
    # every lane and both PEs get work, as the model's pools had it
    units = {(i.pe, i.unit) for i in case.program.instructions if i.op == "MATMUL"}
    assert units == {(0, 0), (0, 1), (1, 0), (1, 1)}
    if tau is not None:
        assert all("PRUNE" in i.flags for i in case.program.instructions
                   if i.op in ("MATMUL", "SOFTMAX", "LAYERNORM"))


def test_two_sentences_and_a_different_order():
    hw = HW.replace(batch_size=2, dataflow="i,b,j,k")
    case = layer_case(hw, LAYER, batch=2, seq=4, costs=FormulaCosts(), tau=0.05)
    check_program(case, hw)


def test_a_broken_program_is_caught():
    case = layer_case(HW, LAYER, batch=1, seq=4, costs=FormulaCosts())
    case.program.instructions = [i for i in case.program.instructions if i.op != "FENCE"]
    with pytest.raises(ProgramRace, match="a FENCE is missing"):
        check_program(case, HW)


def test_what_cannot_be_lowered_is_named():
    with pytest.raises(InvalidDesign, match="layernorm_length"):
        layer_case(HW.replace(layernorm_length=8), LAYER, batch=1, seq=4,
                   costs=FormulaCosts())
    with pytest.raises(InvalidDesign, match="must have k innermost"):
        layer_case(HW.replace(dataflow="b,k,i,j"), LAYER, batch=1, seq=4,
                   costs=FormulaCosts())


def test_requirements_use_the_vector_lengths():
    needed = requirements(HW)
    assert needed["softmax"][1]["t"] == 4 and needed["layernorm"][1]["n"] == 16
