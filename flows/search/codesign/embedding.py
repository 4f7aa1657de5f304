"""Embeddings of transformer-accelerator pairs for the surrogate (TransCODE §III-B4, §III-C).

- The accelerator embedding is TransCODE §III-B4's 12 numbers: e1 = batch tile b,
  e2 = e3 = spatial tile x = y, e4 PEs, e5 MAC lanes per PE, e6 MACs per lane, e7 softmax
  modules per PE, e8 batch size, e9-e11 activation/gradient, weight and mask buffer sizes
  in MB, e12 the 1-based index of the memory configuration in Table II.
- The transformer embedding is fixed-length in the FlexiBERT 2.0 manner: the number of
  layers, then (hidden, heads, attention type index, feed-forward size) for each of the
  space's ``max_layers`` slots (zeros past the last layer), then the activation index.

:meth:`Embedding.unit` maps both onto the unit cube the surrogate sees: a value at position
i of its axis' n allowed values becomes (i + 1)/n, an absent layer 0. :meth:`Embedding.snap`
takes any point of the cube back to the nearest pair of the space, axis by axis.
"""

import numpy as np

from tilewright.flows.search.codesign.space import (
    ACCELERATOR_AXES, LAYER_AXES, Accelerator, Layer, Pair, Transformer)

__all__ = ["Embedding", "ACCELERATOR_SIZE"]

ACCELERATOR_SIZE = 12
_CATEGORICAL = ("attention", "activation", "memory")


class Embedding:
    """Embeddings of the pairs of ``space``; ``size`` numbers each."""

    def __init__(self, space):
        self.space = space
        self.max_layers = space.max_layers
        t, a = space.transformer, space.accelerator
        # (axis, allowed raw values) per dimension, in embedding order
        dims = [("layers", t["layers"])]
        for _ in range(self.max_layers):
            dims += [(axis, self._raw_values(axis, t[axis])) for axis in LAYER_AXES]
        dims.append(("activation", self._raw_values("activation", t["activation"])))
        self.transformer_size = len(dims)
        for axis in ACCELERATOR_AXES:
            dims.append((axis, self._raw_values(axis, a[axis])))
            if axis == "spatial_tile":
                dims.append((axis, self._raw_values(axis, a[axis])))      # e3 = y = x
        self.dims = [(axis, tuple(sorted(values))) for axis, values in dims]
        self.size = len(self.dims)
        assert self.size == self.transformer_size + ACCELERATOR_SIZE

    @staticmethod
    def _raw_values(axis, allowed):
        return tuple(range(1, len(allowed) + 1)) if axis in _CATEGORICAL else tuple(allowed)

    def _raw(self, axis, value):
        if axis in _CATEGORICAL:
            choices = (self.space.transformer.get(axis) if axis != "memory"
                       else self.space.accelerator["memory"])
            return choices.index(value) + 1
        return value

    def transformer_embedding(self, transformer):
        """The fixed-length transformer embedding (raw values)."""
        e = [len(transformer.layers)]
        for j in range(self.max_layers):
            if j < len(transformer.layers):
                e += [self._raw(a, getattr(transformer.layers[j], a)) for a in LAYER_AXES]
            else:
                e += [0] * len(LAYER_AXES)
        e.append(self._raw("activation", transformer.activation))
        return np.array(e, dtype=float)

    def accelerator_embedding(self, accelerator):
        """TransCODE §III-B4's 12-dimensional accelerator embedding (raw values)."""
        acc = accelerator
        return np.array([acc.batch_tile, acc.spatial_tile, acc.spatial_tile, acc.pes,
                         acc.lanes_per_pe, acc.macs_per_lane, acc.softmax_per_pe, acc.batch_size,
                         acc.activation_buffer_mb, acc.weight_buffer_mb, acc.mask_buffer_mb,
                         self._raw("memory", acc.memory)], dtype=float)

    def raw(self, pair):
        return np.concatenate([self.transformer_embedding(pair.transformer),
                               self.accelerator_embedding(pair.accelerator)])

    def unit(self, pair):
        """The pair as a point of the unit cube (see the module docstring)."""
        out = np.zeros(self.size)
        for i, (value, (_, allowed)) in enumerate(zip(self.raw(pair), self.dims)):
            if value:
                out[i] = (allowed.index(value) + 1) / len(allowed)
        return out

    def _nearest(self, i, u):
        allowed = self.dims[i][1]
        n = len(allowed)
        return allowed[int(np.clip(np.rint(u * n - 1), 0, n - 1))]

    def _decode(self, axis, raw):
        if axis in _CATEGORICAL:
            choices = (self.space.accelerator["memory"] if axis == "memory"
                       else self.space.transformer[axis])
            return choices[raw - 1]
        return int(raw)

    def snap(self, u):
        """The pair of the space nearest to unit-cube point ``u``, axis by axis (the two
        spatial-tile coordinates are averaged first: the space has square tiles)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        n = self._nearest(0, u[0])
        layers, i = [], 1
        for j in range(self.max_layers):
            if j < n:
                layers.append(Layer(*(self._decode(a, self._nearest(i + k, u[i + k]))
                                      for k, a in enumerate(LAYER_AXES))))
            i += len(LAYER_AXES)
        activation = self._decode("activation", self._nearest(i, u[i]))
        i += 1
        values = []
        for axis in ACCELERATOR_AXES:
            if axis == "spatial_tile":
                values.append(self._nearest(i, (u[i] + u[i + 1]) / 2))
                i += 2
            else:
                values.append(self._decode(axis, self._nearest(i, u[i])))
                i += 1
        return Pair(Transformer(tuple(layers), activation), Accelerator(*values))
