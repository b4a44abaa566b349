"""scripts/docker_env.py picks its docker client when it runs a command, not when it is imported.

On a fresh machine `make docker-test` imports the module before `ensure_tools` installs Debian's docker.io; the
client chosen must be the one present after the install (another `docker` on PATH may lack the buildx plugin).
"""

from __future__ import annotations

import importlib
import pathlib
import subprocess
import sys

import pytest


class Installed:
    """Whether /usr/bin/docker exists, as Path.exists sees it in this test (other paths are untouched)."""

    def __init__(self) -> None:
        self.value = False


@pytest.fixture
def docker_env(monkeypatch):
    """The module imported afresh while /usr/bin/docker is absent; `installed.value = True` installs it."""
    installed = Installed()
    real_exists = pathlib.Path.exists

    def exists(self, *args, **kwargs):
        return installed.value if str(self) == "/usr/bin/docker" else real_exists(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "exists", exists)
    sys.modules.pop("scripts.docker_env", None)
    module = importlib.import_module("scripts.docker_env")
    yield module, installed
    sys.modules.pop("scripts.docker_env", None)


def test_importing_without_usr_bin_docker_then_installing_uses_debians_client(docker_env, monkeypatch, tmp_path):
    module, debian = docker_env
    other = tmp_path / "bin" / "docker"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    monkeypatch.setenv("PATH", str(other.parent))
    assert module.docker_binary() == str(other)  # before the install: the only client there is
    debian.value = True  # what `apt-get install docker.io` does after the import
    assert module.docker_binary() == "/usr/bin/docker"


def test_every_docker_command_goes_to_the_client_chosen_at_call_time(docker_env, monkeypatch):
    module, debian = docker_env
    calls: list[tuple] = []
    monkeypatch.setattr(module, "run", lambda *args, **kw: calls.append(args) or subprocess.CompletedProcess(args, 0))
    debian.value = True
    module.docker("info")
    assert calls == [("/usr/bin/docker", "info")]


def test_the_redis_stand_in_builds_without_buildkit(docker_env, monkeypatch):
    module, _ = docker_env
    seen: dict = {}

    def fake_run(*args, **kwargs):
        if args[1:2] == ("build",):
            seen.update(args=args, env=kwargs.get("env", {}))
            return subprocess.CompletedProcess(args, 0)
        return subprocess.CompletedProcess(args, 1)  # no such image, nothing pulled

    monkeypatch.setattr(module, "run", fake_run)
    module.ensure_redis_image("redis:7-alpine", module.Created())
    assert seen["env"]["DOCKER_BUILDKIT"] == "0"  # the classic builder: no buildx plugin needed
