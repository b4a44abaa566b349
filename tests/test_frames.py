"""Grid encoding round trip and JSON-safety; frames from weights: what a stream asks, what a run sends."""

import json

import numpy as np
import pytest

from app.engine.frames import clean, decode_grid, encode_grid, grid_points
from app.runner.active_run import ActiveRun
from app.runner.viewers import Viewers
from app.web.frame_views import WALL_GRIDS, StreamWish, parse_wish, watched


def test_grid_points_bottom_row_first():
    g = grid_points(5)
    assert g.shape == (25, 2)
    assert tuple(g[0]) == (-6, -6) and tuple(g[4]) == (6, -6) and tuple(g[-1]) == (6, 6)


def test_encode_decode_round_trip_and_saturation():
    values = np.linspace(-1, 1, 100).reshape(10, 10)
    assert np.abs(decode_grid(encode_grid(values), 10) - values).max() <= 1 / 127.5
    sat = decode_grid(encode_grid(np.array([[-5.0, 5.0], [np.nan, 0.0]])), 2)
    assert sat[0, 0] == -1 and sat[0, 1] == 1 and abs(sat[1, 0]) < 0.01


def test_clean_turns_non_finite_into_none():
    assert clean(float("nan")) is None and clean(float("inf")) is None and clean(0.5) == 0.5


# ---------------------------------------------------------------- frames from weights (issue 19)


def test_viewers_want_grids_until_every_viewer_takes_weights():
    v = Viewers()
    assert v.grids_due(0.0) and v.min_interval == 0  # nobody has said: grids at the full rate, as before
    v.update({"viewer": "a", "grids": False, "rate": None})
    assert not v.grids_due(1.0)
    v.update({"viewer": "b", "grids": True, "rate": None})
    assert v.grids_due(1.0) and v.grids_due(1.01)
    v.update({"viewer": "b", "gone": True})
    assert not v.grids_due(2.0)


def test_a_class_wall_gets_grids_now_and_then():
    v = Viewers()
    v.update({"viewer": "page", "grids": False, "rate": None})
    v.update({"viewer": "wall", "grids": 2.0, "rate": 2.0})
    assert v.min_interval == 0  # the learner's page still takes every frame
    assert [v.grids_due(t) for t in (0.0, 0.1, 0.4, 0.5, 0.6, 1.0)] == [True, False, False, True, False, True]


def test_viewers_rate_is_the_most_eager_viewers():
    v = Viewers()
    v.update({"viewer": "hidden", "grids": False, "rate": 2})
    assert v.min_interval == pytest.approx(0.5)
    v.update({"viewer": "other", "grids": False, "rate": 10})
    assert v.min_interval == pytest.approx(0.1)
    v.update({"viewer": "visible", "grids": False, "rate": None})
    assert v.min_interval == 0  # a visible tab gets every frame
    v.update({"viewer": "visible", "gone": True})
    v.update({"viewer": "other", "gone": True})
    assert v.min_interval == pytest.approx(0.5)


class _FakeTrainer:
    """Just enough of a Trainer for ActiveRun: counts epochs, records what frames were asked for."""

    class config:  # noqa: N801
        pace = "max"
        learning_rate = 0.03

    def __init__(self):
        self.epoch = 0
        self.asked: list[bool] = []
        self.exact: list[bool] = []
        self.diverged = False
        self.stop_reason = None

    def train_epoch(self):
        self.epoch += 1

    def frame(self, grids=True, exact=False):
        self.asked.append(grids)
        self.exact.append(exact)
        return {"epoch": self.epoch, "grids": grids}


def test_active_run_frames_follow_its_viewers():
    sent = []
    trainer = _FakeTrainer()
    run = ActiveRun("r", trainer, lambda rid, name, data, meta: sent.append((name, json.loads(data))), 60)
    run.tick(0.0)
    run.view({"viewer": "w", "grids": False, "rate": None})
    run.tick(0.0)
    assert trainer.asked == [True, False]  # grids until the weights viewer spoke, then none
    run.view({"viewer": "w", "grids": False, "rate": 1})
    for _ in range(50):
        run.tick(0.0)
    assert trainer.epoch == 52 and len(trainer.asked) == 2  # trained on; no frame within the 1 s the rate allows
    run.view({"viewer": "w", "gone": True})
    run.tick(0.0)
    assert trainer.asked[-1] is True and len(trainer.asked) == 3


