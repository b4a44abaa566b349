"""Issue 18, the sessions side: a hostile client, a stuck tab or 40 open tabs must not stall the class.

First through the app with a stand-in runner (each row's status, and the server still answering), then
on a real gunicorn (the slow-client test: idle connections and streams from one client while the page
and /healthz answer). The Celery rows (Redis down, byte bounds, Last-Event-ID) are in tests/scaleout/.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time

import pytest
import requests

from app import create_app, shutdown
from app.runner.base import Event, RunnerSettings, UnknownRun
from app.web.streaming import parse_last_event_id
from tests.conftest import LiveServer, wait_until

ACTIONS = {"pause": None, "resume": None, "step": None, "stop": None, "set": {"learning_rate": 0.1},
           "edit": {"kind": "bias", "layer": 0, "node": 0, "value": 0.5}, "regenerate": {"seed": 3}}


class StandInRunner:
    """Runs that stay paused and stream heartbeats until stopped; the web layer sees a real Runner's answers."""

    def __init__(self) -> None:
        self.settings = RunnerSettings(workers=1, runs_per_worker=2, heartbeat=0.02)
        self.states: dict[str, str] = {}
        self.controls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def submit(self, config, weights=None, start="running"):
        with self.lock:
            run_id = f"run{len(self.states)}"
            self.states[run_id] = "paused"
        return {"id": run_id, "state": "paused"}

    def status(self, run_id):
        if run_id not in self.states:
            raise UnknownRun(run_id)
        return {"id": run_id, "state": self.states[run_id], "epoch": 0,
                "config": {"hidden_layers": [4, 2], "features": ["x1", "x2"]}}

    def control(self, run_id, action, args=None):
        self.status(run_id)
        self.controls.append((run_id, action))
        return {"id": run_id, "state": self.states[run_id]}

    def events(self, run_id, last_event_id=None):
        self.status(run_id)

        def follow():
            yield Event(1, "started", json.dumps({"paused": True}))
            while self.states[run_id] != "done":
                time.sleep(0.01)  # a paused run: heartbeats only (the runner's pace, not a test's wait)
                yield None

        return follow()

    def result(self, run_id):
        return None

    def health(self):
        return {"state": "ok", "workers": [], "runs": {"active": 0, "queued": 0, "capacity": 0, "queue_size": 0}}

    def shutdown(self, timeout=10.0):
        for run_id in self.states:
            self.states[run_id] = "done"


class StandInLab:
    """The lab runner's interface without worker processes: jobs stay queued until cancelled."""

    def __init__(self) -> None:
        self.jobs: dict[str, dict] = {}

    def submit(self, job, y, classes):
        job_id = f"job{len(self.jobs)}"
        self.jobs[job_id] = {"id": job_id, "state": "queued"}
        return dict(self.jobs[job_id])

    def status(self, job_id):
        return dict(self.jobs[job_id])

    def cancel(self, job_id):
        self.jobs[job_id]["state"] = "cancelled"
        return dict(self.jobs[job_id])

    def shutdown(self):
        pass


@pytest.fixture
def world(tmp_path):
    """An app on the stand-in runner and lab, with small caps; yields (app, runner, lab)."""
    runner, lab = StandInRunner(), StandInLab()
    app = create_app({"TESTING": True, "KP_DATABASE_URL": f"sqlite:///{tmp_path}/t.db", "KP_RUNNER": runner,
                      "KP_LAB_RUNNER": lab, "KP_RUNS_PER_CLIENT": 3, "KP_THREADS": 8, "KP_STREAM_RESERVE": 2,
                      "KP_STREAMS_PER_CLIENT": 3, "KP_STREAMS_PER_RUN": 4, "KP_RATE_LIMIT": "10000 per minute"})
    yield app, runner, lab
    runner.shutdown()
    shutdown(app)


def learner(app, name: str):
    """A browser: its own client cookie, as the page gets it on its first request."""
    client = app.test_client()
    client.set_cookie("kp_client", f"learner-{name}-cookie")
    return client


def still_answers(client) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/config").status_code == 200


# ---------------------------------------------------------------- ownership


