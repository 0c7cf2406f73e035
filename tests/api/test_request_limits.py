"""Bodies over the limit are refused with 413 before they are read, chunked ones included, on
Werkzeug's server and on gunicorn as ``dispatch serve`` runs it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from dispatch.customers.models import Customer
from tests.images import jpeg_bytes
from tests.servers import dispatch_serve, raw_request, serve_env, werkzeug_server

MIB = 1024 * 1024
LOGIN = b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


def _chunks(total: int, sent: list[int], size: int = 64 * 1024) -> Iterator[bytes]:
    """A chunked JSON body of ``total`` bytes (a string of spaces), counting what was sent."""
    body = b'{"email": "a@example.com", "password": "' + b" " * (total - 44) + b'"}'
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
        sent[0] += len(piece)
    yield b"0\r\n\r\n"


def _answer(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def _customers(app) -> int:
    with app.extensions["dispatch.db"].sessions() as session:
        return session.scalar(select(func.count()).select_from(Customer)) or 0


def test_a_json_body_over_the_limit_is_a_413_and_nothing_is_written(app, client, world):
    before = _customers(app)
    response = client.post(
        "/api/v1/customers",
        data=json.dumps({"name": "Big", "notes": "x" * (MIB + 1)}),
        headers=world.h("agent", **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 413
    assert response.json["code"] == 413
    assert "at most 1,048,576 are accepted" in response.json["message"]
    assert _customers(app) == before


def test_an_image_upload_has_the_attachment_limit_not_the_json_one(client, world):
    photo = jpeg_bytes(64, 64) + b"\0" * (2 * MIB)  # 2 MiB: over the JSON limit, under 8 MiB
    response = client.put(
        f"/api/v1/orders/{world.ids['o_site']}/attachments/photo-1",
        data=photo,
        headers=world.h("engineer", **{"Content-Type": "image/jpeg"}),
    )
    assert response.status_code != 413, response.json


@pytest.fixture(scope="module", params=["werkzeug", "gunicorn"])
def server_port(request, app, database_url):
    if request.param == "werkzeug":
        with werkzeug_server(app) as port:
            yield request.param, port
    else:
        with dispatch_serve(serve_env(database_url)) as port:
            yield request.param, port


@pytest.mark.slow
def test_a_chunked_body_over_the_limit_is_refused_part_way(server_port, clean_db):
    server, port = server_port
    sent = [0]
    raw = raw_request(port, LOGIN + b"Transfer-Encoding: chunked\r\n\r\n", _chunks(64 * MIB, sent))
    status, headers, body = _answer(raw)
    assert status == 413, raw[:300]
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["code"] == 413
    assert "larger than the 1,048,576 bytes" in json.loads(body)["message"]
    if server == "gunicorn":  # stops reading and closes (Werkzeug's server reads the rest and drops it)
        assert sent[0] < 32 * MIB


@pytest.mark.slow
def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(server_port, clean_db):
    raw = raw_request(server_port[1], LOGIN + b"Content-Length: 104857600\r\n\r\n")
    status, headers, body = _answer(raw)
    assert (status, headers["content-type"]) == (413, "application/json"), raw[:300]
    assert "104,857,600 bytes" in json.loads(body)["message"]


@pytest.mark.slow
def test_a_chunked_body_under_the_limit_is_read_as_usual(server_port, clean_db):
    raw = raw_request(server_port[1], LOGIN + b"Transfer-Encoding: chunked\r\n\r\n", _chunks(4096, [0]))
    status, _, body = _answer(raw)
    assert status == 422, raw[:300]  # read and checked: the password in it is too long
    assert "password" in json.loads(body)["errors"]["json"]
