"""The task pool (app/runner/tasks.py) and the .keras export on it: bounded, warm, recycled, every wait answered.

The pool's own tests run plain functions (tests/task_helpers.py) in processes that skip the
TensorFlow warm-up, to stay quick; the export tests use the real warm-up and real Keras.
"""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import psutil
import pytest

from app import create_app, shutdown
from app.runner import tasks
from app.runner.tasks import TaskBusy, TaskFailed, TaskPool, TaskSettings, TaskTimeout
from app.share import keras_file
from tests import task_helpers as helpers
from tests.conftest import ROOT, wait_until
from tests.test_saved import CONFIG, GRID, FinishedRunner, predictions


@pytest.fixture
def make_pool():
    """Pools built by a test, stopped after it; warm=None skips importing TensorFlow in the children."""
    pools: list[TaskPool] = []

    def make(warm=None, **settings) -> TaskPool:
        pools.append(TaskPool(TaskSettings(**settings), warm=warm))
        return pools[-1]

    yield make
    for pool in pools:
        pool.shutdown()


def alive(pid: int) -> bool:
    return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE


def test_tasks_run_in_a_separate_process_with_one_tensorflow_thread(make_pool):
    pool = make_pool()
    pid, intra, inter = pool.run(helpers.pid_and_threads, timeout=10, wait=60)
    assert pid != psutil.Process().pid and pid in pool.pids()
    assert (intra, inter) == ("1", "1")


def test_a_process_is_replaced_after_its_quota_of_tasks(make_pool):
    pool = make_pool(max_tasks=2)
    pids = [pool.run(helpers.pid_and_threads, timeout=10, wait=60)[0] for _ in range(3)]
    assert pids[0] == pids[1] != pids[2]
    wait_until(lambda: not alive(pids[0]), 10, 0.05, "the worn process to exit")


def test_a_task_past_its_limit_is_stopped_and_the_pool_goes_on(make_pool, tmp_path):
    pool = make_pool()
    stuck_pid = pool.run(helpers.pid_and_threads, timeout=10, wait=60)[0]
    start = time.monotonic()
    with pytest.raises(TaskTimeout, match="limit of 0.5 s"):
        pool.run(helpers.gate, str(tmp_path / "never"), timeout=0.5, wait=60)
    assert time.monotonic() - start < 5
    wait_until(lambda: not alive(stuck_pid), 10, 0.05, "the stuck process to be stopped")
    assert pool.run(helpers.pid_and_threads, timeout=10, wait=60)[0] != stuck_pid


@pytest.mark.parametrize("fn,args,message", [(helpers.crash, (), "process stopped"),
                                             (int, ("x",), "ValueError: invalid literal")])
def test_a_failed_task_is_reported_and_the_next_one_runs(make_pool, fn, args, message):
    pool = make_pool()
    with pytest.raises(TaskFailed, match=message):
        pool.run(fn, *args, timeout=10, wait=60)
    assert pool.run(helpers.pid_and_threads, timeout=10, wait=60)[0] in pool.pids()


def test_a_full_queue_refuses_at_once_and_a_given_up_wait_frees_its_place(make_pool, tmp_path):
    pool = make_pool(max_queue=1)
    door = tmp_path / "door"
    blocker = pool.submit(helpers.gate, str(door), timeout=60)
    wait_until(blocker.running, 60, 0.05, "the blocker to hold the only process")
    waiting = pool.submit(helpers.gate, str(door), "second", timeout=60)
    with pytest.raises(TaskBusy) as refused:
        pool.submit(helpers.pid_and_threads, timeout=10)
    assert refused.value.retry_after == pool.settings.retry_after
    waiting.cancel()
    with pytest.raises(TaskBusy, match="within 0.2 s"):
        pool.run(helpers.pid_and_threads, timeout=10, wait=0.2)  # took the freed place, then gave it back
    again = pool.submit(helpers.gate, str(door), "third", timeout=60)
    door.touch()
    assert blocker.result(30) == "released" and again.result(30) == "third"


