"""The store (saved runs, sweeps, the Alembic migrations up and down) on SQLite and on a real PostgreSQL.

SQLite does not enforce String(n) lengths nor refuse NUL characters; PostgreSQL does. Each test runs on both, so a
value PostgreSQL would refuse fails here rather than in a classroom. PostgreSQL is started by the test session
(tests/pg_server.py) from Debian's `postgresql`, which `make system-deps` installs.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, inspect

from app import create_app
from app.share.store import MIGRATIONS, Forbidden, SavedStore, upgrade
from tests.pg_server import PostgresServer

CONFIG = {"dataset": "xor", "hidden_layers": [4, 2]}
HISTORY = {"epoch": [1, 2], "train_loss": [0.5, 0.4]}


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server for the session, in a directory its (non-root) owner can reach."""
    root = Path(tempfile.mkdtemp(prefix="kp-postgres-"))
    server = PostgresServer(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return request.getfixturevalue("postgres").create_database("kp_" + uuid.uuid4().hex[:12])


def alembic(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


CLASS_TABLES = {"classes", "class_members", "class_results"}  # migration 0004


def test_migrations_go_up_down_and_up_again(database_url):
    upgrade(database_url)
    assert tables(database_url) == {"saved_runs", "sweeps", *CLASS_TABLES}
    command.downgrade(alembic(database_url), "0002")
    assert tables(database_url) == {"saved_runs", "sweeps"}
    command.downgrade(alembic(database_url), "0001")
    assert tables(database_url) == {"saved_runs"}
    command.downgrade(alembic(database_url), "base")
    assert tables(database_url) == set()
    upgrade(database_url)
    upgrade(database_url)  # idempotent
    assert tables(database_url) == {"saved_runs", "sweeps", *CLASS_TABLES}


def test_save_open_list_rename_delete(database_url):
    store = SavedStore(database_url)
    record, token = store.save("xor, two layers", CONFIG, {"test_loss": 0.1}, HISTORY, [[[0.5]]])
    assert len(record["id"]) <= 16 and record["created_at"].endswith("+00:00")
    full = store.get(record["id"])
    assert full["history"] == HISTORY and full["weights"] == [[[0.5]]] and full["config"] == CONFIG
    items, total = store.list()
    assert total == 1 and items[0]["id"] == record["id"] and "weights" not in items[0]
    with pytest.raises(Forbidden):
        store.rename(record["id"], "wrong token", "new name")
    assert store.rename(record["id"], token, "new name")["name"] == "new name"
    assert store.delete(record["id"], token) and store.get(record["id"]) is None


def test_the_longest_and_widest_values_the_api_accepts_are_stored(database_url):
    store = SavedStore(database_url)
    name = "網路" * 100  # 200 characters (the API's limit), 600 bytes in UTF-8
    record, token = store.save(name, CONFIG, {"note": "\u0000 in JSON is escaped"}, HISTORY, [])
    assert store.get(record["id"])["name"] == name
    assert store.rename(record["id"], token, "x" * 200)["name"] == "x" * 200


def test_a_fork_of_an_unknown_or_overlong_id_is_stored_without_its_link(database_url):
    store = SavedStore(database_url)
    parent, _ = store.save("parent", CONFIG, {}, HISTORY, [])
    child, _ = store.save("child", CONFIG, {}, HISTORY, [], forked_from=parent["id"])
    assert child["forked_from"] == parent["id"]
    for bad in ("y" * 300, "no-such-run", "nul\u0000"):  # PostgreSQL refused the 300 characters in String(16)
        orphan, _ = store.save("orphan", CONFIG, {}, HISTORY, [], forked_from=bad)
        assert orphan["forked_from"] is None


@pytest.mark.parametrize("run_id", ["z" * 300, "nul\u0000id", "", "%", "../x"])
def test_ids_that_cannot_exist_are_simply_not_found(database_url, run_id):
    store = SavedStore(database_url)
    assert store.get(run_id) is None and store.get_sweep(run_id) is None
    assert store.rename(run_id, "token", "name") is None and store.delete(run_id, "token") is False


def test_a_name_with_a_nul_character_is_stored_without_it(database_url):
    store = SavedStore(database_url)  # PostgreSQL's text cannot hold NUL; SQLite kept it
    record, token = store.save("a\u0000b", CONFIG, {}, HISTORY, [])
    assert store.get(record["id"])["name"] == "ab"
    assert store.rename(record["id"], token, "c\u0000d")["name"] == "cd"


def test_a_sweep_is_stored_then_replaced(database_url):
    store = SavedStore(database_url)
    store.save_sweep("abcdefghijkl", "cancelled", {"rows": [1], "state": "cancelled"})
    store.save_sweep("abcdefghijkl", "done", {"rows": [1, 2], "state": "done"})
    assert store.get_sweep("abcdefghijkl") == {"rows": [1, 2], "state": "done"}


def test_the_api_reads_and_refuses_on_either_database(database_url):
    client = create_app({"TESTING": True, "KP_DATABASE_URL": database_url}).test_client()
    assert client.get("/api/saved").get_json() == {"items": [], "total": 0}
    for path in ("/api/saved/" + "q" * 300, "/api/saved/nul%00", "/api/sweeps/nul%00", "/api/sweeps/" + "s" * 300):
        response = client.get(path)
        assert response.status_code == 404, (path, response.get_json())
    response = client.patch("/api/saved/nul%00", json={"name": "n"}, headers={"X-Edit-Token": "t"})
    assert response.status_code == 404


class FinishedRun:
    """A runner whose every run has finished, with weights (no training needed to test the store)."""

    def status(self, run_id):
        return {"id": run_id, "state": "done", "config": CONFIG}

    def result(self, run_id):
        return {"epochs": 3, "reason": "finished", "test_loss": 0.1, "weights": [[[0.5]]]}


def test_save_rename_delete_through_the_api_on_either_database(database_url):
    client = create_app({"TESTING": True, "KP_DATABASE_URL": database_url, "KP_RUNNER": FinishedRun()}).test_client()
    body = {"name": "網" * 200, "run_id": "r1", "forked_from": "f" * 16, "history": HISTORY}  # no such run
    saved = client.post("/api/saved", json=body)
    assert saved.status_code == 201, saved.get_json()
    record = saved.get_json()
    assert record["forked_from"] is None and record["name"] == "網" * 200
    history = client.get(f"/api/saved/{record['id']}").get_json()["history"]
    assert {k: history[k] for k in HISTORY} == HISTORY
    renamed = client.patch(f"/api/saved/{record['id']}", json={"name": "b\u0000c"},
                           headers={"X-Edit-Token": record["edit_token"]})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "bc"
    assert client.delete(f"/api/saved/{record['id']}", headers={"X-Edit-Token": "wrong"}).status_code == 403
    owner = {"X-Edit-Token": record["edit_token"]}
    assert client.delete(f"/api/saved/{record['id']}", headers=owner).status_code == 204
