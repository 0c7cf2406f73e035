"""Hostile input is a 4xx that says what was wrong, never a 500: the probes one by one, then every
string and id parameter of every documented operation fed hostile values (a Hypothesis property)."""

from __future__ import annotations

import json
import tempfile
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import create_app
from tests.conftest import TEST_SECRET
from tests.factories import tomorrow_at


def _call(client: Any, method: str, url: str, **kwargs: Any) -> Any:
    """The response, or the exception the app raised (the test app propagates them: that is a 500)."""
    try:
        return client.open(url, method=method, **kwargs)
    except Exception as exc:
        return exc


def _status(response: Any) -> int:
    return 500 if isinstance(response, Exception) else response.status_code


def _window(ends_at: str) -> dict[str, Any]:
    return {"starts_at": tomorrow_at(10).isoformat(), "ends_at": ends_at}


@pytest.fixture
def searchable(client, world):
    """A site with a postcode and an order with an external reference: LIKE patterns meet real rows."""
    site = client.post(
        "/api/v1/sites",
        json={
            "customer_id": world.ids["c1"],
            "address": "1 Albert Square",
            "postcode": "M2 5DB",
            "latitude": 53.479,
            "longitude": -2.245,
        },
        headers=world.h("admin"),
    )
    assert site.status_code == 201
    order = client.patch(
        f"/api/v1/orders/{world.ids['o_new']}",
        json={"external_ref": "CRM-1"},
        headers=world.h("admin", **{"If-Match": '"v1"'}),
    )
    assert order.status_code == 200
    return world


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/api/v1/tracking/%00", 404),
        ("GET", "/track/%00", 404),
        ("GET", "/api/v1/sites?postcode=%5C", 200),
        ("GET", "/api/v1/orders?q=%5C", 200),
        ("GET", "/api/v1/customers?q=%5C", 200),
        ("GET", "/api/v1/users?q=abc%5C", 200),
        ("GET", "/api/v1/orders?q=%00", 422),
        ("GET", "/book?day=%00", 422),
    ],
)
def test_nul_and_backslash_in_the_address_are_answered_not_crashed(client, searchable, method, url, status):
    response = _call(client, method, url, headers=searchable.h("admin"))
    assert _status(response) == status, response
    if status >= 400 and response.is_json:
        assert response.json["message"]


def test_a_search_for_a_backslash_finds_the_rows_holding_one(client, searchable):
    client.patch(
        f"/api/v1/customers/{searchable.ids['c2']}",
        json={"name": "Back\\slash Ltd"},
        headers=searchable.h("admin"),
    )
    found = client.get("/api/v1/customers?q=%5C", headers=searchable.h("admin"))
    assert [c["name"] for c in found.json] == ["Back\\slash Ltd"]


def test_a_lone_surrogate_in_a_json_string_is_a_422_naming_the_field(client, world):
    response = _call(
        client,
        "POST",
        "/api/v1/customers",
        data='{"name": "Grace \\ud800 Hall"}',
        headers=world.h("agent", **{"Content-Type": "application/json"}),
    )
    assert _status(response) == 422, response
    assert response.json["errors"] == {"json": {"name": ["must be valid Unicode text"]}}


