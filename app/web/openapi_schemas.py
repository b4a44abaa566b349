"""The OpenAPI document's schemas: request bodies from the pydantic models the API validates with, response shapes.

Request bodies come from RunConfig, SweepSpec and LabJob (`model_json_schema`), so a bound changed in a model is
changed in the document. Response shapes name the keys clients rely on and allow more (responses grow).
"""

from __future__ import annotations

from typing import Any

from app.config.run_config import RunConfig
from app.engine.landscape_plan import LandscapeRequest
from app.lab.plan import LabJob
from app.sweeps.plan import SweepSpec
from app.web.init_from import InitFrom

REF = "#/components/schemas/{model}"
JSON = dict[str, Any]


def model_schemas() -> dict[str, JSON]:
    """Every validating model's JSON schema (2020-12, as OpenAPI 3.1 uses), their nested models hoisted."""
    out: dict[str, JSON] = {}
    for model in (RunConfig, SweepSpec, LabJob, LandscapeRequest):
        schema = model.model_json_schema(ref_template=REF)
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    run = out["RunConfig"]  # POST /api/runs: the settings plus the request field `init_from` (app/web/init_from.py)
    out["RunRequest"] = {**run, "title": "RunRequest", "properties": {
        **run["properties"], **InitFrom.model_json_schema()["properties"]},
        "description": "A RunConfig; `init_from` starts the run from that run's initial weights and data."}
    return out


def obj(required: tuple[str, ...] = (), **properties: JSON) -> JSON:
    """An object with these properties (those in `required` always present); other keys allowed."""
    schema: JSON = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def ref(name: str) -> JSON:
    return {"$ref": REF.format(model=name)}


STRING, INTEGER, NUMBER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
ANY_OBJECT: JSON = {"type": "object"}
NUMBERS: JSON = {"type": "array", "items": {"type": ["number", "null"]}}

RESPONSE_SCHEMAS: dict[str, JSON] = {
    "Error": {
        **obj(("errors",), errors={"type": "array", "minItems": 1, "items": obj(
            ("field", "message"), field={"type": "string", "description": "The field, parameter or part at fault."},
            message={"type": "string", "description": "What to do, in the request's language."})}),
        "description": "The one error shape of every 4xx and 5xx answer.",
    },
    "Health": obj(("status", "workers"), status=STRING, workers={"type": "array", "items": ANY_OBJECT},
                  runs=ANY_OBJECT),
    "Catalogue": obj(("lang", "html_lang", "messages"), lang=STRING, html_lang=STRING,
                     messages={"type": "object", "additionalProperties": STRING}),
    "ConfigInfo": obj(("defaults", "schema", "datasets", "features", "auto_loss"), defaults=ANY_OBJECT,
                      schema=ANY_OBJECT, datasets={"type": "array", "items": ANY_OBJECT},
                      features={"type": "array", "items": ANY_OBJECT},
                      auto_loss={"type": "array", "items": ref("AutoLoss"), "description": (
                          "What loss `auto` trains with, one row per input of the rule (RunConfig.resolved_loss): "
                          "the page looks it up here and keeps no copy of the rule.")}),
    "AutoLoss": obj(("problem", "classic", "multiclass", "loss"), problem={"enum": ["classification", "regression"]},
                    classic={**BOOLEAN, "description": "mode 'classic' (TF Playground's rules)."},
                    multiclass={**BOOLEAN, "description": "More than two classes."},
                    loss={**STRING, "description": "The loss `auto` resolves to."}),
    "Points": obj(("x1", "x2", "label"), x1=NUMBERS, x2=NUMBERS, label=NUMBERS),
    "DatasetPoints": obj(("name", "problem", "train", "test"), name=STRING, problem=STRING,
                         n_classes={"type": ["integer", "null"]}, train=ref("Points"), test=ref("Points")),
    "RunCreated": obj(("id", "events_url"), id=STRING, events_url=STRING, state=STRING,
                      queue_position={"type": ["integer", "null"]},
                      init_from={"type": "string", "description": "The run whose start this one reuses."}),
    "RunStatus": obj(("id", "state"), id=STRING, state=STRING, config=ANY_OBJECT),
    "RunState": obj(("id", "state"), id=STRING, state=STRING),
    "LiveSettings": {"type": "object", "minProperties": 1,
                     "description": "For `set`: only the live fields of RunConfig (learning rate, ...).",
                     "additionalProperties": True},
    "WeightEdit": obj(("layer", "value"), kind={"enum": ["weight", "bias"]},
                      layer={"type": "integer", "minimum": 0, "maximum": 64},
                      source={"type": "integer", "minimum": 0, "maximum": 64},
                      target={"type": "integer", "minimum": 0, "maximum": 64},
                      node={"type": "integer", "minimum": 0, "maximum": 64},
                      value={"type": "number", "minimum": -100, "maximum": 100}),
    "Regenerate": obj(("seed",), seed={"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
    "SaveRequest": obj(("name", "run_id"), name={"type": "string", "minLength": 1, "maxLength": 200},
                       run_id=STRING, forked_from=STRING, history=ANY_OBJECT,
                       boundary=obj(("resolution", "data"), resolution=INTEGER, data=STRING)),
    "Rename": obj(("name",), name={"type": "string", "minLength": 1, "maxLength": 200}),
    "SavedRun": obj(("id", "name", "created_at", "updated_at", "summary", "config"), id=STRING, name=STRING,
                    created_at=STRING, updated_at=STRING, forked_from={"type": ["string", "null"]},
                    summary=ANY_OBJECT, config=ANY_OBJECT),
    "SavedCreated": {"allOf": [ref("SavedRun"), obj(("edit_token", "url"), edit_token=STRING, url=STRING)]},
    "SavedList": obj(("items", "total"), items={"type": "array", "items": ref("SavedRun")}, total=INTEGER),
    "LessonSweep": {**obj(("lesson",), lesson=STRING, repeats={"type": "integer", "minimum": 1, "maximum": 5}),
                    "additionalProperties": False},
    "SweepCreated": obj(("id", "runs", "events_url"), id=STRING, runs=INTEGER, events_url=STRING),
    "SweepView": obj(("state",), state=STRING, params={"type": "array", "items": STRING}),
    "SweepProgress": obj(("state",), state=STRING),
    "Upload": obj(("id",), id=STRING),
    "UploadList": obj(("uploads",), uploads={"type": "array", "items": ref("Upload")}),
    "LabPresets": obj(("job", "presets"), job=ANY_OBJECT, presets={"type": "array", "items": ANY_OBJECT},
                      help=ANY_OBJECT),
    "Landscape": obj(("line", "plane", "path"), line=obj(("alpha", "loss"), alpha=NUMBERS, loss=NUMBERS),
                     plane=obj(("a", "b", "loss"), a=NUMBERS, b=NUMBERS, loss={"type": "array", "items": NUMBERS}),
                     path={"type": "array", "items": obj(("epoch", "a", "b"), epoch=INTEGER, a=NUMBER, b=NUMBER)},
                     current_loss={"type": ["number", "null"]}, epoch=INTEGER, seconds=NUMBER),
    "LabStatus": obj(("id", "state"), id=STRING, state=STRING),
}
