"""Child processes die with us: SIGKILL of the parent kills them (PR_SET_PDEATHSIG), and
the CLI turns SIGTERM into one line and stops its children."""

import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# a parent that starts `sleep` the way the runner starts simulators, prints its pid, waits
PARENT = """
import subprocess, sys
from tilewright.cosim.children import dying_with_us
subprocess.run(dying_with_us(["sh", "-c", "echo $$; exec sleep 60"]))
"""

# the same inside a tilewright command, as `tilewright regress` runs the simulator
CLI = """
import click, subprocess
from tilewright import cli
from tilewright.cosim.children import dying_with_us

@click.command("sleepy")
def sleepy():
    subprocess.run(dying_with_us(["sh", "-c", "echo $$; exec sleep 60"]))

cli.TopGroup.get_command = lambda self, ctx, name: sleepy
cli.main(["sleepy"])
"""


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"     # a zombie is dead
    except FileNotFoundError:
        return False


def _gone(pid, within=10.0):
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _start(script):
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child = int(proc.stdout.readline())
    assert _alive(child)
    return proc, child


def test_sigkill_of_the_parent_kills_the_child():
    proc, child = _start(PARENT)
    proc.kill()
    proc.wait()
    try:
        assert _gone(child)
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)


def test_sigterm_stops_the_cli_with_one_line_and_its_child():
    proc, child = _start(CLI)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    try:
        assert proc.returncode == 128 + signal.SIGTERM
        assert err == "tilewright: terminated (SIGTERM); stopped what was running\n"
        assert _gone(child)
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)