@pytest.mark.parametrize("action", list(ACTIONS))
def test_only_the_creator_controls_a_run(world, action):
    app, runner, _ = world
    owner, other = learner(app, "owner"), learner(app, "other")
    created = owner.post("/api/runs?start=paused", json={})
    assert created.status_code == 201
    run_id, token = created.get_json()["id"], created.get_json()["control_token"]
    body = ACTIONS[action]
    refused = other.post(f"/api/runs/{run_id}/{action}", json=body)
    assert refused.status_code == 403, refused.get_json()
    error = refused.get_json()["errors"][0]
    assert error["field"] == "control_token" and "started this run" in error["message"]
    assert runner.controls == []  # refused before the runner heard of it
    wrong = other.post(f"/api/runs/{run_id}/{action}", json=body, headers={"X-Control-Token": "x" * 24})
    assert wrong.status_code == 403
    assert owner.post(f"/api/runs/{run_id}/{action}", json=body).status_code == 200  # the page: its cookie
    api = app.test_client()  # an API client without the cookie: the token returned at creation
    assert api.post(f"/api/runs/{run_id}/{action}", json=body, headers={"X-Control-Token": token}).status_code == 200
    assert runner.controls == [(run_id, action)] * 2
    assert other.get(f"/api/runs/{run_id}").status_code == 200  # reading stays open
    still_answers(other)


def test_a_browsers_first_request_owns_what_it_creates(world):
    app, _, _ = world
    fresh = app.test_client()  # no cookie yet: the response to its first request hands one out
    run_id = fresh.post("/api/runs", json={}).get_json()["id"]
    assert fresh.get_cookie("kp_client") is not None
    assert fresh.post(f"/api/runs/{run_id}/stop").status_code == 200


def test_control_of_an_unknown_or_unowned_run(world):
    app, runner, _ = world
    client = learner(app, "a")
    assert client.post("/api/runs/nope/stop").status_code == 404  # unknown: 404 before any 403
    runner.submit(None)  # started inside the server (a sweep's trial): nobody's to control
    assert client.post("/api/runs/run0/stop").status_code == 403


def test_only_the_creator_cancels_a_sweep(world):
    app, _, _ = world
    owner, other = learner(app, "owner"), learner(app, "other")
    created = owner.post("/api/sweeps", json={"params": {"learning_rate": [0.1, 0.3]}})
    assert created.status_code == 201, created.get_json()
    sweep_id, token = created.get_json()["id"], created.get_json()["control_token"]
    refused = other.post(f"/api/sweeps/{sweep_id}/cancel")
    assert refused.status_code == 403 and "started this sweep" in refused.get_json()["errors"][0]["message"]
    assert other.get(f"/api/sweeps/{sweep_id}").get_json()["state"] == "running"
    cancelled = app.test_client().post(f"/api/sweeps/{sweep_id}/cancel", headers={"X-Control-Token": token})
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    still_answers(other)


def test_only_the_creator_cancels_a_lab_job(world):
    app, _, lab = world
    owner, other = learner(app, "owner"), learner(app, "other")
    created = owner.post("/api/lab/jobs", json={"folds": 2, "configs": [{"epochs": 10}]})
    assert created.status_code == 201, created.get_json()
    job_id = created.get_json()["id"]
    refused = other.post(f"/api/lab/jobs/{job_id}/cancel")
    assert refused.status_code == 403 and refused.get_json()["errors"][0]["field"] == "control_token"
    assert lab.jobs[job_id]["state"] == "queued"
    assert owner.post(f"/api/lab/jobs/{job_id}/cancel").get_json()["state"] == "cancelled"
    assert other.post("/api/lab/jobs/nope/cancel").status_code == 404
    still_answers(other)


# ---------------------------------------------------------------- quotas per client


