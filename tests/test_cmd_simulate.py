"""``tilewright simulate``: the summary and the files; one-line errors that write nothing."""

import csv
import json

import pytest

from model_costs import small_db_path
from tilewright.flows.costs import CostDB

pytestmark = pytest.mark.cosim

SMALL_TOML = """name = "small"
[accelerator]
pes = 2
lanes_per_pe = 2
macs_per_lane = 2
softmax_per_pe = 1
spatial_tile = 4
batch_size = 2
activation_buffer_mb = 1
weight_buffer_mb = 1
mask_buffer_mb = 1
il = 3
fl = 3
"""


@pytest.fixture(scope="module")
def db_path():
    return str(small_db_path())


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL_TOML)
    return str(path)


def test_summary_and_files(run_cli, tmp_path, config, db_path):
    out = tmp_path / "out"
    code, text, err = run_cli("simulate", "--config", config, "--model", "bert-tiny",
                              "--seq", "32", "--db", db_path, "-o", str(out))
    assert code == 0, err
    lines = text.splitlines()
    assert lines[0] == "bert-tiny, batch 2, seq 32 on small (inference)"
    for word in ("cycles", "throughput", "energy", "EDP", "area", "utilisation", "stalls"):
        assert any(line.startswith(word) for line in lines), word
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["batch"] == 2 and report["summary"]["cycles"] > 0
    assert report["workload"] == {"model": "bert-tiny", "batch": 2, "seq": 32, "train": False,
                                  "ops": 65, "sparsity": "none", "tau": None}
    assert set(report["energy_by_component_pj"]) >= {"mac_lanes", "softmax", "main_memory"}
    rows = list(csv.DictReader((out / "ops.csv").open()))
    assert len(rows) == 65 and {"cycles", "energy_pj", "memory_stall"} <= set(rows[0])
    for png in ("utilisation.png", "breakdown.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_training_and_dataflow(run_cli, config, db_path):
    code, text, err = run_cli("simulate", "--config", config, "--seq", "32", "--train",
                              "--dataflow", "k,i,j,b", "--batch", "1", "--db", db_path)
    assert code == 0, err
    assert text.splitlines()[0] == "bert-tiny, batch 1, seq 32 on small (training)"


@pytest.mark.parametrize("args, message", [
    (["--dataflow", "b,i,j"], "dataflow must be an order of b,i,j,k such as b,i,j,k, not "
                              "'b,i,j'"),
    (["--batch", "0"], "Invalid value for '--batch': 0 is not in the range 1<=x<=65536."),
    (["--model", "gpt"], "model must be one of 'bert-tiny', 'bert-base', 'deit-s', "
                         "'lv-vit-s', not 'gpt'"),
    (["--node", "3"], "--node must be one of 180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7, "
                      "not 3"),
])
def test_bad_input_one_line_nothing_written(run_cli, tmp_path, config, db_path, args, message):
    out = tmp_path / "out"
    code, text, err = run_cli("simulate", "--config", config, "--seq", "32", "--db",
                              db_path, "-o", str(out), *args)
    assert code == 2 and text == ""
    assert err == f"tilewright: error: {message}\n"
    assert not out.exists()


def test_bad_config_and_missing_records(run_cli, tmp_path):
    out = tmp_path / "out"
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL_TOML.replace("pes = 2", "pes = 0"))
    code, _, err = run_cli("simulate", "--config", str(bad), "-o", str(out))
    assert (code, err) == (2, "tilewright: error: pes must be a positive integer, not 0\n")
    code, _, err = run_cli("simulate", "--db", str(tmp_path / "none.sqlite"),
                           "-o", str(out))
    assert code == 2 and err.startswith("tilewright: error: --db ")
    assert not (tmp_path / "none.sqlite").exists()
    CostDB(tmp_path / "empty.sqlite").close()
    code, _, err = run_cli("simulate", "--db", str(tmp_path / "empty.sqlite"),
                           "-o", str(out))
    assert code == 2
    assert "tilewright characterize mac-lane --param multipliers=16" not in err  # default M
    assert "tilewright characterize softmax --param t=16" in err
    assert not out.exists()
