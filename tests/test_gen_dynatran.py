"""DynaTran generator: parameter checks (word for word), layouts, lint-clean Verilog."""

import pytest

from tilewright.flows.generate import generate
from tilewright.gen.dynatran import DynaTran


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"batch": 0}, ValueError, "batch must be an integer from 1 to 64, not 0"),
    ({"rows": 65}, ValueError, "rows must be an integer from 1 to 64, not 65"),
    ({"cols": "4"}, TypeError, "cols must be an integer, not '4'"),
    ({"batch": 8, "rows": 16, "cols": 16}, ValueError,
     "batch·rows·cols must be at most 1024 elements, not 2048"),
    ({"il": 16, "fl": 16}, ValueError, "il + fl must be from 2 to 24 bits for DynaTran, not 32"),
    ({"threshold": "topk"}, ValueError,
     "threshold must be one of 'input', 'calculator', not 'topk'"),
    ({"curve_points": 0}, ValueError, "curve_points must be an integer from 1 to 64, not 0"),
    ({"rho_bits": 17}, ValueError, "rho_bits must be an integer from 1 to 16, not 17"),
    ({"transpose": 1}, TypeError, "transpose must be true or false, not 1"),
])
def test_parameter_errors(kwargs, exc, msg):
    with pytest.raises(exc) as info:
        DynaTran(**kwargs)
    assert str(info.value) == msg


def test_layouts():
    unit = DynaTran(batch=2, rows=3, cols=4, il=8, fl=0)
    assert unit.elements == 24 and unit.latency == 1
    assert unit.input_layout().size == 24 * 8 + 8
    assert unit.output_layout().size == 24 * 8 + 24 + 8
    assert not hasattr(unit, "load")
    calc = DynaTran(rows=2, cols=2, threshold="calculator", curve_points=5, rho_bits=6,
                    transpose=True)
    assert calc.input_layout().size == 4 * 20 + 6 + 1
    assert calc.load_layout().size == 3 + 6 + 20


@pytest.mark.parametrize("given", [{"batch": 1, "rows": 1, "cols": 1, "il": 8, "fl": 0},
                                   {"threshold": "calculator", "transpose": True, "rows": 4,
                                    "cols": 2, "curve_points": 1}])
def test_generate_facts(given):
    item = generate("dynatran", given)
    assert item.facts["latency_cycles"] == 1
    assert item.facts["comparators"] == given["rows"] * given["cols"]
    assert "module dynatran" in item.verilog
