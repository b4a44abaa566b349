"""Property tests (Hypothesis): any input to RunConfig, the sweep spec, the lab job, the CSV parser or the JSON
body parser gives a result or the error the API turns into a 4xx, never another exception."""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app import create_app
from app.config.parse import ConfigError, parse_config
from app.config.run_config import RunConfig
from app.data import csv_table
from app.data.datasets import DATASETS
from app.data.features import FEATURE_NAMES
from app.lab.plan import LabError, LabModel, parse_job
from app.sweeps.plan import SWEEPABLE, SweepSpec, expand
from app.web.body import parse_json
from app.web.errors import ApiError

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True)
           | st.text(max_size=30) | st.sampled_from(["", "max", "x1", "relu", "circle", "upload:abcdefgh12",
                                                     "classification", "regression", "inf", "nan", "1e999"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=6)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=6), max_leaves=25)


def near(names, values=json_values):
    """Objects whose keys are mostly real field names, so validation goes past the first check."""
    key = st.sampled_from(list(names)) | st.text(max_size=8)
    return st.dictionaries(key, values, max_size=12)


run_values = (json_values | st.sampled_from(list(DATASETS)) | st.lists(st.sampled_from(FEATURE_NAMES), max_size=9)
              | st.lists(st.integers(-2, 70), max_size=10) | st.floats(-1, 100) | st.integers(-5, 60_000))
run_bodies = near(RunConfig.model_fields, run_values)


@pytest.fixture(scope="module", autouse=True)
def request_context():
    """Messages are translated in a request; uploads are looked up in an empty temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        previous = os.environ.get("KP_UPLOAD_DIR")
        os.environ["KP_UPLOAD_DIR"] = folder
        app = create_app({"TESTING": True, "KP_DATABASE_URL": f"sqlite:///{folder}/p.db"})
        with app.test_request_context():
            yield
        if previous is None:
            os.environ.pop("KP_UPLOAD_DIR")
        else:
            os.environ["KP_UPLOAD_DIR"] = previous


def assert_errors(errors: list[dict]) -> None:
    """What the API returns: at most 20 {field, message} strings, each short."""
    assert 1 <= len(errors) <= 20
    for error in errors:
        assert isinstance(error["field"], str) and isinstance(error["message"], str)
        assert len(error["field"]) <= 300


@PROPERTY
@given(st.one_of(run_bodies, json_values))
def test_run_config_gives_a_config_or_field_errors(data):
    try:
        config = parse_config(data)
    except ConfigError as exc:
        assert_errors(exc.errors)
    else:
        assert 1 <= len(config.features) <= len(FEATURE_NAMES) and len(config.dataset) <= 48


sweep_params = st.dictionaries(st.sampled_from(SWEEPABLE) | st.text(max_size=6),
                               st.lists(run_values, max_size=14)
                               | st.fixed_dictionaries({"low": st.floats(), "high": st.floats()},
                                                       optional={"log": st.booleans()}), max_size=4)
plausible_params = st.dictionaries(st.sampled_from(SWEEPABLE), st.lists(run_values, min_size=1, max_size=3),
                                   min_size=1, max_size=2)
bases = st.builds(lambda fields, seed: {**fields, **seed}, run_bodies,
                  st.fixed_dictionaries({}, optional={"seed": scalars}))  # a base's seed is added to: a case apart
sweep_bodies = st.fixed_dictionaries({"params": plausible_params | sweep_params}, optional={
    "base": bases | json_values, "mode": st.sampled_from(["grid", "random", "other"]),
    "n_trials": st.integers(-1, 70), "repeats": st.integers(-1, 7), "seed": scalars})


@PROPERTY
@given(sweep_bodies | json_values)
def test_sweep_spec_gives_runs_or_field_errors(data):
    try:
        spec = SweepSpec.model_validate(data)
        runs = expand(spec)
    except ValidationError as exc:  # the view describes each (app/sweeps/views.py)
        assert exc.errors()
    except ConfigError as exc:
        assert_errors(exc.errors)
    else:
        assert 1 <= len(runs) <= 60 and all(isinstance(config, RunConfig) for _, _, config in runs)


lab_bodies = st.fixed_dictionaries({}, optional={
    "dataset": st.sampled_from(["sonar", "upload:abcdefgh12", "iris"]) | st.text(max_size=60),
    "folds": st.integers(-1, 12) | scalars, "seed": scalars,
    "configs": st.lists(near(LabModel.model_fields, run_values), max_size=6) | json_values})


@PROPERTY
@given(lab_bodies | json_values)
def test_lab_job_gives_a_job_or_field_errors(data):
    try:
        job = parse_job(data)
    except LabError as exc:
        assert_errors(exc.errors)
    else:
        assert 1 <= len(job.configs) <= 4


cells = st.sampled_from(["1", "2.5", "-3", "", "NA", "x", "cat", "dog", "1e999", "label", "a", "b", '"q,"', " "])
csv_texts = st.lists(st.lists(cells, min_size=0, max_size=6), max_size=12).map(
    lambda rows: "\n".join(",".join(row) for row in rows))


@PROPERTY
@given(csv_texts.map(str.encode) | st.binary(max_size=300)
       | st.text(alphabet=',;\t\n\r"0123456789.-abNAe\x00', max_size=300).map(str.encode))
def test_csv_parser_gives_a_table_or_row_errors(raw):
    try:
        table = csv_table.parse(raw)
    except csv_table.CsvError as exc:
        assert 1 <= len(exc.errors) <= 20 and all(e["field"] == "file" for e in exc.errors)
    else:
        assert len(table.x) == len(table.y) >= 4 and 2 <= len(table.classes) <= 10


@PROPERTY
@given(json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=200)
       | st.text(alphabet='[]{}",:0123456789.eE-+ NaInfity', max_size=200).map(str.encode))
def test_body_parser_gives_data_or_a_400(raw):
    try:
        parse_json(raw)
    except ApiError as exc:
        assert exc.status == 400 and exc.errors[0]["field"]
