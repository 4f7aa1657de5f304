import torch

from tilewright.golden.models.data import NOT, digits, sentiment, sentiment_score


def test_digits_split():
    s = digits()
    assert len(s.y_train) + len(s.y_test) == 1797 and len(s.y_test) == 360
    assert s.x_train.shape[1:] == (1, 8, 8) and 0 <= s.x_train.min() and s.x_train.max() <= 1
    assert torch.equal(digits().y_test, s.y_test)
    assert not torch.equal(digits(seed=1).y_test, s.y_test)
    assert set(torch.bincount(s.y_test).tolist()) <= {35, 36, 37}      # stratified


def test_sentiment_score_and_negation():
    t = torch.tensor([[0, 2, 14, 8, 3], [0, NOT, 2, 14, 14], [0, NOT, 8, 2, 15]])
    assert sentiment_score(t).tolist() == [1, -1, 2]


def test_sentiment_is_deterministic_and_balanced():
    s = sentiment(n_train=500, n_test=100, seed=3)
    assert s.x_train.shape == (500, 16) and (s.x_train[:, 0] == 0).all()
    assert torch.equal(s.y_train, (sentiment_score(s.x_train) > 0).long())
    assert (sentiment_score(s.x_test) != 0).all()
    assert torch.equal(sentiment(n_train=500, n_test=100, seed=3).x_test, s.x_test)
    assert 0.35 < s.y_train.float().mean() < 0.65
    # negation matters: ignoring it mislabels a good share of sentences
    t = s.x_train.clone()
    t[t == NOT] = 14
    assert ((sentiment_score(t) > 0).long() != s.y_train).float().mean() > 0.1
