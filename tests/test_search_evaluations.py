"""The searches' evaluator: done evaluations read back, the missing ones of a batch mapped
on the executor and recorded as each finishes (a failed one reported after the others
are recorded)."""

import operator

import pytest

from tilewright.flows.executor import TaskFailed, get_executor
from tilewright.flows.search.evaluations import call, cached


class Backwards:
    """An executor finishing its tasks last first, in this process (``call``'s thread
    setting left out, so that this process keeps its threads)."""

    def __init__(self):
        self.batches = []

    def map(self, fn, tasks, *, desc=None, replay=None):
        assert fn is call
        self.batches.append(list(tasks))
        for key, (task_fn, args) in reversed(list(tasks.items())):
            yield key, task_fn(*args)


def test_a_batch_reads_done_ones_and_maps_the_rest():
    recorded, steps = [], []
    executor = Backwards()
    evaluate = cached({"a": 1}, lambda k, v: recorded.append(k) or v * 10, executor)
    values = evaluate.many({"b": (operator.add, (1, 1)), "a": (operator.add, (0, 0)),
                            "c": (operator.mul, (2, 3))}, progress=steps.append)
    assert list(values.items()) == [("b", 20), ("a", 1), ("c", 60)]   # in the tasks' order
    assert executor.batches == [["b", "c"]] and recorded == ["c", "b"]  # as they finish
    assert steps == [1, 1, 1]
    assert evaluate("c", operator.mul, 0, 0) == 60 and executor.batches == [["b", "c"]]


def test_on_the_local_pool_a_failure_comes_after_the_others_are_recorded():
    recorded = {}
    with get_executor("local", workers=2) as executor:
        evaluate = cached({}, lambda k, v: recorded.setdefault(k, v), executor)
        tasks = {"two": (int, ("2",)), "bad": (int, ("x",)), "pow": (pow, (2, 10))}
        with pytest.raises(TaskFailed) as info:
            evaluate.many(tasks)
        assert info.value.key == "bad" and isinstance(info.value.cause, ValueError)
        assert recorded == {"two": 2, "pow": 1024}
        assert evaluate.many({"two": tasks["two"], "pow": tasks["pow"]}) == recorded
