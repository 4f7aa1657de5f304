"""Child processes that die with us.

A simulator or compiler started for a run must not outlive the process that started it:
killed, even with SIGKILL, that process takes its children along. On Linux each command
is started through a small launcher that asks the kernel (``prctl(PR_SET_PDEATHSIG)``)
to send the child SIGKILL when its parent dies, then ``exec``\\s the command; the
request survives the ``exec``. Elsewhere commands run unchanged.
"""

import os
import sys

__all__ = ["dying_with_us"]

_LAUNCHER = ("import ctypes, os, signal, sys\n"
             "ctypes.CDLL(None).prctl(1, signal.SIGKILL)\n"   # 1 = PR_SET_PDEATHSIG
             "if os.getppid() != int(sys.argv[1]):\n"           # the parent is already gone
             "    sys.exit(137)\n"
             "os.execvp(sys.argv[2], sys.argv[2:])\n")


def dying_with_us(cmd):
    """``cmd`` (an argument list) as a command whose process is killed when this process
    dies."""
    if not sys.platform.startswith("linux"):
        return list(cmd)
    return [sys.executable, "-c", _LAUNCHER, str(os.getpid()), *map(str, cmd)]
