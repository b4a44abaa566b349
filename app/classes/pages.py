"""The class's HTML side on the classes blueprint: the learner's join page, the teacher's wall, the join QR code."""

from __future__ import annotations

import io

from flask import Response, render_template, request
from flask_babel import gettext

from app.classes import plan
from app.classes.views import bp, service
from app.web.errors import ApiError


@bp.get("/api/classes/<class_id>/qr.svg")
def join_qr(class_id: str):
    """The join link as a QR code (SVG) for the projector; public, as the code on the board is."""
    import segno

    klass = service().store.get(class_id[:40])
    if klass is None:
        raise ApiError(404, gettext("no class with id '%(id)s'", id=class_id[:40]), "class")
    svg = io.BytesIO()
    segno.make(f"{request.host_url}c/{klass['code']}", error="m").save(svg, kind="svg", scale=8, border=2,
                                                                       xmldecl=False, svgclass="class-qr")
    return Response(svg.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/c/<code>")
def join_page(code: str):
    """A learner's entry: the playground with the class's banner (the page joins with the code)."""
    from app.web.assets import field_description, plotly_bundle

    return render_template("index.html", class_code=plan.normalise_code(code), plotly_version=plotly_bundle()[1],
                           fields=field_description())


@bp.get("/teach/<class_id>")
def teach_page(class_id: str):
    """The teacher's live wall (the token travels in the URL's fragment, never to the server's logs)."""
    from app.web.assets import plotly_bundle

    return render_template("teach.html", class_id=class_id[:16], plotly_version=plotly_bundle()[1])

