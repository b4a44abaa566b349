"""Schemathesis, a client nobody here wrote, fuzzes the live server from /api/openapi.json.

It must find 0 server errors and 0 responses that do not match the document (status codes, content types, headers,
bodies), including along the document's links (create -> status -> control -> export). Bounded: a few examples per
operation and a time budget, on a small pool whose unwatched runs stop after a few seconds.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import LiveServer

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """A server of its own: runs, sweeps and lab jobs started by the fuzzer stay small and end soon."""
    server = LiveServer(tmp_path_factory.mktemp("fuzz"), KP_WORKERS="1", KP_RUNS_PER_WORKER="2", KP_QUEUE_SIZE="1",
                        KP_RUN_MAX_SECONDS="10", KP_CONNECT_TIMEOUT="3", KP_LAB_WORKERS="1", KP_LAB_MAX_JOBS="1",
                        KP_RUNS_PER_CLIENT="0", KP_RATE_LIMIT="100000 per minute", KP_SWEEPS_PER_CLIENT="1")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def schemathesis(url: str, report: Path, *options: str) -> subprocess.CompletedProcess:
    """One `schemathesis run` of the live server's document (seeded; KP_FUZZ_SEED to vary it)."""
    command = [str(Path(sys.executable).with_name("schemathesis")), "run", f"{url}/api/openapi.json",
               "--checks", CHECKS, "--max-examples", os.environ.get("KP_FUZZ_EXAMPLES", "5"),
               "--seed", os.environ.get("KP_FUZZ_SEED", "23"), "--workers", "1", "--request-timeout", "90",
               "--report", "junit", "--report-dir", str(report), "--suppress-health-check", "all", "--no-color",
               *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=report.parent)


def failures(result: subprocess.CompletedProcess) -> str:
    return result.stdout[-12_000:] + result.stderr[-2_000:]


@pytest.mark.timeout(600)
def test_schemathesis_finds_no_server_error_and_no_response_off_the_schema(fuzzed, tmp_path):
    # The links first (create -> status -> control -> export; saved, sweeps, lab jobs, uploads): about 15 s.
    linked = schemathesis(fuzzed.url, tmp_path / "stateful", "--phases", "stateful")
    assert linked.returncode == 0, failures(linked)
    assert "Stateful" in linked.stdout and " passed" in linked.stdout, failures(linked)
    # Then every operation alone: schema edges (coverage) and random data (fuzzing), in a 90 s budget.
    single = schemathesis(fuzzed.url, tmp_path / "single", "--phases", "coverage,fuzzing", "--max-time", "90")
    assert single.returncode == 0, failures(single)
    selected = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", single.stdout)
    assert selected and selected[1] == selected[2] == selected[3], failures(single)  # every operation exercised
    paths = requests.get(f"{fuzzed.url}/api/openapi.json", timeout=30).json()["paths"]
    assert int(selected[3]) >= len(paths) > 25
    log = Path(fuzzed.log.name).read_text()
    assert "unexpected error" not in log, log[-6_000:]
