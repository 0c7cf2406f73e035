"""Logins cannot be brute-forced: limits per account, per address and for the whole service, a 429
with Retry-After (a page for the customers' form), no password hash once a limit is hit, counters
shared through Redis, the client address from X-Forwarded-For only behind trusted proxies."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from api import create_app
from dispatch.users import service as users_service
from tests.conftest import missing_service
from tests.factories import PASSWORD
from tests.servers import free_port

LOOSE = {
    "login_limit_per_account": "100/minute",
    "login_limit_per_address": "100/minute",
    "login_limit_service": "100/minute",
}


@pytest.fixture
def make_app(app_settings, clean_db):
    made = []

    def make(**settings):
        app = create_app({**app_settings, **LOOSE, **settings})
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["dispatch.db"].engine.dispose()


@pytest.fixture
def hashes(monkeypatch):
    """How many passwords were checked against a hash."""
    count = [0]
    hasher = users_service._hasher

    class Counting:
        def verify(self, *args, **kwargs):
            count[0] += 1
            return hasher.verify(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(hasher, name)

    monkeypatch.setattr(users_service, "_hasher", Counting())
    return count


def login(client, email="dispatcher@example.com", password="wrong password!", address="127.0.0.1", **headers):
    return client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def assert_limited(response, message_start):
    assert response.status_code == 429
    assert set(response.json) == {"code", "status", "message"}
    assert response.json["code"] == 429
    assert response.json["message"].startswith(message_start)
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 3600
    assert f"Try again in {seconds} {'second' if seconds == 1 else 'seconds'}." in response.json["message"]


def test_one_address_gets_a_few_tries_then_429_without_a_hash(make_app, world, hashes):
    client = make_app(login_limit_per_address="3/minute").test_client()
    statuses = [login(client, email=f"guess{i}@example.com").status_code for i in range(3)]
    assert statuses == [401, 401, 401]
    checked = hashes[0]
    assert_limited(login(client), "Too many logins from your address.")
    assert hashes[0] == checked  # refused before the password was looked at
    assert login(client, address="127.0.0.9", password=PASSWORD).status_code == 200


def test_an_account_gets_a_few_failures_from_anywhere_then_429(make_app, world, hashes):
    client = make_app(login_limit_per_account="2/minute").test_client()
    assert login(client, address="127.0.0.2").status_code == 401
    assert login(client, email="Dispatcher@Example.com", address="127.0.0.3").status_code == 401
    checked = hashes[0]
    refused = login(client, address="127.0.0.4", password=PASSWORD)  # even the right password waits
    assert_limited(refused, "Too many failed logins for this account.")
    assert hashes[0] == checked
    assert login(client, email="agent@example.com", password=PASSWORD, address="127.0.0.4").status_code == 200


def test_successful_logins_do_not_count_against_the_account(make_app, world):
    client = make_app(login_limit_per_account="2/minute").test_client()
    for i in range(4):
        assert login(client, password=PASSWORD, address=f"127.0.1.{i}").status_code == 200


def test_a_flood_from_many_addresses_is_capped_for_the_whole_service(make_app, world, hashes):
    client = make_app(login_limit_service="3/minute").test_client()
    for i in range(3):
        assert login(client, email=f"user{i}@example.com", address=f"127.0.2.{i}").status_code == 401
    assert hashes[0] == 3
    assert_limited(
        login(client, email="other@example.com", address="127.0.2.9"), "The service is taking too many"
    )
    assert hashes[0] == 3


def test_refresh_is_limited_per_address(make_app, world):
    app = make_app(refresh_limit_per_address="2/minute")
    client = app.test_client()
    refresh = login(client, password=PASSWORD).json["refresh_token"]
    headers = {"Authorization": f"Bearer {refresh}"}
    assert [client.post("/api/v1/auth/refresh", headers=headers).status_code for _ in range(2)] == [200, 200]
    assert_limited(client.post("/api/v1/auth/refresh", headers=headers), "Too many token refreshes")


def test_the_customer_login_form_answers_with_a_page(make_app, world, hashes):
    client = make_app(login_limit_per_address="2/minute").test_client()
    form = {"email": "customer@example.com", "password": "wrong password!", "next": "/my/bookings"}
    assert [client.post("/account/login", data=form).status_code for _ in range(2)] == [401, 401]
    checked = hashes[0]
    page = client.post("/account/login", data=form)
    assert page.status_code == 429
    assert page.mimetype == "text/html"
    assert int(page.headers["Retry-After"]) >= 1
    html = page.get_data(as_text=True)
    assert re.search(r"Too many logins from your address\. Try again in \d+ seconds?\.", html)
    assert 'value="customer@example.com"' in html  # the form is there again, filled in
    assert hashes[0] == checked
    assert client.get("/account/login").status_code == 200  # reading the form is not limited


def test_behind_a_trusted_proxy_the_address_comes_from_x_forwarded_for(make_app, world):
    direct = make_app(login_limit_per_address="1/minute").test_client()
    assert login(direct, **{"X-Forwarded-For": "203.0.113.1"}).status_code == 401
    # Not trusted: the header is the client's word, and the proxy's address is what counts.
    assert login(direct, **{"X-Forwarded-For": "203.0.113.2"}).status_code == 429

    proxied = make_app(login_limit_per_address="1/minute", trusted_proxies=1).test_client()
    assert login(proxied, **{"X-Forwarded-For": "203.0.113.1"}).status_code == 401
    assert login(proxied, **{"X-Forwarded-For": "203.0.113.2"}).status_code == 401
    assert login(proxied, **{"X-Forwarded-For": "203.0.113.1"}).status_code == 429
    # Only the last hop counts: a client cannot pick its address by adding entries of its own.
    assert login(proxied, **{"X-Forwarded-For": "198.51.100.7, 203.0.113.2"}).status_code == 429


def test_password_checks_take_a_share_of_the_time_and_logins_beyond_it_are_refused_at_once(make_app, world):
    client = make_app(login_checks_share=0.001).test_client()  # a check of d s waits 1000 d for the next
    assert login(client, password=PASSWORD).status_code == 200
    refused = login(client, email="agent@example.com", password=PASSWORD, address="127.0.0.2")
    assert_limited(refused, "The service is taking too many logins at this moment.")
    assert int(refused.headers["Retry-After"]) >= 1  # when the pause after the check ends
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": "Bearer x"}).status_code == 401
    )  # others go on


@pytest.fixture
def redis_url():
    url = os.environ.get("DISPATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        Redis.from_url(url, socket_connect_timeout=1).ping()
    except RedisConnectionError:
        missing_service(f"Redis at {url}")
    return url


@pytest.mark.redis
def test_processes_share_the_counts_through_redis(make_app, world, redis_url):
    prefix = f"t-{uuid.uuid4().hex[:8]}:"
    first, second = (
        make_app(redis_url=redis_url, queue_prefix=prefix, login_limit_per_account="2/minute").test_client()
        for _ in range(2)
    )
    assert login(first).status_code == 401
    assert login(second).status_code == 401
    assert login(first).status_code == 429
    assert login(second).status_code == 429


def test_logins_go_on_when_the_limits_store_is_down(make_app, world):
    client = make_app(
        redis_url=f"redis://127.0.0.1:{free_port()}/0", login_limit_per_address="2/minute"
    ).test_client()
    assert login(client, password=PASSWORD).status_code == 200
    assert login(client).status_code == 401
    assert login(client).status_code == 429  # counted in memory meanwhile


@pytest.mark.parametrize(
    ("locale", "seconds", "said"), [("en", 1, "in 1 second."), ("en", 7, "in 7 seconds.")]
)
def test_the_wait_is_said_in_the_right_number(locale, seconds, said):
    from api.limits import REFUSALS, refusal
    from dispatch.i18n import use_locale

    with use_locale(locale):
        assert all(refusal(kind, seconds).endswith(said) for kind in REFUSALS)
    with use_locale("zh_Hans"):
        assert all(f"{seconds} 秒后再试" in refusal(kind, seconds) for kind in REFUSALS)
