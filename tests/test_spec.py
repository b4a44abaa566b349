"""Our spec + npz format: shapes from the config alone, round trips, and refusal of unsafe files."""

import io
import json
import pickle

import keras
import numpy as np
import pytest

from app.config.parse import parse_config
from app.engine.model import build_model
from app.engine.trainer import ModelCache, Trainer
from app.share.keras_file import build_keras_file
from app.share.spec import ImportRefused, encode_weights, load_import, spec_document, weight_shapes, weights_npz

CONFIGS = [
    {},
    {"hidden_layers": []},
    {"layers": [{"units": 5, "batch_norm": True}, {"units": 3, "dropout": 0.2}], "input_dropout": 0.1},
    {"dataset": "blobs", "n_classes": 4, "hidden_layers": [6]},
    {"problem": "regression", "dataset": "plane", "features": ["x1", "x2", "sin_x1"]},
]


@pytest.mark.parametrize("body", CONFIGS)
def test_shapes_from_config_match_keras(body):
    config = parse_config(body)
    assert [s for _, s in weight_shapes(config)] == [w.shape for w in build_model(config).get_weights()]


@pytest.fixture(scope="module")
def trained():
    config = parse_config({"layers": [{"units": 4, "batch_norm": True}], "epochs": 5})
    trainer = Trainer(config, ModelCache())
    for _ in range(5):
        trainer.train_epoch()
    weights = trainer.get_weights()
    trainer.close()
    return config, weights


def spec_bytes(config):
    return json.dumps(spec_document(config)).encode()


def test_round_trip_spec_and_npz(trained):
    config, weights = trained
    loaded_config, loaded = load_import(spec_bytes(config), weights_npz(config, weights))
    assert loaded_config == config
    assert all(np.array_equal(a, b) for a, b in zip(weights, loaded, strict=True))


def test_imported_weights_start_a_run_where_they_were(trained):
    config, weights = trained
    trainer = Trainer(config, ModelCache())
    trainer.set_weights(weights)
    assert all(np.array_equal(a, b) for a, b in zip(trainer.get_weights(), weights, strict=True))
    trainer.close()


def test_keras_file_export_loads_with_same_predictions(trained, tmp_path):
    config, weights = trained
    path = tmp_path / "m.keras"
    path.write_bytes(build_keras_file(config, encode_weights(weights)))
    model = keras.saving.load_model(path)  # our own file, made just now
    reference = build_model(config)
    reference.set_weights(weights)
    x = np.random.default_rng(0).uniform(-6, 6, (20, 2)).astype("float32")
    assert np.allclose(model(x, training=False), reference(x, training=False), atol=1e-6)


def _keras_file(tmp_path):
    path = tmp_path / "evil.keras"
    build_model(parse_config({})).save(path)
    return path.read_bytes()


@pytest.mark.parametrize(
    "make,field,fragment",
    [
        (lambda c, w, t: (spec_bytes(c), _keras_file(t)), "weights", ".keras model files are refused"),
        (lambda c, w, t: (_keras_file(t), weights_npz(c, w)), "spec", ".keras model files are refused"),
        (lambda c, w, t: (spec_bytes(c), b"\x89HDF\r\n\x1a\n" + b"0" * 100), "weights", "HDF5"),
        (lambda c, w, t: (spec_bytes(c), pickle.dumps({"a": 1})), "weights", "pickle"),
        (lambda c, w, t: (b"{not json", weights_npz(c, w)), "spec", "not valid JSON"),
        (lambda c, w, t: (json.dumps({"format": "other"}).encode(), weights_npz(c, w)), "spec", "format"),
        (lambda c, w, t: (json.dumps({"format": "keras-playground/1", "config": {"learning_rate": 99}}).encode(),
                          weights_npz(c, w)), "spec.config.learning_rate", "less than"),
        (lambda c, w, t: (spec_bytes(c), weights_npz(c, [np.zeros((3, 3), np.float32)] + w[1:])), "weights",
         "shape"),
        (lambda c, w, t: (spec_bytes(c), weights_npz(c, [np.full_like(w[0], np.nan)] + w[1:])), "weights", "NaN"),
        (lambda c, w, t: (spec_bytes(c), b"PK\x05\x06" + b"\0" * 18), "weights", "not an .npz"),
        (lambda c, w, t: (b" " * (300 * 1024), weights_npz(c, w)), "spec", "larger than"),
    ],
    ids=["keras-as-weights", "keras-as-spec", "h5", "pickle", "bad-json", "format", "bad-config", "shape", "nan",
         "empty-zip", "oversize"],
)
def test_unsafe_or_wrong_uploads_are_refused_with_a_reason(trained, tmp_path, make, field, fragment):
    config, weights = trained
    spec, npz = make(config, weights, tmp_path)
    with pytest.raises(ImportRefused) as info:
        load_import(spec, npz)
    assert info.value.field == field and fragment in info.value.message


def test_object_arrays_in_npz_are_refused(trained):
    config, weights = trained
    buffer = io.BytesIO()
    names = [n.replace("/", "__") for n, _ in weight_shapes(config)]
    arrays = dict(zip(names, weights, strict=True))
    arrays[names[0]] = np.array([{"x": 1}], dtype=object)
    np.savez(buffer, **arrays)
    with pytest.raises(ImportRefused) as info:
        load_import(spec_bytes(config), buffer.getvalue())
    assert info.value.field == "weights"