def test_exports_go_before_lab_folds(make_pool, tmp_path):
    pool = make_pool()
    door = tmp_path / "door"
    blocker = pool.submit(helpers.gate, str(door), timeout=60)
    wait_until(blocker.running, 60, 0.05, "the blocker to hold the only process")
    order: list[str] = []
    for name, priority in (("fold", 1), ("fold", 1), ("export", 0)):
        pool.submit(helpers.gate, str(door), name, timeout=60, priority=priority).add_done_callback(
            lambda f: order.append(f.result()))
    door.touch()
    wait_until(lambda: len(order) == 3, 30, 0.05, "the three tasks")
    assert order == ["export", "fold", "fold"]


def test_shutdown_answers_waiting_tasks_and_stops_the_processes(make_pool, tmp_path):
    pool = make_pool()
    blocker = pool.submit(helpers.gate, str(tmp_path / "never"), timeout=60)
    wait_until(blocker.running, 60, 0.05, "the blocker to start")
    waiting = pool.submit(helpers.pid_and_threads, timeout=10)
    pids = pool.pids()
    pool.shutdown()
    for future in (blocker, waiting):
        with pytest.raises(TaskBusy, match="restarting"):
            future.result(10)
    assert pids and not any(alive(p) for p in pids)
    with pytest.raises(TaskBusy):
        pool.submit(helpers.pid_and_threads, timeout=10)


@pytest.mark.parametrize("env,expected", [
    ({}, TaskSettings(workers=1, max_queue=16, max_tasks=50)),
    ({"KP_TASK_WORKERS": "3", "KP_TASK_QUEUE": "0", "KP_TASK_RECYCLE": "5"}, TaskSettings(3, 0, 5)),
    ({"KP_LAB_WORKERS": "2"}, TaskSettings(workers=2)),  # the former name still works
    ({"KP_LAB_WORKERS": "2", "KP_TASK_WORKERS": "4"}, TaskSettings(workers=4)),
])
def test_settings_come_from_the_environment(env, expected):
    assert TaskSettings.from_env(env) == expected


@pytest.mark.parametrize("env,name", [({"KP_TASK_WORKERS": "0"}, "KP_TASK_WORKERS"),
                                      ({"KP_TASK_QUEUE": "many"}, "KP_TASK_QUEUE"),
                                      ({"KP_TASK_RECYCLE": "-1"}, "KP_TASK_RECYCLE")])
def test_bad_settings_are_refused_naming_the_variable(env, name):
    with pytest.raises(ValueError, match=name):
        TaskSettings.from_env(env)


# ---------------------------------------------------------------- the .keras export on the pool


@pytest.fixture(scope="module")
def weights() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    from app.engine.model import build_model

    return [rng.normal(0, 1, w.shape).astype("float32") for w in build_model(CONFIG).get_weights()]


@pytest.fixture
def export_client(tmp_path, weights):
    """A client whose finished run "done" has `weights`, and a way to give the export its own pool."""
    app = create_app({"TESTING": True, "KP_DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
                      "KP_RUNNER": FinishedRunner(weights)})
    pools: list[TaskPool] = []

    def install(**settings) -> TaskPool:
        pools.append(TaskPool(TaskSettings(**settings)))
        previous = tasks.use(pools[-1])
        if previous is not None and previous not in pools:
            previous.shutdown()
        return pools[-1]

    yield app.test_client(), install
    shutdown(app)  # stops the installed pool too
    for pool in pools:
        pool.shutdown()


def task_children() -> list[int]:
    """Our child processes that could hold TensorFlow (multiprocessing's resource tracker does not)."""
    pids = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(child.cmdline()):
                pids.append(child.pid)
        except psutil.NoSuchProcess:
            pass  # ended while we looked
    return pids


def assert_predicts_like(data: bytes, weights: list[np.ndarray], tmp_path) -> None:
    import keras

    path = tmp_path / "model.keras"
    path.write_bytes(data)
    model = keras.saving.load_model(path)  # our own export, made just now
    assert np.allclose(np.asarray(model(GRID, training=False)), predictions(CONFIG, weights), atol=1e-6)


