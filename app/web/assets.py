"""What the pages share: Plotly's bundle from the installed package (no internet needed), the fields' description."""

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


@cache
def field_description() -> dict[str, dict]:
    """RunConfig's fields as the templates' macros take them (templates/_fields.html); built once."""
    from app.config.fields import describe_fields
    from app.config.live import LIVE_FIELDS
    from app.config.run_config import RunConfig

    return describe_fields(RunConfig, live=LIVE_FIELDS)
