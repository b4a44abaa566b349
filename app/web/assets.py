"""Static assets the pages share: Plotly's bundle from the installed package (no internet needed)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from functools import cache
from pathlib import Path


@cache
def plotly_bundle() -> tuple[Path, str]:
    """Path and version of the installed plotly package's plotly.min.js (found without importing plotly)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the plotly package is not installed; pip install -r requirements.txt")
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return path, importlib.metadata.version("plotly")
