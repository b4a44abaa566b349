"""GET /api/openapi.json (OpenAPI 3.1, built from the validating models) and GET /api/docs (Swagger UI, offline).

The paths are listed here, once; request bodies and bounds come from the pydantic models (openapi_schemas.py).
docs/api.md keeps the prose; a test validates the document and Schemathesis fuzzes the live server with it.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any

from flask import Blueprint, jsonify, render_template, send_from_directory

from app.classes.openapi import paths as class_paths
from app.web.openapi_schemas import JSON, RESPONSE_SCHEMAS, model_schemas, ref

bp = Blueprint("openapi", __name__)

JSON_BODY = "application/json"
EXPORT_KINDS = ["spec.json", "weights.npz", "model.keras", "script.py", "history.csv"]
RUN_ACTIONS = ["pause", "resume", "step", "stop", "set", "edit", "regenerate"]
ERRORS = {  # status -> (component name, description); each answers the one Error shape
    400: ("BadRequest", "A field, parameter or body is refused; `field` names it."),
    403: ("Forbidden", "Not yours: a saved run changed without its edit token (and, with per-client ownership, "
                       "another client's run, sweep or job)."),
    404: ("NotFound", "No such resource, or an unknown name in the path."),
    409: ("Conflict", "Not in a state that allows it yet (e.g. a run that has not finished)."),
    413: ("TooLarge", "The body (or the file) is larger than the server accepts."),
    429: ("TooMany", "Too many requests, runs, sweeps, jobs or open streams for this client, or the pool is full; "
                     "retry after `Retry-After` seconds."),
    503: ("Unavailable", "The service cannot do it now (e.g. a .keras build failed); try again."),
}


def _error_response(status: int) -> JSON:
    name, description = ERRORS[status]
    response: JSON = {"description": description, "content": {JSON_BODY: {"schema": ref("Error")}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
    return response


def ok(schema: str | JSON | None, status: int = 200, media: str = JSON_BODY, links: dict | None = None,
       description: str = "OK") -> dict[str, JSON]:
    """A success response: a named schema (or an inline one) under `media`; links to follow-up operations."""
    response: JSON = {"description": description}
    if schema is not None:
        response["content"] = {media: {"schema": ref(schema) if isinstance(schema, str) else schema}}
    if links:
        response["links"] = links
    return {str(status): response}


def op(op_id: str, tag: str, summary: str, responses: dict[str, JSON], errors: tuple[int, ...] = (),
       params: list[JSON] | None = None, body: JSON | None = None) -> JSON:
    """One operation; every /api operation may also answer 429 (requests per minute)."""
    out: JSON = {"operationId": op_id, "tags": [tag], "summary": summary, "responses": dict(responses)}
    for status in sorted({*errors, 429}):
        out["responses"][str(status)] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
    if params:
        out["parameters"] = params
    if body:
        out["requestBody"] = body
    return out


def path(name: str, description: str, schema: JSON | None = None) -> JSON:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "string"}}


def query(name: str, schema: JSON, description: str = "") -> JSON:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def json_body(schema: str | JSON, required: bool = True) -> JSON:
    return {"required": required, "content": {JSON_BODY: {"schema": ref(schema) if isinstance(schema, str) else
                                                          schema}}}


def link(operation_id: str, **parameters: str) -> JSON:
    return {"operationId": operation_id, "parameters": parameters}


SSE = {"type": "object", "required": ["data"], "description": (  # one event; docs/api.md lists names and data
    "A Server-Sent Event. Runs: queued, frame, state, done, error; sweeps: progress, trial, done. Every event has "
    "an increasing `id` (resume with Last-Event-ID); `: hb` comments keep the stream open."),
    "properties": {"event": {"type": "string"}, "id": {"type": "string"}, "retry": {"type": "integer"},
                   "data": {"type": "string", "contentMediaType": "application/json"}}}
BINARY = {"type": "string", "contentMediaType": "application/octet-stream"}
RUN_ID, SAVED_ID = path("run_id", "A run's id, from POST /api/runs."), path("saved_id", "A saved run's id.")
SWEEP_ID, JOB_ID = path("sweep_id", "A sweep's id."), path("job_id", "A lab job's id.")
UPLOAD_ID = path("upload_id", "An upload's id (only the uploader's, by the kp_owner cookie).")
DRAWN_ID = path("drawn_id", "A drawn set's id (anyone with it may read; only its owner may delete).")
DRAWN = {"type": "object", "required": ["id", "dataset"], "properties": {
    "id": {"type": "string"}, "dataset": {"type": "string"}, "points": {"type": "array", "items": {"type": "object"}}}}
DRAWN_BODY = {"type": "object", "required": ["points"], "properties": {"points": {
    "type": "array", "maxItems": 2000, "items": {"type": "object", "required": ["x1", "x2", "label"], "properties": {
        "x1": {"type": "number", "minimum": -6, "maximum": 6}, "x2": {"type": "number", "minimum": -6, "maximum": 6},
        "label": {"type": "integer", "minimum": 0, "maximum": 4}}}}}}
KIND = path("kind", "What to export.", {"enum": EXPORT_KINDS})
LAST_EVENT = [{"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"},
               "description": "Resume after this event."}, query("last_event_id", {"type": "string"})]
FRAME_WISH = [
    query("frames", {"type": "string", "enum": ["grids", "weights"], "default": "grids"},
          "grids: frames carry the boundary and neuron grids; weights: only the weights and the forward "
          "description, the page computes the grids (docs/api.md, Frames from weights)."),
    query("rate", {"type": "number", "minimum": 1, "maximum": 20},
          "At most this many frames a second for this stream (the run trains on at full speed)."),
]
EDIT_TOKEN = {"name": "X-Edit-Token", "in": "header", "required": False, "schema": {"type": "string"},
              "description": "The edit token handed out when the run was saved."}
EXPORTED = {"200": {"description": "The file (Content-Disposition: attachment).", "content": {
    "application/json": {"schema": {"type": "object"}}, "application/octet-stream": {"schema": BINARY},
    "text/x-python": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}}}}


def _dataset_params() -> list[JSON]:
    """The dataset's query parameters, with RunConfig's own types and bounds."""
    fields = model_schemas()["RunConfig"]["properties"]
    return [query(name, {k: v for k, v in fields[name].items() if k not in ("default", "title")},
                  fields[name].get("description", "")) for name in ("n_samples", "noise", "train_ratio", "seed",
                                                                    "n_classes")]


def _paths() -> dict[str, JSON]:
    run_links = {"status": link("getRun", run_id="$response.body#/id"),
                 "control": link("controlRun", run_id="$response.body#/id"),
                 "export": link("exportRun", run_id="$response.body#/id")}
    saved_links = {name: link(op_id, saved_id="$response.body#/id") for name, op_id in
                   (("open", "getSaved"), ("fork", "runSaved"), ("export", "exportSaved"))}
    saved_links["rename"] = link("renameSaved", saved_id="$response.body#/id",
                                 **{"header.X-Edit-Token": "$response.body#/edit_token"})
    sweep_links = {name: link(op_id, sweep_id="$response.body#/id") for name, op_id in
                   (("status", "getSweep"), ("cancel", "cancelSweep"), ("results", "sweepResults"))}
    job_links = {name: link(op_id, job_id="$response.body#/id") for name, op_id in
                 (("status", "getLabJob"), ("cancel", "cancelLabJob"))}
    upload_links = {name: link(op_id, upload_id="$response.body#/id") for name, op_id in
                    (("get", "getUpload"), ("delete", "deleteUpload"))}
    multipart = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {"file": BINARY, "label": {"type": "string"}}}}}}
    import_body = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["spec", "weights"],
        "properties": {"spec": BINARY, "weights": BINARY, "name": {"type": "string"}}}}}}
    control_body = json_body({"oneOf": [ref("LiveSettings"), ref("WeightEdit"), ref("Regenerate")]}, False)
    return {
        "/healthz": {"get": {"operationId": "health", "tags": ["service"], "summary": "Workers and run counts.",
                             "responses": ok("Health")}},  # exempt from the rate limit: no 429
        "/api/openapi.json": {"get": op("openapi", "service", "This document.", ok({"type": "object"}))},
        "/api/config": {"get": op("getConfig", "settings", "Defaults, bounds and help of every setting.",
                                  ok("ConfigInfo"))},
        "/api/losses": {"get": op("getLosses", "settings", "Each loss's source code.", ok({"type": "object"}))},
        "/api/lessons": {"get": op("getLessons", "settings", "The course's lessons.", ok({"type": "array"}))},
        "/api/messages": {"get": op("getMessages", "settings", "The page's message catalogue.", ok("Catalogue"),
                                    params=[query("lang", {"type": "string"}, "en or zh-TW")])},
        "/api/datasets/{name}": {"get": op(
            "getDataset", "runs", "A dataset's points, split into train and test.", ok("DatasetPoints"), (400, 404),
            [path("name", "A dataset name (see /api/config) or upload:<id>."), *_dataset_params()])},
        "/api/runs": {"post": op(
            "createRun", "runs", "Validate the settings and start (or queue) a run.",
            ok("RunCreated", 201, links=run_links, description="Created; Location: the run."), (400, 404, 409, 413),
            [query("start", {"enum": ["running", "paused", "step"]}, "How the run begins.")],
            json_body("RunRequest"))},
        "/api/runs/{run_id}": {"get": op("getRun", "runs", "The run's state, config and summary.",
                                         ok("RunStatus"), (403, 404), [RUN_ID])},
        "/api/runs/{run_id}/{action}": {"post": op(
            "controlRun", "runs", "Pause, resume, step, stop; set live settings; edit a weight; regenerate data.",
            ok("RunState"), (400, 403, 404, 409, 413),
            [RUN_ID, path("action", "What to do.", {"enum": RUN_ACTIONS})], control_body)},
        "/api/runs/{run_id}/events": {"get": op(
            "runEvents", "runs", "The run's events (frame, done, error) as Server-Sent Events.",
            ok(SSE, media="text/event-stream"), (400, 403, 404), [RUN_ID, *LAST_EVENT, *FRAME_WISH])},
        "/api/runs/{run_id}/export/{kind}": {"get": op(
            "exportRun", "export", "A finished run's spec, weights, .keras file or script.", EXPORTED,
            (400, 403, 404, 409, 503), [RUN_ID, KIND])},
        "/api/runs/{run_id}/landscape": {"post": op(
            "runLandscape", "runs", "The training loss along the line from the initial weights and over a plane "
            "around the current ones (a paused or finished run; docs/see-inside.md).", ok("Landscape"),
            (400, 403, 404, 409, 413, 503), [RUN_ID], json_body("LandscapeRequest", False))},
        "/api/export/script": {"post": op("exportScript", "export", "The standalone Keras script of a config.",
                                          ok({"type": "string"}, media="text/x-python"), (400, 413),
                                          body=json_body("RunConfig"))},
        "/api/saved": {
            "post": op("saveRun", "saved", "Save a finished run; the edit token is shown once.",
                       ok("SavedCreated", 201, links=saved_links), (400, 404, 409, 413), body=json_body("SaveRequest")),
            "get": op("listSaved", "saved", "Saved runs, newest first.", ok("SavedList"), (400,),
                      [query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
                       query("offset", {"type": "integer", "minimum": 0})]),
        },
        "/api/saved/{saved_id}": {
            "get": op("getSaved", "saved", "A saved run with its curves.", ok("SavedRun"), (404,), [SAVED_ID]),
            "patch": op("renameSaved", "saved", "Rename (needs the edit token).", ok("SavedRun"),
                        (400, 403, 404, 413), [SAVED_ID, EDIT_TOKEN], json_body("Rename")),
            "delete": op("deleteSaved", "saved", "Delete (needs the edit token).", ok(None, 204), (403, 404),
                         [SAVED_ID, EDIT_TOKEN]),
        },
        "/api/saved/{saved_id}/run": {"post": op(
            "runSaved", "saved", "Fork: a new run from the saved weights.", ok("RunCreated", 201, links=run_links),
            (400, 404), [SAVED_ID])},
        "/api/saved/{saved_id}/export/{kind}": {"get": op(
            "exportSaved", "export", "A saved run's spec, weights, .keras file, script or history.", EXPORTED,
            (400, 404, 503), [SAVED_ID, KIND])},
        "/api/import": {"post": op("importModel", "saved", "Import our JSON spec + .npz weights as a saved run.",
                                   ok("SavedCreated", 201, links=saved_links), (400, 413), body=import_body)},
        "/api/uploads": {
            "post": op("createUpload", "uploads", "Upload a CSV dataset.", ok("Upload", 201, links=upload_links),
                       (400, 413), body=multipart),
            "get": op("listUploads", "uploads", "This client's uploads.", ok("UploadList")),
        },
        "/api/uploads/{upload_id}": {
            "get": op("getUpload", "uploads", "One of this client's uploads.", ok("Upload"), (404,), [UPLOAD_ID]),
            "delete": op("deleteUpload", "uploads", "Delete an upload now.", ok(None, 204), (404,), [UPLOAD_ID]),
        },
        "/api/drawn": {"post": op(
            "createDrawn", "uploads", "Store points drawn on the map as the dataset drawn:<id>.",
            ok(DRAWN, 201, links={"get": link("getDrawn", drawn_id="$response.body#/id")}), (400, 413),
            body=json_body(DRAWN_BODY))},
        "/api/drawn/{drawn_id}": {
            "get": op("getDrawn", "uploads", "A drawn set's points (its id is the link).", ok(DRAWN), (404,),
                      [DRAWN_ID]),
            "delete": op("deleteDrawn", "uploads", "Delete one of this client's drawn sets now.", ok(None, 204),
                         (404,), [DRAWN_ID]),
        },
        **class_paths(op, ok, path, json_body, link, SSE),
        "/api/sweeps": {"post": op(
            "createSweep", "sweeps", "Start a grid, random or lesson sweep.",
            ok("SweepCreated", 201, links=sweep_links), (400, 404, 413),
            body=json_body({"anyOf": [ref("SweepSpec"), ref("LessonSweep")]}))},
        "/api/sweeps/{sweep_id}": {"get": op("getSweep", "sweeps", "Progress, trials, table and best point.",
                                             ok("SweepView"), (403, 404), [SWEEP_ID])},
        "/api/sweeps/{sweep_id}/events": {"get": op(
            "sweepEvents", "sweeps", "progress, trial and done as Server-Sent Events.",
            ok(SSE, media="text/event-stream"), (403, 404), [SWEEP_ID, *LAST_EVENT])},
        "/api/sweeps/{sweep_id}/cancel": {"post": op("cancelSweep", "sweeps", "Stop the sweep.",
                                                     ok("SweepProgress"), (403, 404), [SWEEP_ID])},
        "/api/sweeps/{sweep_id}/results.csv": {"get": op(
            "sweepResults", "sweeps", "The results table as CSV.", ok({"type": "string"}, media="text/csv"),
            (403, 404), [SWEEP_ID])},
        "/api/lab/presets": {"get": op("labPresets", "lab", "The default lab job and presets.", ok("LabPresets"))},
        "/api/lab/jobs": {"post": op("createLabJob", "lab", "Start a k-fold comparison.",
                                     ok("LabStatus", 201, links=job_links), (400, 404, 413), body=json_body("LabJob"))},
        "/api/lab/jobs/{job_id}": {"get": op("getLabJob", "lab", "A lab job's progress and results.",
                                             ok("LabStatus"), (403, 404), [JOB_ID])},
        "/api/lab/jobs/{job_id}/cancel": {"post": op("cancelLabJob", "lab", "Stop a lab job.", ok("LabStatus"),
                                                     (403, 404), [JOB_ID])},
    }


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (built once per process: it depends only on the code)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Keras Playground API", "version": "1",
                 "description": "Train Keras networks from the browser or a script. Prose, events and examples: "
                                "docs/api.md. Every error is `{\"errors\": [{\"field\", \"message\"}]}`."},
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "paths": _paths(),
        "components": {
            "schemas": {**model_schemas(), **RESPONSE_SCHEMAS},
            "responses": {name: _error_response(status) for status, (name, _) in ERRORS.items()},
        },
    }


SWAGGER_DIST = Path(importlib.util.find_spec("flask_swagger_ui").origin).with_name("dist")  # Swagger UI 5


@bp.get("/api/openapi.json")
def openapi_json():
    """The document, for clients and Swagger UI."""
    return jsonify(document())


@bp.get("/api/docs")
def reference():
    """The API reference page: Swagger UI from the installed package, no CDN."""
    return render_template("api.html", version=(SWAGGER_DIST / "VERSION").read_text().strip())


@bp.get("/api/docs/<path:filename>")
def reference_asset(filename: str):
    """Swagger UI's own files."""
    return send_from_directory(SWAGGER_DIST, filename, max_age=86_400)
