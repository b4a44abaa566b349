"""The HTTP edge: runs API, pages, one error mapping, limits, metrics, SSE, uploads API, translation.

Flask lives here. May import every feature package; no TensorFlow at import (runs go through app.runner)."""
