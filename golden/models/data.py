"""Data sets that ship offline, split deterministically.

- :func:`digits`: scikit-learn's bundled handwritten digits (8×8 grey images, 16 levels,
  1,797 samples, 10 classes), scaled to [0, 1], stratified split with a fixed seed.
- :func:`sentiment`: a generated text-like task for the BERT-style model. Sentences of
  ``seq_len - 1`` words follow a CLS token (id 0). Words are drawn i.i.d.: the negator
  ``not`` (id 1, probability 0.1), positive words (ids 2–7, 0.2), negative words (ids
  8–13, 0.2) and neutral filler (ids 14 up to ``vocab - 1``, 0.5). A sentiment word counts
  +1 (positive) or −1 (negative), flipped when the word right before it is ``not``; the
  label is 1 when the sum is positive and 0 when negative (sentences summing to zero are
  redrawn). Solving it needs aggregation over the sentence and local word order: the best
  order-blind rule (the majority label for each count of positive, negative and ``not``
  words) labels 87.8 % of the default held-out split, and the rest needs the order.
"""

from dataclasses import dataclass

import torch

from tilewright.fixedpoint import check_int

__all__ = ["Split", "digits", "sentiment", "NOT", "POSITIVE", "NEGATIVE", "FIRST_NEUTRAL"]

CLS, NOT = 0, 1
POSITIVE = range(2, 8)
NEGATIVE = range(8, 14)
FIRST_NEUTRAL = 14


@dataclass
class Split:
    """Train and held-out tensors: ``x_train, y_train, x_test, y_test``."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def digits(test_fraction=0.2, seed=0):
    """scikit-learn's 8×8 digits as ``(N, 1, 8, 8)`` float tensors in [0, 1]."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(d.target, dtype=torch.int64)
    idx = torch.arange(len(y)).numpy()
    tr, te = train_test_split(idx, test_size=test_fraction, random_state=seed,
                              stratify=d.target)
    tr, te = torch.as_tensor(tr), torch.as_tensor(te)
    return Split(x[tr], y[tr], x[te], y[te])


def sentiment_score(tokens):
    """The ground-truth score of each sentence (rows of ``tokens``), see module docstring."""
    t = torch.as_tensor(tokens)
    pol = ((t >= POSITIVE.start) & (t < POSITIVE.stop)).long() \
        - ((t >= NEGATIVE.start) & (t < NEGATIVE.stop)).long()
    negated = torch.zeros_like(t, dtype=torch.bool)
    negated[:, 1:] = t[:, :-1] == NOT
    return torch.where(negated, -pol, pol).sum(1)


def sentiment(n_train=4000, n_test=1000, seq_len=16, vocab=32, seed=0):
    """The generated sentiment task as ``(N, seq_len)`` token ids (CLS first) and labels."""
    check_int("seq_len", seq_len, 2, 4096)
    check_int("vocab", vocab, FIRST_NEUTRAL + 1, 1 << 20)
    g = torch.Generator().manual_seed(seed)
    probs = torch.zeros(vocab)
    probs[NOT] = 0.1
    probs[POSITIVE.start:POSITIVE.stop] = 0.2 / len(POSITIVE)
    probs[NEGATIVE.start:NEGATIVE.stop] = 0.2 / len(NEGATIVE)
    probs[FIRST_NEUTRAL:] = 0.5 / (vocab - FIRST_NEUTRAL)
    need, rows = n_train + n_test, []
    while need > 0:
        words = torch.multinomial(probs, 2 * need * (seq_len - 1), replacement=True,
                                  generator=g).view(2 * need, seq_len - 1)
        seq = torch.cat([torch.full((2 * need, 1), CLS), words], 1)
        seq = seq[sentiment_score(seq) != 0][:need]
        rows.append(seq)
        need -= len(seq)
    seq = torch.cat(rows)
    y = (sentiment_score(seq) > 0).long()
    return Split(seq[:n_train], y[:n_train], seq[n_train:], y[n_train:])