def test_forks_count_against_the_runs_a_client_may_have(world):
    app, _, _ = world
    with app.app_context():
        from app.share.views import store

        saved, _token = store().save("base", {"hidden_layers": [4]}, {}, {}, [], None)
    forker = learner(app, "forker")
    statuses = [forker.post(f"/api/saved/{saved['id']}/run").status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    refused = forker.post("/api/runs", json={})  # forks and new runs share the one budget
    assert refused.status_code == 429 and refused.get_json()["errors"][0]["field"] == "runs"
    assert int(refused.headers["Retry-After"]) > 0
    assert learner(app, "neighbour").post(f"/api/saved/{saved['id']}/run").status_code == 201
    still_answers(forker)


def test_forks_sent_at_once_cannot_all_pass_the_check(world):
    app, runner, _ = world
    with app.app_context():
        from app.share.views import store

        saved, _token = store().save("base", {"hidden_layers": [4]}, {}, {}, [], None)
    statuses: list[int] = []
    barrier = threading.Barrier(12)

    def fork() -> None:
        client = learner(app, "burst")
        barrier.wait(10)
        statuses.append(client.post(f"/api/saved/{saved['id']}/run").status_code)

    threads = [threading.Thread(target=fork) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses) == [201] * 3 + [429] * 9  # KP_RUNS_PER_CLIENT = 3
    assert len(runner.states) == 3


def test_sweep_trials_are_capped_per_client(world):
    app, _, _ = world
    from app import settings

    settings.install(settings.load({**app.config, "KP_SWEEP_TRIALS_PER_CLIENT": 5}))  # settings are read once
    client = learner(app, "sweeper")
    three = {"params": {"learning_rate": [0.1, 0.3, 1]}}
    assert client.post("/api/sweeps", json=three).status_code == 201
    refused = client.post("/api/sweeps", json=three)  # 3 waiting + 3 more > 5
    assert refused.status_code == 429 and refused.get_json()["errors"][0]["field"] == "sweeps"
    assert "3 trials" in refused.get_json()["errors"][0]["message"] and refused.headers["Retry-After"]
    assert learner(app, "other").post("/api/sweeps", json=three).status_code == 201
    still_answers(client)


def test_lab_jobs_are_capped_per_client(world):
    app, _, lab = world
    client = learner(app, "labber")
    small = {"folds": 2, "configs": [{"epochs": 10}]}
    first = client.post("/api/lab/jobs", json=small)
    assert first.status_code == 201
    refused = client.post("/api/lab/jobs", json=small)
    assert refused.status_code == 429 and refused.get_json()["errors"][0]["field"] == "jobs"
    assert learner(app, "other").post("/api/lab/jobs", json=small).status_code == 201
    client.post(f"/api/lab/jobs/{first.get_json()['id']}/cancel")
    assert client.post("/api/lab/jobs", json=small).status_code == 201  # a cancelled job frees the place


def test_a_huge_lab_job_is_refused_up_front_with_its_estimate(world):
    app, _, lab = world
    client = learner(app, "greedy")
    huge = {"folds": 10, "configs": [{"hidden_layers": [256, 256, 256, 256], "batch_size": 1, "epochs": 600}] * 4}
    start = time.perf_counter()
    refused = client.post("/api/lab/jobs", json=huge)
    assert time.perf_counter() - start < 5
    assert refused.status_code == 400
    error = refused.get_json()["errors"][0]
    assert error["field"] == "configs.0" and "one fold" in error["message"] and "batch size" in error["message"]
    assert lab.jobs == {}
    # Narrow and wide cost differently at the same row-epochs: the estimate counts width and batch size.
    wide = {"folds": 10, "configs": [{"hidden_layers": [256, 256, 256, 256], "batch_size": 16, "epochs": 300}] * 3}
    assert client.post("/api/lab/jobs", json=wide).status_code == 400
    assert client.post("/api/lab/jobs", json={}).status_code == 201  # the article's three presets still run
    still_answers(client)


def test_a_lab_fold_stops_at_its_wall_time_budget():
    """The estimate keeps honest jobs far below it; a fold that overruns anyway stops at the epoch past it."""
    import numpy as np

    from app.lab.folds import run_fold
    from app.lab.model import KerasMLP

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 30)
    x = rng.normal(size=(60, 3)) + y[:, None]
    train, test = np.arange(0, 60, 2), np.arange(1, 60, 2)
    start = time.monotonic()
    result, _ = run_fold(x, y, train, test, KerasMLP(hidden_layers=(4,), epochs=1_000_000, batch_size=1,
                                                     max_seconds=1.0))
    assert time.monotonic() - start < 60  # a million epochs would take hours
    assert 1 <= result["epochs"] < 1_000_000 and 0 <= result["accuracy"] <= 1
    unbounded, _ = run_fold(x, y, train, test, KerasMLP(hidden_layers=(4,), epochs=3))
    assert "epochs" not in unbounded  # a fold that ran all its epochs says nothing more


# ---------------------------------------------------------------- streams


class HeldStream:
    """One open event stream in a thread of its own (as a server thread holds it) until `close`."""

    def __init__(self, client, path: str) -> None:
        self._opened, self._release, self._closed = threading.Event(), threading.Event(), threading.Event()
        self.response = None
        threading.Thread(target=self._hold, args=(client, path), daemon=True).start()
        assert self._opened.wait(10), "the stream request got no answer"
        self.status_code = self.response.status_code

    def _hold(self, client, path: str) -> None:
        self.response = client.get(path, buffered=False)
        self._opened.set()
        self._release.wait(30)
        self.response.close()
        self._closed.set()

    def json(self) -> dict:
        return json.loads(b"".join(self.response.response))

    def close(self) -> None:
        self._release.set()
        assert self._closed.wait(10)


@pytest.fixture
def streams():
    """Open streams of a test, closed at its end."""
    held: list[HeldStream] = []
    yield lambda client, path: held.append(HeldStream(client, path)) or held[-1]
    for stream in held:
        stream.close()


