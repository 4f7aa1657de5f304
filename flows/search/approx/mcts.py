"""Monte Carlo tree search over per-group multiplier assignments (TransAxx §IV-B, Alg. 1).

The tree's depth-``i`` nodes have chosen multipliers for groups ``0..i-1``; a terminal
state assigns every group. One simulation selects by UCB (Eq. 5) while nodes are fully
expanded, expands one untried action, completes the state with the hardware-driven
rollout policy (Eq. 6), scores it with ``reward(state)`` and backpropagates the reward.

Rewards here come from the accuracy *predictor* (TransAxx §IV-B: the real accuracy is too
costly per rollout); :mod:`tilewright.flows.search.approx.search` evaluates the states the
tree found best for real.
"""

import math

import numpy as np

__all__ = ["ucb", "rollout_policy", "reward", "Node", "MCTS"]


def ucb(mean, parent_visits, visits, c):
    """TransAxx Eq. 5: ``S_i = x_i + c·sqrt(ln N_i / n_i)``; an unvisited node is +inf."""
    if visits == 0:
        return math.inf
    return mean + c * math.sqrt(math.log(parent_visits) / visits)


def rollout_policy(sensitivity, power, lam, temperature=1.0):
    """TransAxx Eq. 6: for each group ``i``, ``P(A_j)_i ∝ exp((s_ji − λ·p_ji) / T)``.

    ``sensitivity[j][i]`` is the normalized accuracy with multiplier ``j`` on group ``i``
    only, ``power[j][i]`` the normalized power of that model. ``temperature`` ``T = 1`` is
    the paper's formula; a smaller ``T`` sharpens the policy (our addition: with
    normalized accuracies and powers in [0, 1], ``T = 1`` is close to uniform).
    Returns ``P`` of shape ``(groups, multipliers)``, rows summing to 1.
    """
    if lam < 0:
        raise ValueError(f"lambda must be non-negative, not {lam!r}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, not {temperature!r}")
    score = (np.asarray(sensitivity, float) - lam * np.asarray(power, float)).T / temperature
    score -= score.max(1, keepdims=True)
    p = np.exp(score)
    return p / p.sum(1, keepdims=True)


def reward(accuracy, power, lam):
    """TransAxx Alg. 1 line 19: ``accuracy − λ·power`` (both normalized to the exact
    model: accuracy over its accuracy, power over its power)."""
    return accuracy - lam * power


class Node:
    """A tree node: its partial ``state``, untried actions, children, visits and the sum
    of the rewards backpropagated through it."""

    def __init__(self, state, actions):
        self.state, self.untried = state, list(actions)
        self.children, self.visits, self.total = {}, 0, 0.0

    @property
    def mean(self):
        return self.total / self.visits if self.visits else 0.0

    def best_child(self, c):
        return max(self.children.values(), key=lambda ch: ucb(ch.mean, self.visits,
                                                               ch.visits, c))


class MCTS:
    """TransAxx Alg. 1 for ``groups`` groups of ``choices`` multipliers each.

    ``policy`` is the ``(groups, choices)`` rollout distribution, ``score(state)`` the
    reward of a terminal state, ``c`` the exploration constant, ``rng`` a numpy Generator
    (the only randomness: a seeded run replays). :attr:`terminals` maps every terminal
    state reached to its reward.
    """

    def __init__(self, groups, choices, policy, score, *, c, rng):
        self.groups, self.choices = groups, choices
        self.policy, self.score, self.c, self.rng = np.asarray(policy), score, c, rng
        self.root = self._node(())
        self.terminals = {}

    def _node(self, state):
        if len(state) == self.groups:
            return Node(state, ())
        return Node(state, self.rng.permutation(self.choices).tolist())

    def rollout(self, state):
        """Complete ``state`` with the rollout policy (Alg. 1 lines 13-16)."""
        state = list(state)
        while len(state) < self.groups:
            state.append(int(self.rng.choice(self.choices, p=self.policy[len(state)])))
        return tuple(state)

    def simulate(self):
        """One selection–expansion–rollout–backpropagation cycle; returns the terminal
        state and its reward."""
        node, path = self.root, [self.root]
        while len(node.state) < self.groups and not node.untried:
            node = node.best_child(self.c)
            path.append(node)
        if node.untried:
            action = node.untried.pop()
            child = self._node(node.state + (action,))
            node.children[action] = child
            node = child
            path.append(node)
        state = self.rollout(node.state)
        r = self.score(state)
        for n in path:
            n.visits += 1
            n.total += r
        self.terminals[state] = r
        return state, r

    def run(self, simulations):
        for _ in range(simulations):
            self.simulate()
        return self.terminals
