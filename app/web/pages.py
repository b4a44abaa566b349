"""Blueprint "pages": the playground page and Plotly's own bundle, served locally (no TensorFlow here)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_file

from app.web.assets import field_description, plotly_bundle

bp = Blueprint("pages", __name__)

ONE_YEAR = 365 * 24 * 3600  # the URL carries the version, so a new plotly gets a new URL


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
