"""GET /api/openapi.json: valid OpenAPI 3.1, built from the validating models, covering every API route."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from app.config.run_config import RunConfig
from app.lab.plan import LabJob
from app.sweeps.plan import SweepSpec

NOT_API = {"/", "/lab", "/saved/<saved_id>", "/vendor/plotly.min.js", "/metrics", "/static/<path:filename>",
           "/api/docs", "/api/docs/<path:filename>", "/c/<code>", "/teach/<class_id>"}  # pages, files, Prometheus text


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(spec):
    validate(spec, cls=OpenAPIV31SpecValidator)
    assert spec["openapi"].startswith("3.1")


def test_every_api_route_and_method_is_documented(app, spec):
    documented = {(re.sub(r"\{(\w+)\}", r"<\1>", p), m.upper()) for p, ops in spec["paths"].items() for m in ops}
    routes = {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.rule not in NOT_API
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes - documented == set()
    assert documented - routes == set()


def test_request_bodies_are_the_models_the_api_validates_with(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["RunConfig"]["properties"] == RunConfig.model_json_schema(
        ref_template="#/components/schemas/{model}")["properties"]
    assert schemas["SweepSpec"]["properties"]["repeats"]["maximum"] == SweepSpec.model_fields["repeats"].metadata[1].le
    assert set(schemas["LabJob"]["properties"]) == set(LabJob.model_fields)
    body = spec["paths"]["/api/runs"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/RunRequest"}  # a RunConfig plus the request field init_from
    run_request = schemas["RunRequest"]["properties"]
    assert set(run_request) == {*RunConfig.model_fields, "init_from"}
    assert "$defs" not in str(spec)  # nested models hoisted into components


def test_errors_have_one_shape_and_refusals_are_documented(spec):
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["errors"] and error["properties"]["errors"]["items"]["required"] == ["field",
                                                                                                     "message"]
    create = spec["paths"]["/api/runs"]["post"]["responses"]
    assert {"201", "400", "413", "429"} <= set(create)
    assert "Retry-After" in spec["components"]["responses"]["TooMany"]["headers"]
    assert "403" in spec["paths"]["/api/saved/{saved_id}"]["patch"]["responses"]
    assert "403" in spec["paths"]["/api/runs/{run_id}"]["get"]["responses"]  # per-client ownership


def test_event_streams_are_text_event_stream(spec):
    for stream in ("/api/runs/{run_id}/events", "/api/sweeps/{sweep_id}/events"):
        assert list(spec["paths"][stream]["get"]["responses"]["200"]["content"]) == ["text/event-stream"]


def test_create_links_to_status_control_and_export(spec):
    links = spec["paths"]["/api/runs"]["post"]["responses"]["201"]["links"]
    assert {name: link["operationId"] for name, link in links.items()} == {
        "status": "getRun", "control": "controlRun", "export": "exportRun"}
    operation_ids = {op["operationId"] for ops in spec["paths"].values() for op in ops.values()}
    every_link = [link for ops in spec["paths"].values() for op in ops.values()
                  for response in op["responses"].values() for link in response.get("links", {}).values()]
    assert every_link and all(link["operationId"] in operation_ids for link in every_link)


def test_the_reference_page_uses_only_local_files(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/openapi.json" in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith(("/", "data:", "#")) for s in sources), sources  # "#": the skip link
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = client.get(f"/api/docs/{asset}")
        assert response.status_code == 200 and len(response.data) > 10_000
