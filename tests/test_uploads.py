"""CSV uploads: the validation table (good and bad files, messages naming row and column), storage, TTL."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

from app import settings
from app.config.parse import ConfigError, parse_config
from app.data import csv_table as csvdata
from app.data import datasets, upload_store


@pytest.fixture(autouse=True)
def upload_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KP_UPLOAD_DIR", str(tmp_path / "uploads"))
    settings.reset()  # the settings are read once: read them again with this directory
    return tmp_path / "uploads"


def post(client, text: str | bytes, name: str = "data.csv", **form):
    raw = text.encode() if isinstance(text, str) else text
    return client.post("/api/uploads", data={"file": (io.BytesIO(raw), name), **form},
                       content_type="multipart/form-data")


GOOD = "a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,dog\n"


@pytest.mark.parametrize(
    "text,row,column,words",
    [
        ("a,b,label\n1,2,x\n3,oops,y\n5,6,x\n7,8,y\n", 3, "b", "'oops' is not a number"),
        ("a,b,label\n1,2,x\n3,,y\n5,6,x\n7,8,y\n", 3, "b", "missing value"),
        ("a,b,label\n1,2,x\n3,NA,y\n5,6,x\n7,8,y\n", 3, "b", "missing value"),
        ("a,b,label\n1,2,x\n3,4,y\n5,6\n7,8,y\n", 4, None, "row 4 has 2 cells"),
        ("a,b,label\n1,2,x\n3,4,\n5,6,x\n7,8,y\n", 3, "label", "the label is missing"),
        ("a,b,label\n1,2,x\n3,inf,y\n5,6,x\n7,8,y\n", 3, "b", "is not a number"),
        ("a,a,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", 1, "a", "appears twice"),
        ("a,b,label\n" + "".join(f"{i},{i},c{i}\n" for i in range(11)), None, "label", "at most 10 classes"),
        ("a,b,label\n1,2,x\n3,4,x\n5,6,x\n7,8,x\n", None, "label", "at least two classes"),
        ("a,b,label\n1,2,x\n3,4,y\n", None, None, "at least 4 are needed"),
        ("a\n1\n2\n3\n4\n", 1, None, "at least two columns"),
    ],
)
def test_bad_files_are_refused_with_row_and_column(client, text, row, column, words):
    response = post(client, text)
    assert response.status_code == 400
    error = response.get_json()["errors"][0]
    assert error["field"] == "file" and words in error["message"]
    assert error.get("row") == row and error.get("column") == column
    if row is not None:
        assert f"row {row}" in error["message"] or row == 1
    if column is not None:
        assert f"'{column}'" in error["message"]


def test_too_many_rows_and_features():
    many_rows = "a,b,label\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(10_001))
    with pytest.raises(csvdata.CsvError, match="10001 data rows; at most 10000"):
        csvdata.parse(many_rows.encode())
    wide = ",".join(f"f{i}" for i in range(101)) + ",label\n" + ("1," * 101 + "x\n") * 4
    with pytest.raises(csvdata.CsvError, match="101 feature columns; at most 100"):
        csvdata.parse(wide.encode())


def test_every_bad_cell_is_reported_not_only_the_first():
    errors = csvdata.CsvError
    with pytest.raises(errors) as info:
        csvdata.parse(b"a,b,label\n1,?,x\nq,4,y\n5,6,x\n7,8,y\n")
    assert [(e["row"], e["column"]) for e in info.value.errors] == [(2, "b"), (3, "a")]


def test_not_utf8_and_no_file(client):
    response = post(client, b"a,b,label\n\xff\xfe,1,x\n")
    assert response.status_code == 400 and "UTF-8" in response.get_json()["errors"][0]["message"]
    response = client.post("/api/uploads", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "file"


def test_size_limit(client, monkeypatch):
    monkeypatch.setenv("KP_UPLOAD_MAX_KIB", "1")
    settings.reset()
    response = post(client, "a,b,label\n" + "1,2,x\n" * 400)
    assert response.status_code == 413
    assert response.get_json()["errors"][0] == {"field": "file", "message": "the file is larger than 1 KiB"}


def test_sonar_without_header_reads_as_60_features_and_two_classes():
    with open("app/data/sonar.csv", "rb") as f:
        table = csvdata.parse(f.read())
    assert table.x.shape == (208, 60) and table.classes == ["M", "R"]
    assert np.bincount(table.y).tolist() == [111, 97]
    assert table.feature_names[0] == "x1" and table.label_name == "label"


def test_label_column_by_name_and_semicolons():
    table = csvdata.parse(b"kind;w;h\nA;1,5;2\nB;3;4\nA;5;6\nB;7;8\n".replace(b"1,5", b"1.5"), label="kind")
    assert table.feature_names == ["w", "h"] and table.classes == ["A", "B"]
    assert table.x[0].tolist() == [1.5, 2.0]
    with pytest.raises(csvdata.CsvError, match="no column 'nope'"):
        csvdata.parse(GOOD.encode(), label="nope")


def test_numeric_labels_sort_as_numbers():
    table = csvdata.parse(b"a,b,y\n1,2,10\n3,4,2\n5,6,10\n7,8,2\n")
    assert table.classes == ["2", "10"] and table.y.tolist() == [1, 0, 1, 0]


def test_upload_is_kept_per_owner_then_deleted(client, app):
    response = post(client, GOOD, name="pets.csv")
    assert response.status_code == 201
    meta = response.get_json()
    assert meta["rows"] == 4 and meta["features"] == ["a", "b"] and meta["classes"] == ["cat", "dog"]
    assert meta["class_counts"] == [2, 2] and meta["dataset"] == f"upload:{meta['id']}" and "owner" not in meta
    assert client.get("/api/uploads").get_json()["uploads"][0]["id"] == meta["id"]
    stranger = app.test_client()
    assert stranger.get("/api/uploads").get_json() == {"uploads": []}
    assert stranger.get(f"/api/uploads/{meta['id']}").status_code == 404
    assert stranger.delete(f"/api/uploads/{meta['id']}").status_code == 404
    assert client.get(f"/api/uploads/{meta['id']}").get_json()["name"] == "pets.csv"
    assert client.delete(f"/api/uploads/{meta['id']}").status_code == 204
    assert client.get(f"/api/uploads/{meta['id']}").status_code == 404


def test_expired_uploads_are_cleaned_up(client, upload_dir, monkeypatch):
    meta = post(client, GOOD).get_json()
    assert (upload_dir / f"{meta['id']}.npz").exists()
    assert upload_store.cleanup(now=time.time() + 3600) == 0
    assert upload_store.cleanup(now=time.time() + 86_401) == 1
    assert not (upload_dir / f"{meta['id']}.npz").exists()
    assert client.get(f"/api/uploads/{meta['id']}").status_code == 404


def test_two_feature_upload_is_a_map_dataset_scaled_into_the_domain(client):
    text = "w,h,label\n" + "".join(f"{100 + i},{-i / 10},{'big' if i > 9 else 'small'}\n" for i in range(20))
    meta = post(client, text).get_json()
    config = parse_config({"dataset": meta["dataset"], "train_ratio": 50})
    assert config.classes == 2
    split = datasets.make(config.dataset, config.n_samples, 0, 50, 0)
    x = np.vstack([split.x_train, split.x_test])
    assert len(x) == 20 and x.min() == pytest.approx(-5) and x.max() == pytest.approx(5)
    points = client.get(f"/api/datasets/{meta['dataset']}?train_ratio=50").get_json()
    assert len(points["train"]["x1"]) == 10 and points["n_classes"] == 2


def test_map_refuses_unknown_and_wide_uploads(client):
    with pytest.raises(ConfigError) as info:
        parse_config({"dataset": "upload:doesnotexist123"})
    assert info.value.errors[0]["field"] == "dataset" and "upload the CSV again" in info.value.errors[0]["message"]
    wide = post(client, "a,b,c,label\n1,2,3,x\n4,5,6,y\n7,8,9,x\n1,1,1,y\n").get_json()
    assert wide["dataset"] is None
    with pytest.raises(ConfigError, match="use the lab"):
        parse_config({"dataset": f"upload:{wide['id']}"})
    assert client.get("/api/datasets/upload:doesnotexist123").status_code == 404


def test_three_class_upload_trains_with_softmax(client):
    rng = np.random.default_rng(0)
    rows = "".join(f"{c * 4 + rng.normal():.3f},{rng.normal():.3f},k{c}\n" for c in range(3) for _ in range(30))
    meta = post(client, "a,b,label\n" + rows).get_json()
    config = parse_config({"dataset": meta["dataset"]})
    assert config.classes == 3 and config.resolved_loss == "categorical_crossentropy"


def test_keras_script_of_an_upload_is_refused_by_name(client):
    meta = post(client, GOOD).get_json()
    response = client.post("/api/export/script", json={"dataset": meta["dataset"]})
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "dataset"
