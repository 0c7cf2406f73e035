"""Redis down when a change commits: the outbox keeps the message and it goes out once Redis returns.

A Redis server of the test's own on a free port is stopped and started; the API answers while it is
down, and `dispatch scheduler --once` + `dispatch worker --burst` send everything afterwards.
"""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from flask_jwt_extended import create_access_token
from redis import Redis
from sqlalchemy import select

from api import create_app
from dispatch.access import Role
from dispatch.notifications.models import DeliveryStatus, Notification
from tests.conftest import repo_root
from tests.desk_factories import open_ticket
from tests.dispatch.test_queue import cli_env
from tests.factories import make_customer, make_user
from tests.mailservers import smtp_server

pytestmark = pytest.mark.slow


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "dispatch.cli", *args],
        env=env,
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_the_outbox_keeps_what_was_committed_while_redis_was_down(app_settings, clean_db, own_redis):
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    with smtp_server() as (smtp_port, inbox):
        mail = {
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_security": "none",
            "support_address": "support@desk.example.com",
        }
        app = create_app({**app_settings, "redis_url": own_redis.url, "queue_prefix": prefix, **mail})
        session = app.extensions["dispatch.db"].sessions()
        customer_id = make_customer(session, "Grace Hall", "grace@example.com")
        ticket_id = open_ticket(session, customer_id).id
        agent = make_user(session, Role.AGENT, "ann.agent@example.com")
        session.commit()
        with app.app_context():
            token = create_access_token(identity=agent, additional_claims={"role": "agent"})
        session.close()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def reply(text: str) -> None:
            answer = client.post(
                f"/api/v1/tickets/{ticket_id}/messages", json={"body": text}, headers=headers
            )
            assert answer.status_code == 201, answer.json

        reply("First answer, while Redis is up.")
        queued = Redis.from_url(own_redis.url).llen(f"rq:queue:{prefix}notifications")
        assert queued == 1  # the fast path: queued as soon as the reply committed
        own_redis.stop()
        reply("Second answer, while Redis is down.")  # the desk keeps working
        with app.extensions["dispatch.db"].sessions() as check:
            rows = check.scalars(select(Notification).order_by(Notification.id)).all()
            assert [(r.status, r.attempts) for r in rows] == [(DeliveryStatus.PENDING, 0)] * 2
        own_redis.start()  # Redis is back, empty (it kept nothing on disk): the queued job is lost too
        env = cli_env(app_settings["database_url"], own_redis.url, prefix) | {
            f"DISPATCH_{k.upper()}": str(v) for k, v in mail.items()
        }
        _run("scheduler", "--once", env=env)
        _run("worker", "--burst", "--queue", "notifications", env=env)
        received = inbox.wait(2)
        bodies = sorted(r.message.get_body(("plain",)).get_content() for r in received)
        assert len(bodies) == 2
        assert "First answer" in bodies[0]
        assert "Second answer" in bodies[1]
        with app.extensions["dispatch.db"].sessions() as check:
            rows = check.scalars(select(Notification).order_by(Notification.id)).all()
            assert [r.status for r in rows] == [DeliveryStatus.SENT] * 2
        app.extensions["dispatch.db"].engine.dispose()