def test_a_surrogate_pair_is_ordinary_text(client, world):
    response = client.post(
        "/api/v1/customers",
        data='{"name": "Grace \\ud83d\\ude00 Hall"}',
        headers=world.h("agent", **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 201
    assert response.json["name"] == "Grace \U0001f600 Hall"


@pytest.mark.parametrize("depth", [33, 100_000])
def test_json_nested_too_deep_is_a_400(client, world, depth):
    response = _call(
        client,
        "POST",
        "/api/v1/customers",
        data="[" * depth + "]" * depth,
        headers=world.h("agent", **{"Content-Type": "application/json"}),
    )
    assert _status(response) == 400, response
    assert "nested more than 32 levels" in response.json["message"]


def test_brackets_inside_strings_do_not_count_as_nesting(client, world):
    response = client.post(
        "/api/v1/customers",
        json={"name": "[" * 200, "notes": "{" * 200},
        headers=world.h("agent"),
    )
    assert response.status_code == 201


@pytest.mark.parametrize("bad", [1.5, 2.0, True, "1.5"])
def test_an_id_that_is_not_a_whole_number_is_a_422_not_truncated(client, world, bad):
    response = client.post(
        "/api/v1/orders",
        json={
            "site_id": bad,
            "service_type_id": world.ids["boiler-service"],
            "time_windows": [_window(tomorrow_at(12).isoformat())],
        },
        headers=world.h("agent"),
    )
    assert response.status_code == 422
    assert "site_id" in response.json["errors"]["json"]


def test_ids_in_the_query_may_be_digits(client, world):
    response = client.get(f"/api/v1/orders?engineer_id={world.ids['e1']}", headers=world.h("admin"))
    assert response.status_code == 200
    assert response.json
    assert client.get("/api/v1/orders?engineer_id=1.5", headers=world.h("admin")).status_code == 422


def test_a_time_window_years_long_is_a_422(client, world):
    response = client.post(
        "/api/v1/orders",
        json={
            "site_id": world.ids["s1"],
            "service_type_id": world.ids["boiler-service"],
            "time_windows": [_window("2099-01-01T00:00:00+00:00")],
        },
        headers=world.h("agent"),
    )
    assert response.status_code == 422
    assert response.json["errors"]["json"]["time_windows"]["0"]["ends_at"] == [
        "A time window lasts at most 7 days."
    ]


# --- every string and id parameter of every operation, fed hostile values -------------------------

HOSTILE_TEXT = ["\x00", "a\x00b", "\\", "abc\\", "_%\\", "\ud800", "x" * 5000, "😀", ""]
HOSTILE_NUMBERS: list[Any] = [1.5, -1, 0, 2**31, 2**63, True, "1e3"]
HOSTILE = {"text": [*HOSTILE_TEXT, 2**63, None], "number": [*HOSTILE_NUMBERS, "\x00", "\\", None]}


def _schema_app() -> Any:
    return create_app(
        {
            "env": "test",
            "database_url": "sqlite://",
            "secret_key": TEST_SECRET,
            "instance_path": tempfile.mkdtemp(),
        }
    )


def _kind(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if kind == "string" or "$ref" in schema or ("enum" in schema and kind is None):
        return "text"
    if kind in ("integer", "number"):
        return "number"
    return None


def _targets() -> dict[str, list[tuple[str, str, str]]]:
    """Operation label -> (location, name, kind) of every string, integer and number parameter."""
    document = _schema_app().test_client().get("/api/openapi.json").json
    schemas = document["components"]["schemas"]
    out: dict[str, list[tuple[str, str]]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            params = [*item.get("parameters", []), *operation.get("parameters", [])]
            found = [
                (p["in"], p["name"], kind)
                for p in params
                if p["in"] in ("path", "query") and (kind := _kind(p.get("schema", {})))
            ]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            schema = body.get("schema", {})
            if "$ref" in schema:
                schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
            for name, prop in schema.get("properties", {}).items():
                if prop.get("readOnly"):
                    continue
                kind = _kind(prop)
                if kind:
                    found.append(("body", name, kind))
            out[f"{method.upper()} {path}"] = found
    return out


TARGETS = _targets()


_OPERATIONS: dict[str, Any] = {}


def _operation(app: Any, label: str) -> Any:
    """The schemathesis operation (the document is read once per run: it is the same every time)."""
    if not _OPERATIONS:
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
        _OPERATIONS.update((r.ok().label, r.ok()) for r in schema.get_all_operations())
    if label not in _OPERATIONS:
        raise AssertionError(f"{label} is no longer documented")
    return _OPERATIONS[label]


def _encode(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _request(case: Any, location: str, name: str, value: Any) -> tuple[str, dict[str, Any]]:
    path_params = {
        k: (abs(v) % 9 + 1 if isinstance(v, int) else v) for k, v in (case.path_parameters or {}).items()
    }
    query = dict(case.query or {})
    body = case.body if isinstance(case.body, dict) else None
    if location == "path":
        path_params[name] = value
    elif location == "query":
        query[name] = value
    elif body is not None:
        body = {**body, name: value}
    path = case.operation.path
    for key, raw in path_params.items():
        path = path.replace("{" + key + "}", _encode(raw))
    pairs = []
    for key, raw in query.items():
        for item in raw if isinstance(raw, list) and location != "query" else [raw]:
            pairs.append(f"{quote(key)}={_encode(item)}")
    url = path + ("?" + "&".join(pairs) if pairs else "")
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    elif isinstance(case.body, bytes | str | list):
        kwargs["data"] = case.body if isinstance(case.body, bytes) else json.dumps(case.body)
        kwargs["content_type"] = case.media_type or "application/json"
    return url, kwargs


@pytest.mark.slow
@pytest.mark.parametrize("label", sorted(label for label, found in TARGETS.items() if found))
def test_hostile_values_in_any_parameter_are_refused_never_a_500(app, world, client, label):
    operation = _operation(app, label)
    targets = TARGETS[label]
    headers = world.h("admin")

    # A request the schema allows, then each parameter in turn replaced by every hostile value of
    # its kind and by one more text Hypothesis draws (any code point, surrogates included).
    @settings(
        max_examples=1,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=operation.as_strategy(), drawn=st.text(max_size=40))
    def fuzz(case, drawn):
        for location, name, kind in targets:
            for value in [*HOSTILE[kind], drawn]:
                url, kwargs = _request(case, location, name, value)
                response = _call(client, case.method, url, headers=headers, **kwargs)
                assert _status(response) < 500, (
                    f"{case.method} {url} {kwargs.get('data', '')[:200]!r}: {response!r}"
                )

    fuzz()
