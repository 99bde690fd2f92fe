"""Spaces with Gymnasium's attributes, for cairn's policies and for environments written for
cairn without Gymnasium.

cairn reads any space object with these attributes (a gymnasium.spaces.Box works as well):

    Box(low, high, shape=None, dtype=np.float32)    .low .high .shape .dtype
    Discrete(n, start=0)                            .n .start .shape == () .dtype int64
    MultiDiscrete(nvec, start=None)                 .nvec .start .shape .dtype int64

Standard library and NumPy only.
"""

import numpy as np

__all__ = ["Box", "Discrete", "MultiDiscrete"]


class Box:
    """Real values within per-element bounds (which may be infinite)."""

    def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
        self.dtype = np.dtype(dtype)
        if shape is None:
            shape = np.broadcast(np.asarray(low), np.asarray(high)).shape
        self.shape = tuple(int(d) for d in shape)
        self.low = np.broadcast_to(np.asarray(low, dtype=self.dtype), self.shape).copy()
        self.high = np.broadcast_to(np.asarray(high, dtype=self.dtype), self.shape).copy()
        if np.any(np.isnan(self.low)) or np.any(np.isnan(self.high)) or np.any(self.low > self.high):
            raise ValueError("Box: low and high must be numbers with low <= high")
        self._rng = np.random.default_rng(seed)

    def contains(self, x):
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all(x >= self.low) and np.all(x <= self.high))

    def sample(self):
        low = np.where(np.isfinite(self.low), self.low, -1.0)
        high = np.where(np.isfinite(self.high), self.high, 1.0)
        return self._rng.uniform(low, high).astype(self.dtype)

    def seed(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def __eq__(self, other):
        return (isinstance(other, Box) and self.shape == other.shape
                and np.array_equal(self.low, other.low) and np.array_equal(self.high, other.high))

    def __repr__(self):
        if np.all(self.low == self.low.flat[0]) and np.all(self.high == self.high.flat[0]):
            low, high = self.low.flat[0], self.high.flat[0]
        else:
            low, high = self.low, self.high
        return f"Box({low}, {high}, {self.shape}, {self.dtype})"


class Discrete:
    """One integer in [start, start + n)."""

    def __init__(self, n, start=0, seed=None):
        if int(n) <= 0:
            raise ValueError("Discrete: n must be positive")
        self.n = int(n)
        self.start = int(start)
        self.shape = ()
        self.dtype = np.dtype(np.int64)
        self._rng = np.random.default_rng(seed)

    def contains(self, x):
        try:
            v = int(x)
        except (TypeError, ValueError):
            return False
        return v == x and self.start <= v < self.start + self.n

    def sample(self):
        return np.int64(self.start + self._rng.integers(self.n))

    def seed(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def __eq__(self, other):
        return isinstance(other, Discrete) and (self.n, self.start) == (other.n, other.start)

    def __repr__(self):
        return f"Discrete({self.n})" if self.start == 0 else f"Discrete({self.n}, start={self.start})"


class MultiDiscrete:
    """Integers; element i in [start[i], start[i] + nvec[i])."""

    def __init__(self, nvec, start=None, seed=None):
        self.nvec = np.asarray(nvec, dtype=np.int64).copy()
        if self.nvec.ndim != 1 or self.nvec.size == 0 or np.any(self.nvec <= 0):
            raise ValueError("MultiDiscrete: nvec must be a non-empty list of positive integers")
        self.start = (np.zeros_like(self.nvec) if start is None
                      else np.asarray(start, dtype=np.int64).copy())
        self.shape = self.nvec.shape
        self.dtype = np.dtype(np.int64)
        self._rng = np.random.default_rng(seed)

    def contains(self, x):
        x = np.asarray(x)
        return (x.shape == self.shape and bool(np.all(x >= self.start))
                and bool(np.all(x < self.start + self.nvec)))

    def sample(self):
        return (self.start + self._rng.integers(self.nvec)).astype(np.int64)

    def seed(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def __eq__(self, other):
        return (isinstance(other, MultiDiscrete) and np.array_equal(self.nvec, other.nvec)
                and np.array_equal(self.start, other.start))

    def __repr__(self):
        return f"MultiDiscrete({self.nvec.tolist()})"
