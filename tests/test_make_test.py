"""`make test`'s own recipe, run by make with stand-ins for ruff, pytest, the container checks and the drills.

The order is the suite's budget (docs/testing.md): container checks beside pytest, drills after both and alone;
and a failure anywhere still fails `make test`.
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


def test_ci_runs_the_container_checks_beside_pytest_then_the_drills_alone(make):
    code, calls = make(CI="true")
    assert code == 0
    assert calls[0] == "ruff" and calls[-1] == "faults"
    assert calls.index("docker-start") < calls.index("pytest-end")  # started beside pytest, not after it
    assert calls.index("docker-end") < calls.index("faults")
    assert "pytest -m pytest -n 2 --dist loadfile --durations=25" in calls


def test_a_laptop_runs_no_container_checks(make):
    code, calls = make()
    assert code == 0 and "docker-start" not in calls and calls[-1] == "faults"


@pytest.mark.parametrize(("env", "runs_faults"), [({"PYTEST_RC": "1"}, False), ({"DOCKER_RC": "2"}, True),
                                                  ({"FAULTS_RC": "1"}, True)], ids=["pytest", "docker", "drills"])
def test_any_failure_fails_make_test_and_the_container_checks_are_awaited(make, env, runs_faults):
    code, calls = make(CI="true", **env)
    assert code != 0
    assert "docker-end" in calls  # never left running
    assert ("faults" in calls) is runs_faults
