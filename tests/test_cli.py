"""The ``dispatch`` command as a new user runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import repo_root


def run_cli(*args, env=None, cwd=None, timeout=180, input=None):
    return subprocess.run(
        [sys.executable, "-m", "dispatch.cli", *args],
        env=env,
        cwd=cwd or repo_root(),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )


def clean_env(tmp_path, **extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DISPATCH_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update({"DISPATCH_INSTANCE_PATH": str(tmp_path / "instance"), **extra})
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_production_refuses_to_serve_without_a_secret(tmp_path):
    done = run_cli("serve", "--port", str(free_port()), env=clean_env(tmp_path), timeout=60)
    assert done.returncode != 0
    assert "DISPATCH_SECRET_KEY is not set: production refuses to start without one" in done.stderr


def test_demo_data_is_never_loaded_in_production(tmp_path):
    done = run_cli("load-demo", env=clean_env(tmp_path, DISPATCH_SECRET_KEY="k" * 40), timeout=60)
    assert done.returncode != 0
    assert "never loaded in production" in done.stderr


@pytest.mark.slow
def test_demo_command_migrates_loads_and_serves_the_city(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dispatch.cli", "demo", "--port", str(port), "--orders", "60"],
        env=clean_env(tmp_path),
        cwd=repo_root(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "the demo did not start in 2 minutes"
            time.sleep(0.3)
        login = requests.post(
            f"{base}/api/v1/auth/login",
            json={"email": "dispatcher@example.com", "password": "demo-dispatch-1"},
            timeout=5,
        )
        assert login.status_code == 200
        orders = requests.get(
            f"{base}/api/v1/orders?page_size=1",
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
            timeout=5,
        )
        assert '"total": 60' in orders.headers["X-Pagination"]
        assert requests.get(f"{base}/api/docs", timeout=5).status_code == 200
        # Served by gunicorn: the security headers are there, and a scheme forwarded by a client that
        # is no configured proxy (DISPATCH_TRUSTED_PROXIES) is ignored, even from this machine.
        page = requests.get(f"{base}/account/login", headers={"X-Forwarded-Proto": "https"}, timeout=5)
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in page.headers
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert f"Field-service dispatch is running at {base}/" in output
    assert "dispatcher@example.com" in output
    assert "demo-dispatch-1" in output
    assert (tmp_path / "instance" / "dispatch.db").exists()
    assert (tmp_path / "instance" / "secret_key").exists()


def test_create_user_makes_the_first_admin(tmp_path):
    env = clean_env(tmp_path, DISPATCH_ENV="development")
    assert run_cli("db", "upgrade", env=env).returncode == 0
    typed = "a strong password\na strong password\n"
    args = ("create-user", "--email", "boss@example.com", "--name", "Boss")
    done = run_cli(*args, env=env, input=typed, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "created admin boss@example.com" in done.stdout
    again = run_cli(*args, env=env, input=typed, timeout=60)
    assert again.returncode != 0
    assert "already exists" in again.stderr
