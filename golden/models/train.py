"""Deterministic training of the golden models, with a local checkpoint cache.

:func:`train` seeds everything from ``seed``, runs single-threaded (bit-reproducible on
one machine) and returns the model; checkpoints are stored under
``$TILEWRIGHT_CACHE/models`` (default ``~/.cache/tilewright/models``) keyed by a hash of
the task, the encoder configuration and the training settings, and are only ever
produced locally — nothing is downloaded.
"""

import fcntl
import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from tilewright.fixedpoint import check_choice, check_int
from tilewright.golden.models import data
from tilewright.golden.models.encoder import Encoder, EncoderConfig, check_skip
from tilewright.files import write_atomically

__all__ = ["TASKS", "TrainConfig", "task_data", "default_config", "train", "evaluate",
           "accuracy", "model_cache"]

TASKS = ("digits", "sentiment")
VERSION = 1


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 30
    batch: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    seed: int = 0
    skip: tuple = ()

    def __post_init__(self):
        check_int("epochs", self.epochs, 1, 100_000)
        check_int("batch", self.batch, 1, 1 << 20)
        check_int("seed", self.seed, 0, (1 << 63) - 1)
        for name in ("lr", "weight_decay"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise ValueError(f"{name} must be a finite number at least 0, not {value!r}")


def default_config(task, **overrides):
    """The encoder used for ``task``: a 2-layer ViT on 2×2 patches of the 8×8 digits, or a
    2-layer BERT-style encoder on the sentiment sequences."""
    check_choice("task", task, TASKS)
    if task == "digits":
        base = dict(kind="vit", layers=2, hidden=64, heads=4, ff=128, classes=10,
                    image=8, patch=2, channels=1)
    else:
        base = dict(kind="bert", layers=2, hidden=32, heads=2, ff=64, classes=2,
                    vocab=32, seq_len=16)
    base.update(overrides)
    return EncoderConfig(**base)


def task_data(task):
    check_choice("task", task, TASKS)
    return data.digits() if task == "digits" else data.sentiment()


def model_cache():
    root = os.environ.get("TILEWRIGHT_CACHE") or Path.home() / ".cache" / "tilewright"
    return Path(root) / "models"


def _key(task, cfg, tcfg, extra):
    blob = json.dumps([VERSION, task, asdict(cfg), asdict(tcfg), extra], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


@torch.no_grad()
def predict(model, x, batch=512, skip=()):
    model.eval()
    return torch.cat([model(x[i:i + batch], skip=skip) for i in range(0, len(x), batch)])


def accuracy(model, x, y, skip=()):
    """Fraction of ``x`` classified as ``y``."""
    return float((predict(model, x, skip=skip).argmax(1) == y).float().mean())


def train(task, cfg=None, tcfg=TrainConfig(), numerics=None, cache=True, tag=None,
          log=None):
    """Train an :class:`Encoder` on ``task``; reuse a cached checkpoint when one exists.

    ``numerics`` is used during training (e.g. a DynaProp tap); ``tag`` must then name it
    so that its checkpoint is kept apart. Returns the model (with float numerics).
    """
    if numerics is not None and cache and tag is None:
        raise ValueError("training with numerics needs a tag naming them (or cache=False)")
    cfg = cfg or default_config(task)
    check_skip(tcfg.skip, cfg.layers)
    split = task_data(task)
    path = model_cache() / f"{task}-{_key(task, cfg, tcfg, tag)}.pt"
    if not cache:
        return _train(task, cfg, tcfg, numerics, split, None, log)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)      # one trainer per checkpoint (xdist-safe)
        if path.exists():
            model = _init(cfg, tcfg.seed)
            model.load_state_dict(torch.load(path, weights_only=True))
            return model
        return _train(task, cfg, tcfg, numerics, split, path, log)


def _train(task, cfg, tcfg, numerics, split, path, log):
    model = _init(cfg, tcfg.seed)
    if numerics is not None:
        model.numerics = numerics
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _fit(model, split, tcfg, log)
    finally:
        torch.set_num_threads(threads)
    model.numerics = type(model.numerics)()
    if path is not None:
        write_atomically(path, lambda tmp: torch.save(model.state_dict(), tmp))
    return model


def _init(cfg, seed):
    torch.manual_seed(seed)
    return Encoder(cfg)


def _fit(model, split, tcfg, log):
    g = torch.Generator().manual_seed(tcfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=tcfg.lr, weight_decay=tcfg.weight_decay)
    n = len(split.y_train)
    steps = tcfg.epochs * ((n + tcfg.batch - 1) // tcfg.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, tcfg.lr, total_steps=steps)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(tcfg.epochs):
        model.train()
        perm = torch.randperm(n, generator=g)
        total = 0.0
        for i in range(0, n, tcfg.batch):
            idx = perm[i:i + tcfg.batch]
            loss = loss_fn(model(split.x_train[idx], skip=tcfg.skip), split.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        if log:
            log(f"epoch {epoch + 1}/{tcfg.epochs} loss {total / n:.4f}")


def evaluate(model, task, numerics=None, skip=()):
    """Held-out accuracy of ``model`` on ``task`` with ``numerics`` (float if None)."""
    split = task_data(task)
    saved = model.numerics
    if numerics is not None:
        model.numerics = numerics
    try:
        return accuracy(model, split.x_test, split.y_test, skip=skip)
    finally:
        model.numerics = saved
