"""The catalogue as data: every block's parameters agree with its component's signature,
their domains are what the component accepts, the CLI/config path and the component
reject a value with the same message, and `tilewright blocks --json` prints it all."""

import inspect
import json

import pytest

from tilewright.blocks import Param
from tilewright.gen.catalogue import blocks

BLOCKS = list(blocks().values())


def _outside(p):
    """Values just outside ``p``'s domain (besides the wrong type)."""
    if p.choices is not None:
        return ["no-such-choice"] if p.type is str else []
    found = []
    if p.low is not None:
        found.append(p.low - 1)
    if p.high is not None:
        found.append(p.high + 1)
    if p.power_of_two and p.high is not None and p.high >= 4:
        found.append(3)
    return found


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_param_defaults_are_the_component_defaults(block):
    signature = inspect.signature(block.component.__init__).parameters
    declared = [(name, p.default) for name, p in signature.items() if name != "self"]
    assert declared == [(p.name, p.default) for p in block.params]


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_defaults_resolve_and_build(block):
    assert block.resolve() == {p.name: p.default for p in block.params}
    block.build()._MustUse__silence = True


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_component_and_resolve_reject_alike(block):
    cases = [(p, v) for p in block.params for v in _outside(p)]
    cases += [(p, "x" if p.type is not str else 1) for p in block.params]
    assert cases
    for p, value in cases:
        with pytest.raises((TypeError, ValueError)) as by_component:
            block.component(**{p.name: value})
        with pytest.raises((TypeError, ValueError)) as by_resolve:
            block.resolve({p.name: value})
        assert str(by_resolve.value) == str(by_component.value)
        assert str(by_component.value).startswith(f"{p.name} must be ")


def test_domain_bounds_are_accepted():
    for block in BLOCKS:
        for p in block.params:
            for value in (p.low, p.high):
                if value is not None:
                    assert p.check(value) == value


def test_messages():
    p = Param("n", int, 16, "n", low=2, high=1024, power_of_two=True)
    for value, kind, message in [
            ("8", TypeError, "n must be an integer, not '8'"),
            (True, TypeError, "n must be an integer, not True"),
            (1, ValueError, "n must be an integer from 2 to 1024, not 1"),
            (12, ValueError, "n must be a power of two from 2 to 1024, not 12")]:
        with pytest.raises(kind) as e:
            p.check(value)
        assert str(e.value) == message
    with pytest.raises(TypeError) as e:
        Param("t", bool, False, "t").check(1)
    assert str(e.value) == "t must be true or false, not 1"
    assert Param("k", int, None, "k", optional=True).check(None) is None


def test_blocks_json(run_cli):
    code, out, _ = run_cli("blocks", "--json")
    space = {b["name"]: b for b in json.loads(out)}
    assert code == 0 and sorted(space) == sorted(blocks())
    lane = space["mac-lane"]
    multipliers = next(p for p in lane["params"] if p["name"] == "multipliers")
    assert multipliers == {"name": "multipliers", "type": "int", "default": 16,
                           "optional": False, "low": 1, "high": 64, "power_of_two": True,
                           "help": "multipliers M, a power of two from 1 to 64"}
    assert "il + fl from 2 to 24" in lane["constraints"]
    kind = next(p for p in space["multiplier"]["params"] if p["name"] == "kind")
    assert kind["choices"] == ["exact", "truncated", "mitchell", "drum", "ssm"]
