"""Accuracy of a candidate transformer: supernet weights + a brief fine-tune, cached.

:class:`AccuracyEvaluator` trains the :class:`~.supernet.Supernet` once (a random valid
sub-network per step), then scores a candidate by inheriting the supernet's weights,
fine-tuning that sub-network alone for ``finetune_steps`` steps and measuring held-out
accuracy. Everything is seeded from the settings and the candidate's description and run
on one thread, so a candidate's accuracy is reproducible; results are cached on disk
under ``$TILEWRIGHT_CACHE/models/codesign/`` by the supernet's and the candidate's keys.
:meth:`AccuracyEvaluator.standalone` trains the candidate from scratch instead: the
reference the supernet ranking is checked against (Kendall τ,
``benchmarks/codesign_kendall.py``).
"""

import copy
import fcntl
import hashlib
import json
import random
from dataclasses import asdict, dataclass

import torch

from tilewright.flows.search.codesign.supernet import Supernet
from tilewright.flows.search.codesign.validity import transformer_error
from tilewright.golden.models.train import TASKS, model_cache, task_data
from tilewright.files import write_atomically

__all__ = ["AccuracySettings", "AccuracyEvaluator", "sample_transformer"]

VERSION = 1


@dataclass(frozen=True)
class AccuracySettings:
    task: str = "sentiment"
    supernet_epochs: int = 20
    finetune_steps: int = 10
    standalone_epochs: int = 10
    batch: int = 64
    lr: float = 3e-3
    finetune_lr: float = 5e-4
    seed: int = 0

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(map(repr, TASKS))}, "
                             f"not {self.task!r}")


def sample_transformer(space, rng):
    """A random transformer of ``space`` that satisfies the transformer rules."""
    while True:
        t = space.sample(rng).transformer
        if transformer_error(t) is None:
            return t


def _key(*parts):
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


class AccuracyEvaluator:
    """Callable ``transformer → held-out accuracy`` (see the module docstring); picklable."""

    def __init__(self, space, settings=AccuracySettings()):
        self.space, self.settings = space, settings
        trained = {k: v for k, v in asdict(settings).items() if k != "standalone_epochs"}
        self.key = _key(VERSION, space.transformer, trained)
        self.root = model_cache() / "codesign" / self.key
        self._net = None

    def __getstate__(self):
        return {**self.__dict__, "_net": None}

    def supernet(self):
        """The trained supernet (trained on first use, then loaded from the cache)."""
        if self._net is None:
            self.root.mkdir(parents=True, exist_ok=True)
            path = self.root / "supernet.pt"
            with open(self.root / "supernet.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                net = self._fresh(self.settings.seed)
                if path.exists():
                    net.load_state_dict(torch.load(path, weights_only=True))
                else:
                    rng = random.Random(self.settings.seed)
                    self._fit(net, lambda: sample_transformer(self.space, rng),
                              self.settings.supernet_epochs, self.settings.lr)
                    write_atomically(path, lambda tmp: torch.save(net.state_dict(), tmp))
            self._net = net
        return self._net

    def _fresh(self, seed):
        torch.manual_seed(seed)
        return Supernet(self.space, self.settings.task)

    def __call__(self, transformer):
        path = self.root / f"{_key(transformer.to_dict())}.json"
        if path.exists():
            return json.loads(path.read_text())["accuracy"]
        net = copy.deepcopy(self.supernet())
        seed = int(_key(transformer.to_dict(), self.settings.seed)[:8], 16)
        self._fit(net, lambda: transformer, None, self.settings.finetune_lr, seed=seed,
                  steps=self.settings.finetune_steps)
        acc = self._accuracy(net, transformer)
        write_atomically(path, lambda tmp: tmp.write_text(json.dumps(
            {"accuracy": acc, "transformer": transformer.to_dict()})))
        return acc

    def standalone(self, transformer):
        """Held-out accuracy of ``transformer`` trained alone from scratch."""
        net = self._fresh(self.settings.seed)
        self._fit(net, lambda: transformer, self.settings.standalone_epochs,
                  self.settings.lr)
        return self._accuracy(net, transformer)

    def _fit(self, net, pick, epochs, lr, seed=None, steps=None):
        s = self.settings
        split = task_data(s.task)
        n = len(split.y_train)
        per_epoch = (n + s.batch - 1) // s.batch
        steps = steps if steps is not None else epochs * per_epoch
        g = torch.Generator().manual_seed(s.seed if seed is None else seed)
        opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            net.train()
            perm, pos = torch.randperm(n, generator=g), 0
            for _ in range(steps):
                if pos >= n:
                    perm, pos = torch.randperm(n, generator=g), 0
                idx = perm[pos:pos + s.batch]
                pos += s.batch
                loss = torch.nn.functional.cross_entropy(net(split.x_train[idx], pick()),
                                                         split.y_train[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
        finally:
            torch.set_num_threads(threads)

    @torch.no_grad()
    def _accuracy(self, net, transformer):
        split = task_data(self.settings.task)
        net.eval()
        pred = torch.cat([net(split.x_test[i:i + 500], transformer).argmax(1)
                          for i in range(0, len(split.y_test), 500)])
        return float((pred == split.y_test).float().mean())
