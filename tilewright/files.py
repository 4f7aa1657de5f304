"""Files written whole or not at all: caches and checkpoints that other processes (pytest
workers, Dask workers, a second terminal) may read while they are being written."""

import os
import threading
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path, write):
    """Write ``path`` through ``write(tmp)``, which fills a temporary file beside it (named
    for this process and thread); the temporary file then replaces ``path`` in one step,
    so a reader sees the old file or the new one, never a part. The folder is created;
    on an error the temporary file is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
