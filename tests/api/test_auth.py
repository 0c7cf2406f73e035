"""Logging in, refreshing and revoking tokens, as a client would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token

from dispatch.users.models import User
from tests.factories import PASSWORD


def login(client, email="dispatcher@example.com", password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_login_gives_tokens_that_open_the_api(client, world):
    response = login(client)
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["user"]["role"] == "dispatcher"
    assert body["expires_in"] == 15 * 60
    me = client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json["email"] == "dispatcher@example.com"


def test_login_is_case_insensitive_on_email(client, world):
    assert login(client, email="Dispatcher@Example.COM").status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [("dispatcher@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)],
)
def test_wrong_credentials_are_401_without_saying_which_part(client, world, email, password):
    response = login(client, email=email, password=password)
    assert response.status_code == 401
    assert response.json["message"] == "email or password is wrong, or the account is disabled"


def test_login_without_a_password_is_422_naming_the_field(client, world):
    response = client.post("/api/v1/auth/login", json={"email": "dispatcher@example.com"})
    assert response.status_code == 422
    assert "password" in response.json["errors"]["json"]


def test_refresh_token_gives_a_new_access_token_but_cannot_be_used_as_one(client, world):
    tokens = login(client).json
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer(refreshed.json["access_token"])).status_code == 200
    as_access = client.get("/api/v1/orders", headers=bearer(tokens["refresh_token"]))
    assert as_access.status_code == 401
    assert client.post("/api/v1/auth/refresh", headers=bearer(tokens["access_token"])).status_code == 401


def test_revoked_tokens_stop_working(client, world):
    tokens = login(client).json
    access, refresh = tokens["access_token"], tokens["refresh_token"]
    assert client.post("/api/v1/auth/revoke", headers=bearer(access)).json["revoked"] == "access"
    response = client.get("/api/v1/orders", headers=bearer(access))
    assert response.status_code == 401
    assert "revoked" in response.json["message"]
    # Logging out with the access token ends the refresh token of that login too.
    assert client.post("/api/v1/auth/refresh", headers=bearer(refresh)).status_code == 401
    # A refresh token can be revoked on its own as well.
    other = login(client).json["refresh_token"]
    assert client.post("/api/v1/auth/revoke", headers=bearer(other)).json["revoked"] == "refresh"
    assert client.post("/api/v1/auth/refresh", headers=bearer(other)).status_code == 401


def test_expired_token_says_to_refresh(client, world, app):
    with app.app_context(), app.extensions["dispatch.db"].sessions() as session:
        user = session.get(User, world.ids["user_dispatcher"])
        token = create_access_token(identity=user, expires_delta=timedelta(seconds=-1))
    response = client.get("/api/v1/orders", headers=bearer(token))
    assert response.status_code == 401
    assert "expired" in response.json["message"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_disabled_user_is_locked_out_at_once(client, world):
    tokens = login(client).json
    disabled = client.patch(
        f"/api/v1/users/{world.ids['user_dispatcher']}", json={"active": False}, headers=world.h("admin")
    )
    assert disabled.status_code == 200
    assert client.get("/api/v1/orders", headers=bearer(tokens["access_token"])).status_code == 401
    assert login(client).status_code == 401


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic abc", "Bearer"])
def test_garbage_tokens_are_401(client, world, header):
    response = client.get("/api/v1/orders", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["code"] == 401


def test_admin_cannot_lock_themself_out(client, world):
    response = client.patch(
        f"/api/v1/users/{world.ids['user_admin']}", json={"role": "agent"}, headers=world.h("admin")
    )
    assert response.status_code == 409
    assert client.get("/api/v1/users", headers=world.h("admin")).status_code == 200


def test_customer_user_must_be_linked_to_a_customer(client, world):
    response = client.post(
        "/api/v1/users",
        json={"email": "x@example.com", "full_name": "X", "role": "customer", "password": "long enough pw"},
        headers=world.h("admin"),
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"customer_id": ["a customer user must be linked to a customer"]}


def test_short_password_is_refused(client, world):
    response = client.post(
        "/api/v1/users",
        json={"email": "y@example.com", "full_name": "Y", "role": "agent", "password": "short"},
        headers=world.h("admin"),
    )
    assert response.status_code == 422
    assert "password" in response.json["errors"]["json"]


def _refresh(client, token):
    return client.post("/api/v1/auth/refresh", headers=bearer(token))


@pytest.mark.parametrize("change", [{"password": "a new long passphrase"}, {"active": False}])
def test_a_password_reset_or_disabling_ends_every_token_refresh_tokens_too(client, world, change):
    tokens = login(client).json
    user = f"/api/v1/users/{world.ids['user_dispatcher']}"
    assert client.patch(user, json=change, headers=world.h("admin")).status_code == 200
    if "active" in change:  # enabled again: the tokens from before stay dead
        assert client.patch(user, json={"active": True}, headers=world.h("admin")).status_code == 200
    assert _refresh(client, tokens["refresh_token"]).status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"])).status_code == 401
    password = change.get("password", PASSWORD)
    fresh = login(client, password=password).json
    assert _refresh(client, fresh["refresh_token"]).status_code == 200


def test_changing_only_the_name_keeps_the_sessions(client, world):
    tokens = login(client).json
    client.patch(
        f"/api/v1/users/{world.ids['user_dispatcher']}",
        json={"full_name": "D. Patcher"},
        headers=world.h("admin"),
    )
    assert _refresh(client, tokens["refresh_token"]).status_code == 200


def test_logging_out_with_the_access_token_ends_that_login_only(client, world):
    phone, console = login(client).json, login(client).json
    assert client.post("/api/v1/auth/revoke", headers=bearer(phone["access_token"])).status_code == 200
    assert _refresh(client, phone["refresh_token"]).status_code == 401
    # Logging out sends both tokens: the refresh token, already ended, is revoked again without fuss.
    assert client.post("/api/v1/auth/revoke", headers=bearer(phone["refresh_token"])).status_code == 200
    assert client.post("/api/v1/auth/revoke", headers=bearer(phone["access_token"])).status_code == 200
    assert _refresh(client, console["refresh_token"]).status_code == 200
    # An access token got by refreshing belongs to the same login: revoking it ends that login.
    renewed = _refresh(client, console["refresh_token"]).json["access_token"]
    assert client.post("/api/v1/auth/revoke", headers=bearer(renewed)).status_code == 200
    assert _refresh(client, console["refresh_token"]).status_code == 401


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password2024!", "This password is one of the commonest ones, which attackers try first."),
        ("Qwertyuiop", "This password is one of the commonest ones, which attackers try first."),
        ("zzzzzzzzzzzz", "This password is one character repeated."),
        ("new.person@example.com", "This password is the email address of its user."),
        ("new.person1234", "This password is the email address of its user."),
    ],
)
def test_weak_passwords_are_refused_saying_why(client, world, password, message):
    response = client.post(
        "/api/v1/users",
        json={"email": "new.person@example.com", "full_name": "New", "role": "agent", "password": password},
        headers=world.h("admin"),
    )
    assert response.status_code == 422
    assert response.json["message"] == message
    made = client.post(
        "/api/v1/users",
        json={"email": "new.person@example.com", "full_name": "New", "role": "agent", "password": PASSWORD},
        headers=world.h("admin"),
    )
    reset = client.patch(
        f"/api/v1/users/{made.json['id']}", json={"password": password}, headers=world.h("admin")
    )
    assert (reset.status_code, reset.json["message"]) == (422, message)
