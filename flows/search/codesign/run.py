"""The Python API of TransCODE co-design: :func:`codesign`.

>>> result = codesign(CodesignConfig(budget=40), hardware=my_model)   # doctest: +SKIP
>>> result.best().pair, result.best().score                           # doctest: +SKIP

``hardware`` is the injected callable ``pair → figures | reason`` (see
:mod:`.evaluation`); the command line passes the accelerator model (:mod:`.hardware`).
Every input is checked before anything is evaluated or written.
"""

from dataclasses import asdict, dataclass, field

from tilewright.flows.search.codesign.accuracy import AccuracyEvaluator, AccuracySettings
from tilewright.flows.search.codesign.baselines import BASELINES
from tilewright.flows.search.codesign.boshcode import Boshcode
from tilewright.flows.search.codesign.evaluation import PairEvaluator
from tilewright.flows.search.codesign.multiobjective import BoshcodeHVI
from tilewright.flows.search.codesign.performance import Weights
from tilewright.flows.search.codesign.problem import Problem
from tilewright.flows.search.codesign.search import (
    Pareto, SearchSettings, Weighted, run_search)
from tilewright.flows.search.codesign.space import accelerator_preset, load_space
from tilewright.flows.search.codesign.validity import Constraints

__all__ = ["CodesignConfig", "METHODS", "OBJECTIVES", "make_method", "prepare", "codesign"]

OBJECTIVES = ("weighted", "pareto")
METHODS = {"weighted": ("boshcode",) + tuple(BASELINES),
           "pareto": ("boshcode", "random")}


@dataclass(frozen=True)
class CodesignConfig:
    task: str = "sentiment"
    method: str = "boshcode"
    objective: str = "weighted"
    search: SearchSettings = field(default_factory=SearchSettings)
    weights: Weights = field(default_factory=Weights)
    constraints: Constraints = field(default_factory=Constraints)
    fix_accelerator: str | None = None
    space: str | None = None          # TOML text; None = the shipped space
    accelerator_space: str | None = None   # name or TOML path; None = the space's own
    accuracy: AccuracySettings | None = None

    def __post_init__(self):
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(map(repr, OBJECTIVES))}, "
                             f"not {self.objective!r}")
        methods = METHODS[self.objective]
        if self.method not in methods:
            raise ValueError(f"method must be one of {', '.join(map(repr, methods))} with "
                             f"objective {self.objective!r}, not {self.method!r}")
        if self.fix_accelerator is not None:
            accelerator_preset(self.fix_accelerator)
        if self.accelerator_space is not None:
            load_space(self.space, self.accelerator_space)

    def to_dict(self):
        """JSON-able description (the run store's config: a resume must match it)."""
        d = asdict(self)
        d["accuracy"] = asdict(self.accuracy_settings())
        return d

    def accuracy_settings(self):
        return self.accuracy or AccuracySettings(task=self.task, seed=self.search.seed)


def make_method(name, objective="weighted"):
    if name == "boshcode":
        return BoshcodeHVI() if objective == "pareto" else Boshcode()
    return BASELINES[name]()


def prepare(config):
    """The :class:`~.problem.Problem` of ``config`` (checks the space and constraints)."""
    space = load_space(config.space, config.accelerator_space)
    if config.fix_accelerator is not None:
        preset = accelerator_preset(config.fix_accelerator)
        space = space.with_accelerator(preset)
    problem = Problem(space, config.constraints)
    if config.search.budget > len(problem.pool):
        raise ValueError(f"budget must be at most {len(problem.pool)} (valid designs in the "
                         f"pool), not {config.search.budget}")
    return problem


def codesign(config, *, hardware, accuracy=None, store=None, executor=None, progress=None,
             problem=None):
    """Run one co-design search; returns a :class:`~.search.SearchResult`.

    ``accuracy``: ``transformer → accuracy`` (default: the supernet evaluator on
    ``config.task``); ``store``: a run store (``evaluate``, ``done``, ``record``);
    ``problem``: ``prepare(config)`` when already made.
    """
    problem = problem or prepare(config)
    accuracy = accuracy or AccuracyEvaluator(problem.space, config.accuracy_settings())
    evaluator = PairEvaluator(problem, hardware, accuracy)
    objective = Pareto() if config.objective == "pareto" else Weighted(config.weights)
    return run_search(problem, evaluator, make_method(config.method, config.objective),
                      config.search,
                      objective=objective, store=store, executor=executor,
                      progress=progress)
