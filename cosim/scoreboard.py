"""Scoreboard: compares what the DUT produced with what the reference model expects."""

from collections import deque

__all__ = ["Scoreboard"]


class Scoreboard:
    """In-order comparison of expected and observed transactions.

    The reference model pushes expectations with :meth:`expect` (each with a description
    of the stimulus that produced it); the monitor feeds observations to :meth:`observe`.
    Mismatches are collected, not raised, so a run reports all of them; :meth:`check`
    raises at the end.
    """

    def __init__(self, name, log, limit=10):
        self.name, self.log, self.limit = name, log, limit
        self.expected = deque()
        self.compared = 0
        self.mismatches = []

    def expect(self, value, context=""):
        self.expected.append((value, context))

    def observe(self, value, cycle=None):
        if not self.expected:
            self.mismatches.append(f"unexpected output {value} at cycle {cycle}")
            return
        want, context = self.expected.popleft()
        self.compared += 1
        if value != want:
            msg = f"output #{self.compared} at cycle {cycle}: got {value}, want {want} {context}"
            self.mismatches.append(msg)
            if len(self.mismatches) <= self.limit:
                self.log.error("%s: %s", self.name, msg)

    def check(self):
        problems = list(self.mismatches)
        if self.expected:
            problems.append(f"{len(self.expected)} expected outputs never came")
        if problems:
            raise AssertionError(f"{self.name}: {len(problems)} problem(s) over "
                                 f"{self.compared} outputs; first: {problems[0]}")
        self.log.info("%s: %d outputs matched", self.name, self.compared)
