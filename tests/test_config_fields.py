"""One source for every setting: GET /api/config describes each RunConfig field, and the page copies none of it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from app.config.fields import describe_fields
from app.config.run_config import ConfigError, RunConfig, parse_config
from app.data.datasets import DOMAIN
from app.runner.base import LIVE_FIELDS
from tests.conftest import ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")
FIELDS = describe_fields(RunConfig, live=LIVE_FIELDS)
# A value that is valid for a field only together with others (so it can be tried alone in parse_config).
CONTEXT: dict[str, dict[str, Any]] = {"n_classes": {"dataset": "blobs"}, "nesterov": {"momentum": 0.9}}
# Page ranges that go past the server's bounds on purpose: n_samples 0 = "TF Playground's count" (core/state.js).
PAGE_SENTINELS = {("n_samples", "min"): 0}


def _config(client, lang: str) -> dict[str, Any]:
    response = client.get("/api/config", headers={"Accept-Language": lang})
    assert response.status_code == 200
    return response.get_json()


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_every_run_config_field_is_described_with_label_and_help(client, lang):
    fields = _config(client, lang)["fields"]
    assert list(fields) == list(RunConfig.model_fields)
    for name, field in fields.items():
        assert field["label"].strip() and field["help"].strip(), name
        if lang == "zh-TW":
            assert CJK.search(field["label"]), f"{name}: label not translated: {field['label']!r}"
            assert CJK.search(field["help"]), f"{name}: help not translated: {field['help']!r}"
        else:
            assert field["label"] == field["msgid"]["label"] and field["help"] == field["msgid"]["help"]


def test_live_fields_are_the_runners_list_and_the_domain_is_the_datasets(client):
    config = _config(client, "en")
    assert {name for name, f in config["fields"].items() if f["live"]} == set(LIVE_FIELDS)
    assert config["domain"] == list(DOMAIN)


def _numeric_bounds() -> list[tuple[str, str]]:
    return [(n, side) for n, f in FIELDS.items() if f["kind"] in ("integer", "number") for side in ("min", "max")
            if f[side] is not None]


@pytest.mark.parametrize(("name", "side"), _numeric_bounds())
def test_described_bounds_are_the_ones_run_config_enforces(name, side):
    field = FIELDS[name]
    bound = field[side]
    exclusive = field[f"{side}_exclusive"]
    nudge = 1 if field["kind"] == "integer" else 1e-6
    outside = bound - nudge if side == "min" else bound + nudge
    inside = bound + (nudge if side == "min" else -nudge) if exclusive else bound
    base = CONTEXT.get(name, {})
    if name == "n_classes":  # blobs make 2–5 classes; 10 is the bound of the field itself
        inside = min(inside, 5)
    assert getattr(parse_config({**base, name: inside}), name) == inside
    if not exclusive:
        with pytest.raises(ConfigError) as err:
            parse_config({**base, name: outside})
        assert err.value.errors[0]["field"] == name
    with pytest.raises(ConfigError):
        parse_config({**base, name: bound if exclusive else outside})


@pytest.mark.parametrize("name", [n for n, f in FIELDS.items() if f.get("offered") or f["kind"] == "choice"])
def test_every_offered_value_and_choice_is_accepted(name):
    field = FIELDS[name]
    values = field.get("offered") or field["choices"]
    for value in values:
        context = dict(CONTEXT.get(name, {}))
        if name == "problem" and value == "regression":
            context["dataset"] = "plane"
        if name == "loss" and value in ("mse", "mae", "huber"):
            context.update(problem="regression", dataset="plane")
        if name == "loss" and value == "categorical_crossentropy":
            context["dataset"] = "blobs"
        if name == "loss" and value == "square":
            context["mode"] = "keras"
        assert getattr(parse_config({**context, name: value}), name) == value


@pytest.mark.parametrize("name", list(FIELDS))
def test_page_ranges_lie_within_the_bounds(name):
    field = FIELDS[name]
    for side in ("min", "max"):
        value = field["page"].get(side)
        if value is None or field[side] is None or PAGE_SENTINELS.get((name, side)) == value:
            continue
        assert field["min"] <= value <= field["max"], f"{name}.page.{side} = {value}"


class _Controls(HTMLParser):
    """Every <input> and <select> with a data-setting / data-course / data-cb attribute, by the setting it writes."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        setting = a.get("data-setting") or a.get("data-course") or a.get("data-cb")
        if tag in ("input", "select") and setting:
            self.controls[setting] = a


