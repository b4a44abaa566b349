"""Blueprint "pages": the playground page and Plotly's own bundle, served locally (no TensorFlow here)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from functools import cache
from pathlib import Path

from flask import Blueprint, abort, render_template, send_file

from app.config.fields import describe_fields
from app.config.run_config import RunConfig
from app.runner.base import LIVE_FIELDS

bp = Blueprint("pages", __name__)

ONE_YEAR = 365 * 24 * 3600  # the URL carries the version, so a new plotly gets a new URL


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
    return describe_fields(RunConfig, live=LIVE_FIELDS)


@bp.get("/")
def index():
    """The playground page; its controls start from GET /api/config and the URL hash."""
    _, version = plotly_bundle()
    return render_template("index.html", plotly_version=version, fields=field_description())


@bp.get("/vendor/plotly.min.js")
def plotly_js():
    """Plotly from the installed package: the page works with no internet."""
    path, _ = plotly_bundle()
    if not path.is_file():
        abort(404, "plotly.min.js is missing from the installed plotly package")
    return send_file(path, mimetype="text/javascript", max_age=ONE_YEAR, conditional=True, etag=True)