def test_streams_are_capped_per_client_per_run_and_keep_a_reserve(world, streams):
    app, _, _ = world
    owner = learner(app, "owner")
    run_a = owner.post("/api/runs?start=paused", json={}).get_json()["id"]
    run_b = owner.post("/api/runs?start=paused", json={}).get_json()["id"]
    held = [streams(owner, f"/api/runs/{run_a}/events") for _ in range(3)]
    assert [r.status_code for r in held] == [200] * 3
    fourth = streams(owner, f"/api/runs/{run_b}/events")  # KP_STREAMS_PER_CLIENT = 3
    assert fourth.status_code == 429 and int(fourth.response.headers["Retry-After"]) > 0
    assert "event streams open" in fourth.json()["errors"][0]["message"]
    viewer = streams(learner(app, "v1"), f"/api/runs/{run_a}/events")  # presenter mode: anyone may watch
    assert viewer.status_code == 200
    crowded = streams(learner(app, "v2"), f"/api/runs/{run_a}/events")  # KP_STREAMS_PER_RUN = 4
    assert crowded.status_code == 429 and crowded.json()["errors"][0]["field"] == "run"
    fifth = streams(learner(app, "v3"), f"/api/runs/{run_b}/events")
    sixth = streams(learner(app, "v5"), f"/api/runs/{run_b}/events")
    assert fifth.status_code == sixth.status_code == 200  # 8 threads - 2 reserved = 6 streams over the process
    full = streams(learner(app, "v4"), f"/api/runs/{run_b}/events")
    assert full.status_code == 429 and "as many as it allows" in full.json()["errors"][0]["message"]
    still_answers(owner)  # the reserve: plain requests and controls are served
    assert owner.post(f"/api/runs/{run_a}/pause").status_code == 200
    assert owner.get("/healthz").get_json()["streams"] == {"open": 6, "max": 6, "refused": 3}
    held[0].close()  # a tab closes: its place is free again
    assert owner.get("/healthz").get_json()["streams"]["open"] == 5
    assert streams(learner(app, "v4"), f"/api/runs/{run_b}/events").status_code == 200


def test_an_unknown_run_does_not_keep_a_stream_place(world):
    app, _, _ = world
    client = learner(app, "a")
    for _ in range(5):
        assert client.get("/api/runs/nope/events").status_code == 404
    assert client.get("/healthz").get_json()["streams"]["open"] == 0


@pytest.mark.parametrize("value,expected", [
    ("7", 7), ("0", 0), (None, None), ("", None), ("-1", None), ("+3", None), ("1_0", None), (" 7", None),
    ("1e3", None), ("3.0", None), ("0--1", None), ("9" * 17, None), ("٣", None), ("abc", None),
])
def test_last_event_id_is_an_id_we_sent_or_ignored(value, expected):
    assert parse_last_event_id(value) == expected


def test_a_bad_stream_setting_names_its_variable(tmp_path):
    with pytest.raises(ValueError, match="KP_STREAMS_PER_CLIENT"):
        create_app({"KP_DATABASE_URL": f"sqlite:///{tmp_path}/t.db", "KP_STREAMS_PER_CLIENT": "many"})
    with pytest.raises(ValueError, match="KP_STREAM_RESERVE"):
        create_app({"KP_DATABASE_URL": f"sqlite:///{tmp_path}/t.db", "KP_THREADS": 8, "KP_STREAM_RESERVE": 8})


# ---------------------------------------------------------------- a real server: slow clients


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """gunicorn with the shipped worker and small caps: 32 threads, 8 reserved, 8 streams per client."""
    server = LiveServer(tmp_path_factory.mktemp("hostile"), KP_WORKERS="1", KP_RUNS_PER_WORKER="4",
                        KP_MEASURED_SLOTS="false",
                        KP_QUEUE_SIZE="4", KP_THREADS="32", KP_STREAM_RESERVE="8", KP_STREAMS_PER_RUN="20",
                        KP_CONNECT_TIMEOUT="600", KP_DISCONNECT_GRACE="600", KP_RATE_LIMIT="100000 per minute",
                        KP_RUNS_PER_CLIENT="0", KP_REQUEST_READ_SECONDS="3")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def timed(url: str, **kwargs) -> tuple[int, float]:
    start = time.perf_counter()
    status = requests.get(url, timeout=10, **kwargs).status_code
    return status, time.perf_counter() - start


