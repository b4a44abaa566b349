"""A run's random rules — each kernel's initializer seed and each epoch's batch order — in one place.

Plain numpy, no TensorFlow: the engine uses these functions, and the exported script carries their
source (app/share/codegen.py), so a run and its script start from the same weights and see the
same batches. The order is drawn outside the compiled loop on purpose: XLA's stateless random
kernels differ from TensorFlow's eager ones, so a rule drawn inside would not be reproducible in a
plain Keras script (docs/differences.md).
"""

from __future__ import annotations

import numpy as np


def kernel_seed(seed: int, index: int) -> int:
    """The initializer seed of the index-th Dense kernel (0 = the first hidden layer)."""
    return seed * 1009 + index


def batch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The order in which an epoch visits the n training points (epoch counts from 0)."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def dropout_seed(seed: int, index: int) -> int:
    """The seed of the index-th Dropout layer (0 = the first, the input dropout if there is one)."""
    return seed * 1009 + 500 + index
