"""The Dockerfile is hadolint-clean, runs as non-root, and its command is the README's run command."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_hadolint_is_clean():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_runs_as_non_root_with_healthcheck():
    user = re.search(r"^USER (\d+):(\d+)$", DOCKERFILE, re.M)
    assert user and int(user.group(1)) != 0 and "--uid 10001" in DOCKERFILE
    assert "HEALTHCHECK" in DOCKERFILE and "/healthz" in DOCKERFILE


def test_image_command_is_the_make_run_command():
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.M).group(1))
    makefile = (ROOT / "Makefile").read_text()
    run_line = re.search(r"^run:.*\n\t(.+)$", makefile, re.M).group(1)
    assert run_line.replace("$(VENV)/bin/", "").split() == cmd


def test_dockerignore_keeps_the_image_lean():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "tests", "bench"):
        assert entry in ignored