@pytest.mark.parametrize("query, field", [
    ("frames=pixels", "frames"), ("frames=", "frames"), ("rate=0", "rate"), ("rate=21", "rate"),
    ("rate=abc", "rate"), ("rate=nan", "rate"), ("rate=", "rate"), ("frames=weights&rate=-1", "rate"),
])
def test_bad_stream_options_are_400_naming_the_field(client, query, field):
    r = client.get(f"/api/runs/any/events?{query}")
    assert r.status_code == 400
    assert r.get_json()["errors"][0]["field"] == field


def test_stream_options_parse_and_ignore_other_keys():
    assert parse_wish({}) == StreamWish("grids", None)
    assert parse_wish({"frames": "weights", "rate": "2", "last_event_id": "7", "x": "y"}) == StreamWish("weights", 2.0)
    assert parse_wish({"rate": "20"}).rate == 20.0


class _Recorder:
    def __init__(self):
        self.calls = []

    def control(self, run_id, action, args=None):
        self.calls.append((run_id, action, args))
        return {}


def test_a_stream_tells_its_run_when_it_opens_and_closes():
    runner = _Recorder()
    stream = watched(runner, "r1", StreamWish("weights", 2.0), iter(["e1", "e2"]))
    assert runner.calls == []  # nothing sent before the stream is read
    assert next(stream) == "e1"
    (_, action, args), = runner.calls
    assert action == "view" and args["grids"] is False and args["rate"] == 2.0
    stream.close()
    assert runner.calls[-1] == ("r1", "view", {"viewer": args["viewer"], "gone": True})


def test_a_class_runs_weights_stream_asks_grids_for_the_wall():
    runner = _Recorder()
    stream = watched(runner, "r1", StreamWish("weights", None), iter(["e1"]), wall=True)
    next(stream)
    wishes = sorted((args["grids"], args["rate"]) for _, _, args in runner.calls)
    assert wishes == [(False, None), (WALL_GRIDS, WALL_GRIDS)]
    stream.close()
    assert sum(1 for _, _, args in runner.calls if args.get("gone")) == 2


def test_trainer_frames_with_and_without_grids():
    from app.config.run_config import RunConfig
    from app.engine.trainer import Trainer

    config = RunConfig(dataset="xor", n_samples=40, features=["x1", "x2", "x1_x2"], hidden_layers=[3, 2],
                       activation="relu", batch_norm=True, epochs=5)
    trainer = Trainer(config)
    trainer.train_epoch()
    full, light = trainer.frame(), trainer.frame(grids=False)
    assert decode_grid(full["boundary"]["data"], 50).shape == (50, 50)
    assert [len(layer) for layer in full["neurons"]["layers"]] == [3, 2]
    assert "boundary" not in light and "neurons" not in light
    for frame in (full, light):
        assert frame["forward"] == {"features": ["x1", "x2", "x1_x2"], "activations": ["relu", "relu"],
                                    "output": "sigmoid", "classes": 2, "resolution": 50, "neuron_resolution": 20,
                                    "extent": [-6.0, 6.0]}
        hidden, second, out = frame["weights"]
        assert len(hidden["kernel"]) == 3 and len(hidden["bias"]) == 3 and len(out["kernel"]) == 2
        assert set(hidden["bn"]) == {"gamma", "beta", "mean", "variance", "epsilon"} and "bn" in second
        assert "bn" not in out and hidden["bn"]["epsilon"] == pytest.approx(1e-3)
        assert hidden["bn"]["mean"] != [0.0, 0.0, 0.0]  # one epoch moved the statistics
    assert len(json.dumps(light)) < len(json.dumps(full)) / 2
    trainer.close()