def test_twenty_concurrent_downloads_are_200_or_503_and_bounded(export_client, weights, tmp_path):
    client, install = export_client
    pool = install(workers=2, max_queue=3)
    url = "/api/runs/done/export/model.keras"
    first = client.get(url)  # warms the pool: the burst below measures the bound, not TensorFlow's import
    assert first.status_code == 200
    assert_predicts_like(first.data, weights, tmp_path)

    others = set(task_children()) - set(pool.pids())  # e.g. a live server other tests left running
    responses: list = [None] * 20
    start = threading.Barrier(21)
    done = threading.Event()
    most = [0]

    def watch() -> None:
        while not done.is_set():
            most[0] = max(most[0], len(set(task_children()) - others))
            done.wait(0.01)

    def download(i: int) -> None:
        start.wait()
        responses[i] = client.get(url)

    threads = [threading.Thread(target=download, args=(i,)) for i in range(20)]
    watcher = threading.Thread(target=watch)
    for thread in [*threads, watcher]:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join(120)
    done.set()
    watcher.join(10)

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 503}, statuses
    # 3 waiting + 1 building at least (the second process may still be warming up), and the rest refused.
    assert statuses.count(200) >= 4 and statuses.count(503) >= 1, statuses
    for r in responses:
        if r.status_code == 503:
            error = r.get_json()["errors"][0]
            assert int(r.headers["Retry-After"]) > 0 and error["field"] == "export" and "busy" in error["message"]
        else:
            assert zipfile.is_zipfile(io.BytesIO(r.data))
    assert 1 <= most[0] <= 2, f"{most[0]} task processes alive at once"
    assert len(pool.pids()) == 2


def test_an_export_past_its_time_limit_is_a_504_and_the_next_one_works(export_client, weights, monkeypatch,
                                                                        tmp_path):
    client, install = export_client
    install(workers=1)
    monkeypatch.setattr(keras_file, "EXPORT_SECONDS", 0.01)  # no build finishes this fast
    slow = client.get("/api/runs/done/export/model.keras")
    assert slow.status_code == 504
    error = slow.get_json()["errors"][0]
    assert error["field"] == "export" and "longer than 0.01 s" in error["message"]
    monkeypatch.setattr(keras_file, "EXPORT_SECONDS", 60.0)
    again = client.get("/api/runs/done/export/model.keras")
    assert again.status_code == 200
    assert_predicts_like(again.data, weights, tmp_path)


def test_an_export_with_every_builder_busy_is_a_503_with_retry_after(export_client, tmp_path, monkeypatch):
    client, install = export_client
    pool = install(workers=1, max_queue=1)
    door = tmp_path / "door"
    blocker = pool.submit(helpers.gate, str(door), timeout=60)
    wait_until(blocker.running, 120, 0.1, "the blocker to hold the only process")
    filler = pool.submit(helpers.gate, str(door), timeout=60)  # the one place in the queue
    start = time.monotonic()
    busy = client.get("/api/runs/done/export/model.keras")
    # At least the pool's hint: Flask-Limiter raises any Retry-After to its own window's reset.
    assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= pool.settings.retry_after
    assert busy.get_json()["errors"][0]["field"] == "export" and time.monotonic() - start < 2  # at once

    filler.cancel()  # a place again, but the builder stays busy past the download's patience
    monkeypatch.setattr(keras_file, "EXPORT_WAIT", 0.3)
    waited = client.get("/api/runs/done/export/model.keras")
    assert waited.status_code == 503 and waited.headers["Retry-After"]
    door.touch()
    assert blocker.result(30) == "released"


def test_the_export_keeps_tensorflow_out_of_the_calling_process():
    code = (
        "import sys, numpy as np\n"
        "from app.config.parse import parse_config\n"
        "from app.share.keras_file import build_keras_file\n"
        "from app.share.spec import encode_weights, weight_shapes\n"
        "from app.runner import tasks\n"
        "config = parse_config({'hidden_layers': [3]})\n"
        "weights = encode_weights([np.zeros(s, 'float32') for _, s in weight_shapes(config)])\n"
        "data = build_keras_file(config, weights)\n"
        "tasks.shutdown_shared()\n"
        "assert data[:2] == b'PK', data[:20]\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
