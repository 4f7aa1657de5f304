"""The BERT-style encoder learns the generated sentiment task (golden/models/data.py)."""

import pytest
import torch

from tilewright.fixedpoint import FixedFormat
from tilewright.golden.models.data import NOT, sentiment_score
from tilewright.golden.models import Numerics
from tilewright.golden.models.train import TrainConfig, evaluate, task_data, train


def _bag_of_words_bound():
    """Best accuracy of any rule that sees the words but not their order: the label given
    the counts of sentiment words and of ``not``, with the majority label per count vector
    (measured on the held-out split itself, so an upper bound)."""
    split = task_data("sentiment")
    x, y = split.x_test, split.y_test
    pos = ((x >= 2) & (x < 8)).sum(1)
    neg = ((x >= 8) & (x < 14)).sum(1)
    nots = (x == NOT).sum(1)
    keys = pos * 10000 + neg * 100 + nots
    correct = 0
    for k in keys.unique():
        sel = y[keys == k]
        correct += max(int(sel.sum()), int((1 - sel).sum()))
    return correct / len(y)


def test_task_needs_word_order():
    bound = _bag_of_words_bound()
    split = task_data("sentiment")
    assert torch.equal(split.y_test, (sentiment_score(split.x_test) > 0).long())
    assert bound < 0.9


def test_bert_learns_sentiment_beyond_chance():
    model = train("sentiment", tcfg=TrainConfig(epochs=6))
    acc = evaluate(model, "sentiment")
    assert acc >= 0.75
    fixed = evaluate(model, "sentiment", Numerics(fmt=FixedFormat(4, 16), gelu="pwl"))
    assert abs(fixed - acc) <= 0.01


@pytest.mark.full
def test_bert_default_training():
    assert evaluate(train("sentiment"), "sentiment") >= 0.8
