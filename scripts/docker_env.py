"""A Docker to test with: the tools, a daemon, base images made locally when Docker Hub cannot be reached.

Everything made here is recorded in a `Created` so the test removes it whatever the outcome; only the debootstrap
root file system is kept, as a tarball in a cache directory outside the repository, so a second run skips it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DEBIAN_DOCKER = Path("/usr/bin/docker")  # Debian's client, from docker.io: BuildKit built in, no buildx plugin
COMPOSE = "docker-compose"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CACHE = Path(os.environ.get("KP_DOCKER_CACHE", Path.home() / ".cache" / "keras-playground-docker"))
DEBIAN_BASE = "debian:bookworm-slim"


def log(message: str) -> None:
    print(f"[docker-test {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(*args: str, check: bool = True, timeout: float | None = None, **kwargs) -> subprocess.CompletedProcess:
    """A command whose output is returned (text); a failing one raises with its output when `check`."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def docker_binary() -> str:
    """The client to use, chosen at each call (so after `ensure_tools` installed docker.io, never at import).

    Debian's client when present; another `docker` on PATH (e.g. Docker 23+ without its buildx plugin) only if not.
    """
    return str(DEBIAN_DOCKER) if DEBIAN_DOCKER.exists() else (shutil.which("docker") or "docker")


def docker(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return run(docker_binary(), *args, **kwargs)


@dataclass
class Created:
    """What this test made, removed in reverse by `cleanup()`."""

    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    compose: list[tuple[list[str], dict]] = field(default_factory=list)  # (command, environment)
    daemon: subprocess.Popen | None = None

    def cleanup(self) -> None:
        for command, env in self.compose:
            quietly(*command, "down", "-v", "--remove-orphans", env=env)
        for name in self.containers:
            quietly(docker_binary(), "rm", "-f", "-v", name)
        for image in reversed(self.images):
            quietly(docker_binary(), "rmi", "-f", image)
        if self.daemon is None or self.daemon.poll() is None:
            quietly(docker_binary(), "builder", "prune", "-a", "-f")
            quietly(docker_binary(), "image", "prune", "-f")
        if self.daemon is not None and self.daemon.poll() is None:
            log("stopping the Docker daemon this test started")
            self.daemon.terminate()
            try:
                self.daemon.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.daemon.kill()


def quietly(*args: str, timeout: float = 1800, **kwargs) -> None:
    """A clean-up step: its failure is logged, never raised, so the next step still runs."""
    try:
        result = run(*args, check=False, timeout=timeout, **kwargs)
        if result.returncode != 0:
            log(f"clean-up: {' '.join(args[:4])} failed: {result.stderr.strip()[:300]}")
    except subprocess.TimeoutExpired:
        log(f"clean-up: {' '.join(args[:4])} timed out after {timeout} s")


def ensure_tools() -> None:
    """Debian's docker.io, debootstrap and docker-compose, installed when one is missing (root, as in CI)."""
    missing = [pkg for pkg, exe in (("docker.io", "dockerd"), ("debootstrap", "debootstrap"),
                                    ("docker-compose", COMPOSE)) if not shutil.which(exe)]
    if not DEBIAN_DOCKER.exists() and "docker.io" not in missing:
        missing.append("docker.io")
    if missing:
        log(f"installing {' '.join(missing)}")
        run("apt-get", "update", "-qq", timeout=600)
        run("apt-get", "install", "-y", "-qq", *missing, timeout=1200,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def daemon_answers() -> bool:
    return docker("info", check=False, timeout=30).returncode == 0


def ensure_daemon(created: Created, timeout: float = 120) -> None:
    """Use the daemon that answers, or start one.

    dockerd picks its storage driver: overlay2 where the kernel allows overlay mounts, vfs otherwise. vfs works
    everywhere but copies every layer for every container (removing one 1.9 GB container took 9 minutes here), so it
    is only forced with KP_DOCKERD_ARGS=--storage-driver=vfs.
    """
    if daemon_answers():
        return
    args = os.environ.get("KP_DOCKERD_ARGS", "").split()
    CACHE.mkdir(parents=True, exist_ok=True)
    log(f"starting dockerd {' '.join(args)}(log: {CACHE / 'dockerd.log'})")
    created.daemon = subprocess.Popen(["dockerd", *args], stdout=open(CACHE / "dockerd.log", "w"),
                                      stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while not daemon_answers():
        if created.daemon.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"dockerd did not answer; see {CACHE / 'dockerd.log'}")
        time.sleep(1)


def has_image(name: str) -> bool:
    return docker("image", "inspect", name, check=False, timeout=60).returncode == 0


def pulled(name: str) -> bool:
    """True when Docker Hub gave us the image; False (quickly) where it cannot be reached."""
    try:
        return docker("pull", "-q", name, check=False, timeout=120).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def ensure_debian_base(created: Created) -> None:
    """debian:bookworm-slim: present, pulled, or imported from a debootstrap root file system (cached tarball)."""
    if has_image(DEBIAN_BASE) or pulled(DEBIAN_BASE):
        return
    tarball = CACHE / "bookworm-minbase.tar"
    if not tarball.exists():
        log("Docker Hub unreachable: building debian:bookworm-slim with debootstrap (a minute or two)")
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            rootfs = Path(tmp) / "rootfs"
            run("debootstrap", "--variant=minbase", "bookworm", str(rootfs), timeout=1200)
            partial = tarball.with_suffix(".partial")
            run("tar", "-C", str(rootfs), "-cf", str(partial), ".", timeout=600)
            partial.rename(tarball)
    log(f"importing {tarball} as {DEBIAN_BASE}")
    docker("import", str(tarball), DEBIAN_BASE, timeout=600)
    created.images.append(DEBIAN_BASE)


# A stand-in for the official Redis image, from the Debian base, for machines that cannot pull it.
REDIS_STANDIN = """\
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/*
USER redis
CMD ["redis-server", "--protected-mode", "no"]
"""


def ensure_redis_image(name: str, created: Created) -> None:
    """The compose file's Redis image: present, pulled, or built locally and tagged with its name for the test."""
    if has_image(name) or pulled(name):
        return
    log(f"Docker Hub unreachable: building a local stand-in tagged {name} from {DEBIAN_BASE}")
    created.images.append(name)
    # It needs no BuildKit feature: the classic builder works with any client, with or without buildx.
    docker("build", "-t", name, "-", input=REDIS_STANDIN, timeout=900,
           env={**os.environ, "DOCKER_BUILDKIT": "0"})


def build_image(tag: str, context: Path, created: Created) -> float:
    """Build the project's image as the README says (BuildKit, CA bundle as a secret); returns seconds taken."""
    secret = ["--secret", f"id=ca,src={CA_BUNDLE}"] if CA_BUNDLE.exists() else []
    created.images.append(tag)
    start = time.monotonic()
    docker("build", *secret, "-t", tag, str(context), timeout=3600, env={**os.environ, "DOCKER_BUILDKIT": "1"})
    return time.monotonic() - start
