"""`make test`'s own recipe, run by make with stand-ins for ruff, pytest, the container checks and the drills.

The order (docs/testing.md): pytest, then the drills alone, then the container checks, never beside the browser
tests (Docker's new network interfaces make Chromium fail requests in flight); a failure anywhere fails `make test`.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

STAND_INS = """
docker-test:
\t@echo docker-start >> calls; sleep 1; echo docker-end >> calls; exit $${DOCKER_RC:-0}
faults:
\t@echo faults >> calls; exit $${FAULTS_RC:-0}
"""


def recipe() -> str:
    """The Makefile's `test` target with its install prerequisites dropped, and its tools replaced by stand-ins."""
    makefile = (ROOT / "Makefile").read_text()
    target = re.search(r"^PYTEST_WORKERS \?=.*?\ntest:.*?(?=\n\n)", makefile, re.S | re.M).group(0)
    return re.sub(r"^test:.*$", "test:", target, flags=re.M)


@pytest.fixture
def make(tmp_path):
    """Run the recipe in `tmp_path` with environment overrides; (exit code, the stand-ins' calls in order)."""
    assert shutil.which("make"), "make is missing"
    (tmp_path / "bin").mkdir()
    pytest = 'echo "pytest $*" >> calls; sleep 0.5; echo pytest-end >> calls; exit ${PYTEST_RC:-0}'
    for tool, line in (("ruff", "echo ruff >> calls"), ("python", pytest)):
        script = tmp_path / "bin" / tool
        script.write_text(f"#!/bin/sh\n{line}\n")
        script.chmod(0o755)
    (tmp_path / "Makefile").write_text(f"VENV = .\nPY = bin/python\n{recipe()}\n{STAND_INS}")

    def run(**env: str) -> tuple[int, list[str]]:
        (tmp_path / "calls").write_text("")
        done = subprocess.run(["make", "-s", "test"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                              env={"PATH": "/usr/bin:/bin", "CI": "", **env})
        return done.returncode, (tmp_path / "calls").read_text().split("\n")[:-1]

    return run


def test_ci_runs_pytest_then_the_drills_then_the_container_checks(make):
    code, calls = make(CI="true")
    assert code == 0
    assert calls[0] == "ruff" and calls[-1] == "docker-end"
    assert calls.index("pytest-end") < calls.index("faults") < calls.index("docker-start")  # one after the other
    assert "pytest -m pytest -n 2 --dist loadfile --durations=25" in calls


def test_a_laptop_runs_no_container_checks(make):
    code, calls = make()
    assert code == 0 and "docker-start" not in calls and calls[-1] == "faults"


@pytest.mark.parametrize(("env", "last"), [({"PYTEST_RC": "1"}, "pytest-end"), ({"FAULTS_RC": "1"}, "faults"),
                                           ({"DOCKER_RC": "2"}, "docker-end")], ids=["pytest", "drills", "docker"])
def test_any_failure_fails_make_test_and_stops_there(make, env, last):
    code, calls = make(CI="true", **env)
    assert code != 0
    assert calls[-1] == last
