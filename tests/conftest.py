"""What the tests share: the build cache, readable ids for parameter dicts, running the
CLI in-process (``run_cli``), a block regression with a logged seed (``regress``) and cost
records to store (``cost_record``). Fixtures, not imports, so that the tests run alike
under ``pytest``, ``python -m pytest`` and ``tilewright regress --full``."""

import os
import tempfile

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Builds go to a cache shared by the xdist workers of this session (keyed by content,
    locked per build), unless the user points TILEWRIGHT_CACHE elsewhere."""
    if "TILEWRIGHT_CACHE" not in os.environ:
        os.environ["TILEWRIGHT_CACHE"] = os.path.join(tempfile.gettempdir(),
                                                      "tilewright-test-cache")
    yield


def pytest_make_parametrize_id(config, val, argname):
    """A dict of generator parameters as ``name=value-name=value``."""
    if isinstance(val, dict):
        return "-".join(f"{k}={v}" for k, v in val.items())
    return None


@pytest.fixture
def run_cli(capsys):
    """``run_cli(*argv)`` runs ``tilewright`` in-process: ``(exit code, stdout, stderr)``."""
    from tilewright.cli import main

    def run(*argv):
        with pytest.raises(SystemExit) as info:
            main(list(argv))
            raise SystemExit(0)
        out = capsys.readouterr()
        return info.value.code or 0, out.out, out.err
    return run


@pytest.fixture
def seed():
    """A fresh seed for a randomized test (``TILEWRIGHT_SEED`` fixes it), printed so that a
    failure can be replayed."""
    from tilewright.flows.regress import new_seed
    value = int(os.environ.get("TILEWRIGHT_SEED") or new_seed())
    print(f"seed {value}")
    return value


@pytest.fixture
def regress(seed):
    """``regress(block, params, tests=3)``: the block's cocotb regression on Verilator with
    :func:`seed`; asserts that its ``tests`` tests ran and that no scoreboard found a
    mismatch, returns the result."""
    from tilewright.flows.regress import regress_block

    def run(block, params, tests=3):
        result = regress_block(block, params, seed=seed)
        assert result.tests == tests
        for name, entry in result.report.items():
            if isinstance(entry, dict) and "mismatches" in entry:
                assert entry["mismatches"] == 0, f"{name}: {entry['mismatches']} mismatches"
        return result
    return run


def make_cost_record(i, block="mac-lane"):
    """A cost record numbered ``i`` (area 100 + i µm², i/2 pJ per operation, ...)."""
    from tilewright.flows.costs.store import CostRecord, cost_key
    params = {"multipliers": 2, "seed": i}
    return CostRecord(key=cost_key(block, params, "0.1.0", {"pyosys": "0.70"}), block=block,
                      params=params, generator_version="0.1.0", area_um2=100.0 + i,
                      leakage_mw=1e-6 * i, energy_per_op_pj=0.5 * i, operation="mac",
                      operations=48, cycles=27, latency_cycles=3, initiation_interval=0.5,
                      clock_mhz=700.0, technology="sky130", node_nm=130, tools={"x": "1"},
                      stimulus={"description": "random"}, details={"blob": "x" * 2000})


@pytest.fixture
def cost_record():
    """``cost_record(i, block="mac-lane")``: :func:`make_cost_record`."""
    return make_cost_record