def test_templates_render_bounds_and_labels_from_the_description(client):
    html = client.get("/").get_data(as_text=True)
    parser = _Controls()
    parser.feed(html)
    for name in ("train_ratio", "noise", "n_classes", "batch_size", "input_dropout", "momentum", "beta_2", "rho"):
        page = FIELDS[name]["page"]
        control = parser.controls[name]
        assert (float(control["min"]), float(control["max"])) == (page["min"], page["max"]), name
        assert float(control["step"]) == page["step"], name
    patience = FIELDS["early_stopping"]["fields"]["patience"]
    assert float(parser.controls["early_stopping.patience"]["max"]) == patience["max"]
    assert f'<label for="train-ratio">{FIELDS["train_ratio"]["label"]}:' in html


def _js_number(value: float) -> list[str]:
    """How a number may be written in JavaScript source (0.00001, 1e-5, 60 for 60.0)."""
    forms = {repr(value), str(value)}
    if float(value).is_integer():
        forms.add(str(int(value)))
    forms.add(f"{value:.10f}".rstrip("0").rstrip("."))
    return sorted(forms)


def _pattern(values: list[Any]) -> re.Pattern[str]:
    """A JS array literal starting with these values, in any quoting and spacing."""
    parts = []
    for v in values:
        if isinstance(v, str):
            parts.append(f"[\"'`]{re.escape(v)}[\"'`]")
        else:
            parts.append("(?:" + "|".join(re.escape(f) for f in _js_number(v)) + ")")
    return re.compile(r"\[\s*" + r"\s*,\s*".join(parts))


def _server_lists() -> list[tuple[str, list[Any]]]:
    lists = []
    for name, field in FIELDS.items():
        for key in ("choices", "offered"):
            if field.get(key) and len(field[key]) >= 3:
                lists.append((f"{name}.{key}", field[key]))
        if field.get("items", {}).get("choices"):
            lists.append((f"{name}.items", field["items"]["choices"]))
        for sub, nested in field.get("fields", {}).items():
            if nested["choices"] and len(nested["choices"]) >= 3:
                lists.append((f"{name}.{sub}.choices", nested["choices"]))
    return lists


def _js_sources() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in (ROOT / "static" / "js").rglob("*.js")}


@pytest.mark.parametrize(("what", "values"), _server_lists())
def test_no_server_owned_list_is_copied_into_static_js(what, values):
    pattern = _pattern(values[:3])
    copies = [path for path, text in _js_sources().items() if pattern.search(text)]
    assert copies == [], f"{what} {values[:3]}… is written in {copies}: read it from core/fields.js instead"


def test_no_domain_bounds_or_dataset_list_or_stray_label_in_static_js():
    lo, hi = (int(v) for v in DOMAIN)
    stray = {
        "the domain": re.compile(rf"\[\s*{lo}\s*,\s*{hi}\s*\]"),
        "a dataset list": re.compile(r"name:\s*[\"']circle[\"']\s*,\s*title:"),
        "a field label": re.compile(r"[\"']Ratio of training(?: to test)? data[\"']"),
        "the learning rates": re.compile(r"LEARNING_RATES|REGULARIZATION_RATES|FALLBACK_DATASETS"),
    }
    for what, pattern in stray.items():
        copies = [path for path, text in _js_sources().items() if pattern.search(text)]
        assert copies == [], f"{what} is written in {copies}"


def test_templates_write_no_bound_of_a_setting_by_hand():
    for path in (ROOT / "templates").glob("*.html"):
        if path.name == "_fields.html":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"data-(setting|course|cb)=", line):
                assert not re.search(r"\b(min|max|step)=\"", line), f"{path.name}: {line.strip()}"
