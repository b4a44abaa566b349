"""docker-compose.yml parses and keeps its contract: web on the Celery runner, a Celery worker per core, Redis.

`make docker-test` runs the stack for real; these checks are the fast part every `make test` runs.
"""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_services_are_web_worker_and_redis():
    assert {n for n, s in SERVICES.items() if not s.get("profiles")} == {"web", "worker", "redis"}
    for name in ("web", "worker"):
        assert SERVICES[name]["build"] == "." and SERVICES[name]["image"] == SERVICES["web"]["image"]
        assert SERVICES[name]["depends_on"]["redis"]["condition"] == "service_healthy"
        env = SERVICES[name]["environment"]
        assert env["KP_RUNNER"] == "celery" and "redis://redis:6379/" in env["KP_REDIS_URL"]


def test_web_runs_the_image_command_published_on_loopback_by_default():
    web = SERVICES["web"]
    assert "command" not in web  # the image's CMD: the README's run command
    assert web["ports"] == ["${KP_BIND:-127.0.0.1}:${KP_PORT:-8000}:8000"]
    assert any(v.endswith(":/app/instance") for v in web["volumes"])


def test_worker_is_celery_one_process_per_core_recycled():
    command = " ".join(SERVICES["worker"]["command"])
    assert re.search(r"exec celery -A app\.runner\.celery_app worker --pool=prefork", command)
    assert "--concurrency=$${KP_CONCURRENCY:-$$(nproc)}" in command
    assert "--max-tasks-per-child=$${KP_WORKER_MAX_RUNS:-1000}" in command
    # The image's HEALTHCHECK probes the web port; a worker has its own.
    assert "inspect ping" in SERVICES["worker"]["healthcheck"]["test"][1]


def test_redis_is_the_official_image_and_not_published():
    redis = SERVICES["redis"]
    assert re.fullmatch(r"\$\{KP_REDIS_IMAGE:-redis:[\w.-]+\}", redis["image"])
    assert "ports" not in redis
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_readme_documents_the_stack_the_docker_test_runs():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Run it for a class"):]
    for step in ("docker-compose up -d", "docker-compose down -v", "proxy_buffering off", "X-Accel-Buffering",
                 "make docker-test"):
        assert step in section
    script = (ROOT / "scripts" / "docker_test.py").read_text()
    assert '"up", "-d"' in script and '"down", "-v"' in script and '"kill"' in script


def test_postgresql_is_an_opt_in_profile_and_not_published():
    postgres = SERVICES["postgres"]
    assert postgres["profiles"] == ["postgres"] and "ports" not in postgres
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    requirements = (ROOT / "requirements.txt").read_text()
    assert "psycopg==" in requirements  # the driver a postgresql+psycopg:// URL needs, in the image
