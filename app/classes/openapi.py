"""The class API's part of GET /api/openapi.json (app/web/openapi.py merges it): one feature, one place."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
OBJECT: JSON = {"type": "object"}


def paths(op, ok, path, json_body, link, sse: JSON) -> dict[str, JSON]:
    """Class operations, built with the document's own helpers (op, ok, path, json_body, link)."""
    class_id = path("class_id", "A class's id (teacher endpoints also need X-Teacher-Token or ?token=).")
    code = path("code", "A class's 6-character join code.")
    teacher = {"name": "X-Teacher-Token", "in": "header", "required": False, "schema": {"type": "string"},
               "description": "The teacher token from POST /api/classes (or the query parameter `token`)."}
    links = {"state": link("getClass", class_id="$response.body#/id"),
             "join": link("joinClass", code="$response.body#/code")}
    t = "classes"
    return {
        "/api/classes": {"post": op("createClass", t, "Start a class: code, join link, QR, teacher token.",
                                    ok(OBJECT, 201, links=links), (400, 413), body=json_body(OBJECT))},
        "/api/classes/challenges": {"get": op("classChallenges", t, "Ready-made Day-65 challenges.",
                                              ok({"type": "array"}))},
        "/api/classes/code/{code}": {"get": op("classByCode", t, "What a learner sees of a class.", ok(OBJECT),
                                               (404,), [code])},
        "/api/classes/{code}/join": {"post": op("joinClass", t, "Join with a name (or an animal name).",
                                                ok(OBJECT, 201), (400, 404, 409, 413), [code],
                                                body=json_body(OBJECT, required=False))},
        "/api/classes/{code}/guess": {"post": op(
            "reportGuess", t, "A learner's scored guess {run_id, iou, test_share} for one of their runs; 201 with "
            "the class's average {count, iou, test_share}.", ok(OBJECT, 201), (400, 403, 404, 413), [code],
            body=json_body(OBJECT))},
        "/api/classes/{code}/events": {"get": op("classEvents", t, "Learners' stream: class, standings, preset, "
                                                 "freeze, challenge, ended.", ok(sse, media="text/event-stream"),
                                                 (404,), [code])},
        "/api/classes/{class_id}": {"get": op("getClass", t, "The class, its learners' tiles and counts.",
                                              ok(OBJECT), (403, 404), [class_id, teacher])},
        "/api/classes/{class_id}/wall/events": {"get": op(
            "wallEvents", t, "The wall: learner, joined, left, spotlight, freeze, preset, guesses, ended.",
            ok(sse, media="text/event-stream"), (403, 404), [class_id, teacher])},
        "/api/classes/{class_id}/preset": {"put": op("pushPreset", t, "Push settings and locks to everyone.",
                                                     ok(OBJECT), (400, 403, 404, 409, 413), [class_id, teacher],
                                                     body=json_body(OBJECT))},
        "/api/classes/{class_id}/challenge": {"put": op("setChallenge", t, "Set or clear the challenge.",
                                                        ok(OBJECT), (400, 403, 404, 409, 413), [class_id, teacher],
                                                        body=json_body(OBJECT))},
        "/api/classes/{class_id}/freeze": {"post": op("freezeClass", t, "Pause every learner's run, or lift it.",
                                                      ok(OBJECT), (400, 403, 404, 409, 413), [class_id, teacher],
                                                      body=json_body(OBJECT, required=False))},
        "/api/classes/{class_id}/spotlight": {"post": op("spotlight", t, "Follow one learner's run on the "
                                                         "projector.", ok(OBJECT), (400, 403, 404, 409, 413),
                                                         [class_id, teacher], body=json_body(OBJECT, required=False))},
        "/api/classes/{class_id}/leaderboard": {"get": op("leaderboard", t, "Best runs ranked by the challenge.",
                                                          ok(OBJECT), (403, 404), [class_id, teacher])},
        "/api/classes/{class_id}/leaderboard.csv": {"get": op(
            "leaderboardCsv", t, "The leaderboard as CSV.", ok({"type": "string"}, media="text/csv"), (403, 404),
            [class_id, teacher])},
        "/api/classes/{class_id}/qr.svg": {"get": op("classQr", t, "The join link as a QR code (SVG).",
                                                     ok({"type": "string"}, media="image/svg+xml"), (404,),
                                                     [class_id])},
        "/api/classes/{class_id}/end": {"post": op("endClass", t, "End the class; the CSV stays.", ok(OBJECT),
                                                   (403, 404), [class_id, teacher])},
    }
