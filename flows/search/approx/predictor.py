"""The accuracy predictor of the MCTS rollouts (TransAxx §IV-B, Fig. 3).

Per-group sensitivities give an additive estimate: the normalized accuracy of an
assignment is ``1 − Σ_i (1 − s_{a_i, i})`` (each group's measured drop when approximated
alone). A gradient-boosted regressor (scikit-learn) learns the residual of that estimate
from the assignments evaluated so far, on features: each group's single-group drop and
its multiplier's mean relative error, and the additive estimate. With no or few samples
the predictor is the additive estimate.
"""

import numpy as np

__all__ = ["Predictor", "rmse"]


def rmse(predicted, actual):
    """Root mean square error (TransAxx §IV-B)."""
    p, a = np.asarray(predicted, float), np.asarray(actual, float)
    return float(np.sqrt(np.mean((p - a) ** 2))) if len(p) else float("nan")


class Predictor:
    """``predictor(assignment) -> accuracy`` (same units as the accuracies it saw).

    ``sensitivity[j][i]``: normalized accuracy with multiplier ``j`` on group ``i`` only;
    ``mre[j]``: multiplier ``j``'s mean relative error; ``exact_accuracy`` normalizes.
    """

    MIN_SAMPLES = 8

    def __init__(self, sensitivity, mre, exact_accuracy, *, seed=0):
        self.drop = 1.0 - np.asarray(sensitivity, float)          # (choices, groups)
        self.mre = np.asarray(mre, float)
        self.exact, self.seed = exact_accuracy, seed
        self.model, self.cache = None, {}

    def features(self, assignments):
        a = np.asarray(assignments, int)
        groups = np.arange(a.shape[1])
        drops = self.drop[a, groups]
        return np.hstack([drops, self.mre[a], drops.sum(1, keepdims=True)])

    def additive(self, assignments):
        a = np.asarray(assignments, int)
        return 1.0 - self.drop[a, np.arange(a.shape[1])].sum(1)

    def fit(self, assignments, accuracies):
        from sklearn.ensemble import GradientBoostingRegressor
        self.cache = {}
        if len(assignments) < self.MIN_SAMPLES:
            self.model = None
            return self
        residual = np.asarray(accuracies, float) / self.exact - self.additive(assignments)
        self.model = GradientBoostingRegressor(n_estimators=60, max_depth=2,
                                               learning_rate=0.1, subsample=0.8,
                                               random_state=self.seed)
        self.model.fit(self.features(assignments), residual)
        return self

    def predict(self, assignments):
        est = self.additive(assignments)
        if self.model is not None:
            est = est + self.model.predict(self.features(assignments))
        return np.clip(est, 0.0, None) * self.exact

    def __call__(self, assignment):
        key = tuple(assignment)
        if key not in self.cache:
            self.cache[key] = float(self.predict([key])[0])
        return self.cache[key]
