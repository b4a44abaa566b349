"""Every KP_* variable is one typed field of app/settings.py, read once, overridable by tests, documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import settings
from app.runner.base import RunnerSettings
from app.settings import Settings, env_name, load

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented_in_operations():
    doc = (ROOT / "docs" / "operations.md").read_text()
    documented = set(re.findall(r"`(KP_[A-Z_]+)`", doc))
    missing = [env_name(name) for name in Settings.model_fields if env_name(name) not in documented]
    assert not missing, f"document these in docs/operations.md: {missing}"


def test_no_module_reads_a_kp_variable_from_the_environment_itself():
    offenders = []
    for path in (ROOT / "app").rglob("*.py"):
        if path.name == "settings.py":
            continue
        if re.search(r"environ(\.get)?\(?\[?[\"']KP_", path.read_text()):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


def test_the_environment_is_read_once(monkeypatch):
    monkeypatch.setenv("KP_QUEUE_SIZE", "3")
    first = settings.current()
    monkeypatch.setenv("KP_QUEUE_SIZE", "9")
    assert settings.current() is first and first.queue_size == 3


def test_app_config_overrides_the_environment(monkeypatch):
    from app import create_app

    monkeypatch.setenv("KP_QUEUE_SIZE", "3")
    app = create_app({"KP_QUEUE_SIZE": 5, "KP_DATABASE_URL": "sqlite://"})
    assert app.extensions["kp_settings"].queue_size == 5
    assert RunnerSettings.from_settings(app.extensions["kp_settings"]).queue_size == 5


@pytest.mark.parametrize(("key", "value"), [("KP_WORKERS", "0"), ("KP_QUEUE_SIZE", "many"), ("KP_RUNNER", "k8s")])
def test_a_bad_value_names_its_variable(key, value):
    with pytest.raises(ValueError, match=key):
        load({key: value})


def test_empty_keeps_the_default_but_an_empty_access_log_means_none(monkeypatch):
    monkeypatch.setenv("KP_WORKERS", "")
    monkeypatch.setenv("KP_ACCESS_LOG", "")
    s = load()
    assert s.workers >= 1 and s.access_log == ""