def hold_streams(url: str, cookies: list[str]) -> list:
    """Ask for one stream per cookie, all at once; the responses (open ones hold a thread each)."""
    out: list = []
    lock = threading.Lock()

    def one(cookie: str) -> None:
        r = requests.get(url, cookies={"kp_client": cookie}, stream=True, timeout=(5, 60))
        with lock:
            out.append(r)

    threads = [threading.Thread(target=one, args=(c,)) for c in cookies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(out) == len(cookies), "a stream request got no answer within 30 s"
    return out


def test_idle_connections_and_80_streams_from_one_client_leave_the_page_answering(guarded):
    owner = "slowclient-owner"
    run = requests.post(guarded.url + "/api/runs?start=paused", json={"epochs": 1000},
                        cookies={"kp_client": owner}, timeout=30).json()
    idle = [socket.create_connection(("127.0.0.1", guarded.port)) for _ in range(200)]
    held = hold_streams(f"{guarded.url}/api/runs/{run['id']}/events", [owner] * 80)
    try:
        statuses = sorted(r.status_code for r in held)
        assert statuses == [200] * 8 + [429] * 72  # KP_STREAMS_PER_CLIENT's default
        assert all(int(r.headers["Retry-After"]) > 0 for r in held if r.status_code == 429)
        for path in ("/", "/healthz", "/", "/healthz"):
            status, seconds = timed(guarded.url + path)
            assert status == 200 and seconds < 1.0, (path, seconds)
        stop = requests.post(f"{guarded.url}/api/runs/{run['id']}/stop", cookies={"kp_client": owner}, timeout=5)
        assert stop.status_code == 200
    finally:
        for r in held:
            r.close()
        for s in idle:
            s.close()


def open_streams(server) -> int:
    return requests.get(server.url + "/healthz", timeout=5).json()["streams"]["open"]


def test_streams_never_take_the_reserved_threads(guarded):
    wait_until(lambda: open_streams(guarded) == 0, 15, 0.2, "the previous test's streams to be counted out")
    runs = [requests.post(guarded.url + "/api/runs?start=paused", json={"epochs": 1000},
                          cookies={"kp_client": "reserve-owner"}, timeout=30).json()["id"] for _ in range(2)]
    cookies = [f"reserve-viewer-{i:03d}" for i in range(26)]
    held = hold_streams(f"{guarded.url}/api/runs/{runs[0]}/events", cookies[:13])
    held += hold_streams(f"{guarded.url}/api/runs/{runs[1]}/events", cookies[13:])
    try:
        statuses = [r.status_code for r in held]
        assert statuses.count(200) == 24 and statuses.count(429) == 2  # 32 threads - 8 reserved
        for path in ("/", "/healthz"):
            status, seconds = timed(guarded.url + path)
            assert status == 200 and seconds < 1.0, (path, seconds)
        assert open_streams(guarded) == 24
        control = requests.post(f"{guarded.url}/api/runs/{runs[0]}/stop", cookies={"kp_client": "reserve-owner"},
                                timeout=5)
        assert control.status_code == 200
    finally:
        for r in held:
            r.close()
    # Closed streams give their places back (the paused run's heartbeats find the sockets gone).
    wait_until(lambda: open_streams(guarded) == 0, 15, 0.2, "the closed streams to be counted out")
    requests.post(f"{guarded.url}/api/runs/{runs[1]}/stop", cookies={"kp_client": "reserve-owner"}, timeout=5)


def test_a_trickling_request_is_cut_off_and_frees_its_thread(guarded):
    trickle = socket.create_connection(("127.0.0.1", guarded.port))
    start = time.monotonic()
    trickle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    closed_after = None
    while closed_after is None and time.monotonic() - start < 20:
        readable, _, _ = select.select([trickle], [], [], 0.5)  # the hostile client's pace: a byte per 0.5 s
        try:
            if readable and not trickle.recv(1024):
                closed_after = time.monotonic() - start
            else:
                trickle.sendall(b"X")
        except OSError:
            closed_after = time.monotonic() - start
    trickle.close()
    assert closed_after is not None and closed_after < 10, closed_after  # KP_REQUEST_READ_SECONDS = 3
    status, seconds = timed(guarded.url + "/healthz")
    assert status == 200 and seconds < 1.0


def test_the_compose_redis_has_bounded_memory_that_keeps_celerys_queue():
    import yaml

    from tests.conftest import ROOT

    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["redis"]["command"]
    assert command[command.index("--maxmemory") + 1] == "${KP_REDIS_MAXMEMORY:-256mb}"
    # volatile-*: only keys with a TTL (our runs' state and events) may go; Celery's queue has none and stays.
    assert command[command.index("--maxmemory-policy") + 1] == "volatile-ttl"
