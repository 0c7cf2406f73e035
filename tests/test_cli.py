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


@pytest.fixture
def demo_without_server(tmp_path, monkeypatch):
    """Run ``dispatch demo`` in this process up to the point where it would serve: the settings it
    would serve with, its output, and the instance folder it loaded."""
    from click.testing import CliRunner

    from dispatch import cli

    served = {}
    monkeypatch.setattr(
        cli, "_serve", lambda settings, host, port, *, workers: served.update(settings=settings)
    )
    unset = {k: None for k in os.environ if k.startswith("DISPATCH_") or k in ("DATABASE_URL", "REDIS_URL")}

    def run(*args, command="demo", **env):
        served.clear()
        result = CliRunner().invoke(
            cli.main,
            [command, "--port", str(free_port()), *args],
            env={**unset, "DISPATCH_INSTANCE_PATH": str(tmp_path / "instance"), **env},
        )
        return result, served.get("settings")

    return run


def test_demo_city_shanghai_loads_chinese_data_and_serves_the_company_in_shanghai(
    tmp_path, demo_without_server
):
    import sqlite3

    result, settings = demo_without_server("--city", "shanghai", "--orders", "5")
    assert result.exit_code == 0, result.output
    assert (settings.default_time_zone, settings.default_locale, settings.phone_region) == (
        "Asia/Shanghai",
        "zh_Hans",
        "CN",
    )
    assert settings.env == "demo"
    assert "City:         shanghai (Asia/Shanghai, zh_Hans)" in result.output
    assert "customer@example.com" in result.output
    with sqlite3.connect(tmp_path / "instance" / "dispatch.db") as db:
        addresses = [row[0] for row in db.execute("SELECT address FROM sites")]
        zones = {row[0] for row in db.execute("SELECT time_zone FROM teams")}
    assert len(addresses) == 4
    assert all(a.startswith("上海市") for a in addresses)
    assert zones == {"Asia/Shanghai"}
    # Asked for Manchester on the same database: nothing is loaded twice, and the command says why.
    again, settings = demo_without_server("--city", "manchester", DISPATCH_DEFAULT_LOCALE="en")
    assert again.exit_code == 0, again.output
    assert "demo not loaded again" in again.output
    assert "it holds the shanghai demo, not manchester" in again.stderr
    assert settings.default_time_zone == "Europe/London"
    # Served later by `dispatch serve` (as after `load-demo --city shanghai`): still the Shanghai company.
    development = {"DISPATCH_ENV": "development", "DISPATCH_SECRET_KEY": "k" * 40}
    served, settings = demo_without_server("--workers", "1", command="serve", **development)
    assert served.exit_code == 0, served.output
    assert (settings.default_time_zone, settings.default_locale, settings.company_name) == (
        "Asia/Shanghai",
        "zh_Hans",
        "申城上门服务",
    )
    # A company's own database (no demo logins), even with sites in China, keeps the settings it is given.
    with sqlite3.connect(tmp_path / "instance" / "dispatch.db") as db:
        db.execute("UPDATE users SET email = 'ops@company.example' WHERE email = 'admin@example.com'")
    _, settings = demo_without_server("--workers", "1", command="serve", **development)
    assert settings.default_time_zone == "Europe/London"


def test_the_environment_wins_over_the_city_and_an_unknown_city_is_refused(demo_without_server):
    result, settings = demo_without_server(
        "--city", "shanghai", "--orders", "3", DISPATCH_DEFAULT_LOCALE="en"
    )
    assert result.exit_code == 0, result.output
    assert (settings.default_locale, settings.default_time_zone) == ("en", "Asia/Shanghai")
    unknown, settings = demo_without_server("--city", "atlantis")
    assert unknown.exit_code == 2
    assert settings is None
    assert "'atlantis' is not one of 'manchester', 'shanghai'" in unknown.stderr
