"""Baselines of the TransAxx search on the same evaluation budget: random search,
NSGA-II (pymoo) and, on a small space, exhaustive enumeration.

Each runs until its :class:`~tilewright.flows.search.approx.evaluate.Evaluations` has
spent its budget (or the space is exhausted); the evaluations' history is the result.
Independent evaluations go through :meth:`~.evaluate.Evaluations.many` together (in
parallel on its executor): all of random search's and of exhaustive enumeration's, and
each NSGA-II generation's (generations are sequential: each is bred from the last).
"""

import numpy as np

__all__ = ["random_search", "nsga2_search", "exhaustive_search", "BASELINES"]


def random_search(space, evals, *, seed):
    """Distinct assignments drawn uniformly at random (the draws do not depend on the
    results: drawn first, up to the budget, then evaluated together)."""
    rng = np.random.default_rng(seed)
    want = space.size if evals.left is None else min(space.size, len(evals.seen) + evals.left)
    draws, distinct = [], set(evals.seen)
    while len(distinct) < want:
        draws.append(tuple(int(v) for v in rng.integers(space.choices, size=space.groups)))
        distinct.add(draws[-1])
    evals.many(draws)
    return evals


def nsga2_search(space, evals, *, seed, pop_size=16):
    """NSGA-II (pymoo) on integer assignments, maximizing accuracy and minimizing power;
    pymoo's ask/tell loop with our evaluations, each generation's offspring evaluated
    together."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.problems.static import StaticProblem

    problem = Problem(n_var=space.groups, n_obj=2, xl=0, xu=space.choices - 1, vtype=int)
    algorithm = NSGA2(pop_size=pop_size, sampling=IntegerRandomSampling(),
                      crossover=SBX(prob=0.9, eta=3.0, vtype=float, repair=RoundingRepair()),
                      mutation=PM(eta=3.0, vtype=float, repair=RoundingRepair()),
                      eliminate_duplicates=True)
    algorithm.setup(problem, termination=("n_gen", 1 << 30), seed=seed, verbose=False)
    while len(evals.seen) < space.size:
        pop = algorithm.ask()
        asked = [tuple(int(v) for v in x) for x in pop.get("X")]
        f = evals.many(asked)
        if len(f) < len(asked):                  # the budget is spent
            break
        F = np.array([[-acc, power] for acc, power in f])
        Evaluator().eval(StaticProblem(problem, F=F), pop)
        algorithm.tell(infills=pop)
    return evals


def exhaustive_search(space, evals, *, seed=None):
    """Every assignment, in lexicographic order (evaluated together)."""
    evals.many(list(space.all()))
    return evals


BASELINES = {"random": random_search, "nsga2": nsga2_search, "exhaustive": exhaustive_search}
