"""A real run killed with SIGKILL mid-way, then resumed: only the missing evaluations run
again, and the result equals an uninterrupted run's with the same seed (SQLite and
PostgreSQL)."""

import json
import os
import signal
import subprocess
import sys
import time

from synthetic_sweep import POINTS
from tilewright.flows.runs import open_run

SWEEP = os.path.join(os.path.dirname(__file__), "synthetic_sweep.py")


def sweep(db, run_id, log, seed=11):
    return subprocess.Popen([sys.executable, SWEEP, db, run_id, str(seed), str(log)],
                            stdout=subprocess.PIPE, text=True)


def logged(log):
    with open(log) as f:
        return f.read().split()


def test_killed_run_resumes_to_the_same_result(db_url, tmp_path):
    proc = sweep(db_url, "killed", tmp_path / "first.log")
    deadline = time.monotonic() + 60
    while True:                                 # kill -9 once 8 evaluations are recorded
        assert proc.poll() is None and time.monotonic() < deadline
        with open_run(db_url, "killed", kind="synthetic", config={"seed": 11}) as run:
            if len(run.done()) >= 8:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    with open_run(db_url, "killed", kind="synthetic", config={"seed": 11}) as run:
        before = set(run.done())
    assert 8 <= len(before) < POINTS

    resumed = sweep(db_url, "killed", tmp_path / "resumed.log")
    whole = sweep(db_url, "whole", tmp_path / "whole.log")
    resumed_out, whole_out = resumed.communicate(timeout=60)[0], whole.communicate(60)[0]
    assert resumed.returncode == 0 and whole.returncode == 0
    assert json.loads(resumed_out) == json.loads(whole_out)
    again = logged(tmp_path / "resumed.log")    # only what was missing ran again
    assert len(again) == len(set(again)) and set(again) == {f"p{i}" for i in range(POINTS)} - before
    assert len(logged(tmp_path / "whole.log")) == POINTS
