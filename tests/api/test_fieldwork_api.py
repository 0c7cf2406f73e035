"""Field work over the API: replay-safe writes, attachments, check-in distance, completion evidence,
position pings, and who may see what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from dispatch.access import SYSTEM
from dispatch.idempotency.models import IdempotencyKey
from dispatch.positions import service as positions
from dispatch.shifts import service as shifts
from tests.images import jpeg_bytes, png_bytes


def etag(client, world, oid):
    return client.get(f"/api/v1/orders/{oid}", headers=world.h("admin")).headers["ETag"]


def act(client, world, oid, action, body=None, role="engineer", key=None, if_match=None):
    headers = world.h(role, **{"If-Match": if_match or etag(client, world, oid)})
    if key:
        headers["Idempotency-Key"] = key
    return client.post(f"/api/v1/orders/{oid}/{action}", json=body or {}, headers=headers)


def upload(client, world, oid, data, *, role="engineer", kind="photo", att_id=None, signer=None, key=None):
    att_id = att_id or str(uuid.uuid4())
    query = f"kind={kind}" + (f"&signer_name={signer}" if signer else "")
    headers = world.h(role, **{"Content-Type": "image/jpeg"})
    if key:
        headers["Idempotency-Key"] = key
    return client.put(f"/api/v1/orders/{oid}/attachments/{att_id}?{query}", data=data, headers=headers)


def actions_of(client, world, oid):
    return [e["action"] for e in client.get(f"/api/v1/orders/{oid}/events", headers=world.h("admin")).json]


# --- Idempotency-Key -------------------------------------------------------------------------


def test_a_retried_action_is_applied_once_and_answered_as_the_first_time(client, world):
    oid = world.ids["o_disp"]
    v = etag(client, world, oid)
    first = act(client, world, oid, "accept", key="k-accept-1", if_match=v)
    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    # The response was lost; the phone sends the very same request again (same stale If-Match).
    again = act(client, world, oid, "accept", key="k-accept-1", if_match=v)
    assert again.status_code == 200, again.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert again.headers["ETag"] == first.headers["ETag"]
    assert actions_of(client, world, oid).count("accept") == 1
    # Without the key, the same step by the same engineer (a second phone, a lost key) is no conflict
    # either: the order as it is, nothing applied again.
    repeated = act(client, world, oid, "accept", if_match=v)
    assert repeated.status_code == 200, repeated.json
    assert repeated.json["status"] == "accepted"
    assert actions_of(client, world, oid).count("accept") == 1
    # A different step on the stale version is still a plain 412.
    assert act(client, world, oid, "start-travel", if_match=v).status_code == 412


def test_the_same_key_for_a_different_request_is_refused(client, world):
    oid = world.ids["o_site"]
    note = f"/api/v1/orders/{oid}/notes/n-1"
    h = world.h("engineer", **{"Idempotency-Key": "k-note"})
    assert client.put(note, json={"text": "Flue checked"}, headers=h).status_code == 201
    reused = client.put(note, json={"text": "Something else"}, headers=h)
    assert reused.status_code == 422
    assert "already used for a different request" in reused.json["message"]
    # Key order and spacing do not make a request different.
    same = client.put(
        note, data='{ "text" : "Flue checked" }', headers={**h, "Content-Type": "application/json"}
    )
    assert same.status_code == 201
    assert same.headers["Idempotent-Replayed"] == "true"


def test_a_key_still_in_progress_is_409_with_retry_after(client, world, app):
    session = app.extensions["dispatch.db"].sessions()
    session.add(
        IdempotencyKey(
            user_id=world.ids["user_engineer"], key="k-busy", fingerprint="x" * 64, method="POST", path="/"
        )
    )
    session.commit()
    session.close()
    oid = world.ids["o_disp"]
    busy = act(client, world, oid, "accept", key="k-busy")
    # The fingerprint differs here, so it is 422; with the same request it would be 409.
    assert busy.status_code == 422
    session = app.extensions["dispatch.db"].sessions()
    row = session.query(IdempotencyKey).filter_by(key="k-busy").one()
    from api.idempotency import fingerprint

    with app.test_request_context(
        f"/api/v1/orders/{oid}/accept", method="POST", json={}, headers={"If-Match": etag(client, world, oid)}
    ):
        row.fingerprint = fingerprint()
    session.commit()
    session.close()
    busy = act(client, world, oid, "accept", key="k-busy")
    assert busy.status_code == 409
    assert busy.headers["Retry-After"] == "2"
    assert "still being processed" in busy.json["message"]


def test_refusals_are_stored_and_replayed_but_a_new_key_tries_again(client, world):
    oid = world.ids["o_site"]
    v = etag(client, world, oid)
    refused = act(client, world, oid, "complete", key="k-complete-1", if_match=v)
    assert refused.status_code == 409
    assert refused.json["errors"] == {"signature": ["the customer's signature is required"]}
    assert upload(client, world, oid, png_bytes(), kind="signature", signer="Grace Hall").status_code == 201
    replay = act(client, world, oid, "complete", key="k-complete-1", if_match=v)
    assert replay.status_code == 409
    assert replay.headers["Idempotent-Replayed"] == "true"
    done = act(client, world, oid, "complete", key="k-complete-2", if_match=v)
    assert done.status_code == 200
    assert done.json["status"] == "completed"


def test_malformed_keys_are_refused(client, world):
    response = act(client, world, world.ids["o_disp"], "accept", key="not a key with spaces")
    assert response.status_code == 422
    assert response.json["errors"] == {"Idempotency-Key": ["malformed"]}


# --- Attachments -------------------------------------------------------------------------------


def test_a_photo_is_stored_once_under_its_id_and_served_back(client, world):
    oid = world.ids["o_site"]
    photo = jpeg_bytes(640, 480)
    first = upload(client, world, oid, photo, att_id="p-1")
    assert first.status_code == 201, first.json
    assert first.json | {"created_at": None} == first.json | {
        "id": "p-1",
        "kind": "photo",
        "content_type": "image/jpeg",
        "width": 640,
        "height": 480,
        "size_bytes": len(photo),
        "created_at": None,
    }
    assert upload(client, world, oid, photo, att_id="p-1").status_code == 200
    other = upload(client, world, oid, jpeg_bytes(640, 480, seed=2), att_id="p-1")
    assert other.status_code == 409
    content = client.get(first.json["content_url"], headers=world.h("customer"))
    assert content.status_code == 200
    assert content.data == photo
    assert content.mimetype == "image/jpeg"


def test_uploads_that_are_not_acceptable_images_say_why(client, world, app, monkeypatch):
    oid = world.ids["o_site"]
    fake = upload(client, world, oid, b"GIF89a? no, a text file called photo.jpg")
    assert fake.status_code == 415
    assert "not an image" in fake.json["message"]
    truncated = upload(client, world, oid, jpeg_bytes(200, 200)[:600])
    assert truncated.status_code == 415
    assert "damaged or truncated" in truncated.json["message"]
    empty = upload(client, world, oid, b"")
    assert empty.status_code == 422
    settings = app.config["DISPATCH"]
    monkeypatch.setitem(
        app.config,
        "DISPATCH",
        settings.with_overrides({"attachment_max_bytes": 9000, "attachment_max_pixels": 10_000}),
    )
    too_big = upload(client, world, oid, jpeg_bytes(120, 120))
    assert too_big.status_code == 413
    assert "at most 9,000 are accepted" in too_big.json["message"]
    too_many_pixels = upload(client, world, oid, png_bytes(2000, 1000))
    assert too_many_pixels.status_code == 413
    assert "2000x1000 pixels" in too_many_pixels.json["message"]
    signature = upload(client, world, oid, png_bytes(), kind="signature")
    assert signature.status_code == 422
    assert signature.json["errors"] == {"signer_name": ["required"]}
    assert client.get(f"/api/v1/orders/{oid}/attachments", headers=world.h("admin")).json == []


def test_an_engineer_never_sees_another_engineers_attachments(client, world):
    oid = world.ids["o_other"]
    for action in ("accept", "start-travel", "check-in"):
        assert act(client, world, oid, action, role="dispatcher").status_code == 200
    stored = upload(client, world, oid, jpeg_bytes(), role="dispatcher", att_id="theirs")
    assert stored.status_code == 201
    for role in ("engineer", "customer"):
        assert client.get("/api/v1/attachments/theirs/content", headers=world.h(role)).status_code == 404
        assert client.get(f"/api/v1/orders/{oid}/attachments", headers=world.h(role)).status_code == 404
        assert client.get(f"/api/v1/orders/{oid}/report", headers=world.h(role)).status_code == 404
    assert upload(client, world, oid, jpeg_bytes(), att_id="mine").status_code == 404


# --- Check-in, completion and the report -----------------------------------------------------


def test_check_in_measures_the_distance_to_the_site_and_flags_a_far_one(client, world):
    near = world.ids["o_route"]  # site s1 is at 53.4330, -2.2290
    body = {
        "latitude": 53.4331,
        "longitude": -2.2291,
        "accuracy_m": 12,
        "recorded_at": datetime.now(UTC).isoformat(),
    }
    assert act(client, world, near, "check-in", body).status_code == 200
    report = client.get(f"/api/v1/orders/{near}/report", headers=world.h("dispatcher")).json
    assert report["distance_m"] < 20
    assert report["far_from_site"] is False
    far = world.ids["o_acc"]
    assert act(client, world, far, "start-travel").status_code == 200
    body = {"latitude": 53.4800, "longitude": -2.2400, "accuracy_m": 8}
    assert act(client, world, far, "check-in", body).status_code == 200
    report = client.get(f"/api/v1/orders/{far}/report", headers=world.h("dispatcher")).json
    assert 5000 < report["distance_m"] < 5400
    assert report["far_from_site"] is True
    half = act(client, world, world.ids["o_route"], "check-in", {"latitude": 53.4})
    assert half.status_code == 422


def test_completion_waits_for_the_photos_and_signature_the_service_type_needs(client, world):
    stype = world.ids["boiler-service"]
    changed = client.patch(f"/api/v1/service-types/{stype}", json={"min_photos": 2}, headers=world.h("admin"))
    assert changed.status_code == 200
    assert changed.json["min_photos"] == 2
    oid = world.ids["o_site"]
    refused = act(client, world, oid, "complete", {"notes": "done"})
    assert refused.status_code == 409
    assert refused.json["errors"] == {
        "photos": ["2 needed, 0 taken"],
        "signature": ["the customer's signature is required"],
    }
    ids = ["ph-1", "ph-2", "sig-1"]
    upload(client, world, oid, jpeg_bytes(seed=1), att_id="ph-1")
    upload(client, world, oid, jpeg_bytes(seed=2), att_id="ph-2")
    upload(client, world, oid, png_bytes(), att_id="sig-1", kind="signature", signer="Grace Hall")
    missing = act(client, world, oid, "complete", {"attachment_ids": [*ids, "ph-3"]})
    assert missing.status_code == 409
    assert missing.json["errors"] == {"attachment_ids": ["ph-3 has not arrived"]}
    note = client.put(
        f"/api/v1/orders/{oid}/notes/note-1",
        json={
            "text": "Replaced the pump",
            "parts": [{"name": "Pump", "quantity": 1, "part_number": "GF-22"}],
        },
        headers=world.h("engineer"),
    )
    assert note.status_code == 201
    done = act(client, world, oid, "complete", {"notes": "All good", "attachment_ids": ids})
    assert done.status_code == 200
    report = client.get(f"/api/v1/orders/{oid}/report", headers=world.h("customer")).json
    assert report["outcome"] == "completed"
    assert report["closing_notes"] == "All good"
    assert [p["id"] for p in report["photos"]] == ["ph-1", "ph-2"]
    assert report["signature"]["signer_name"] == "Grace Hall"
    assert report["notes"][0]["parts"] == [{"name": "Pump", "quantity": 1, "part_number": "GF-22"}]
    assert report["engineer_name"] == "Freya Jones"


def test_incomplete_needs_a_reason_and_no_evidence(client, world):
    oid = world.ids["o_site"]
    assert act(client, world, oid, "incomplete", {}).status_code == 422
    done = act(client, world, oid, "incomplete", {"reason": "Needs a new heat exchanger: follow-up visit"})
    assert done.status_code == 200
    assert done.json["status"] == "incomplete"
    report = client.get(f"/api/v1/orders/{oid}/report", headers=world.h("customer")).json
    assert (report["outcome"], report["follow_up_needed"]) == ("incomplete", True)
    assert report["closing_notes"] == "Needs a new heat exchanger: follow-up visit"


# --- Position pings --------------------------------------------------------------------------


def test_position_pings_are_kept_only_on_shift_and_only_the_latest(client, world, app):
    now = datetime.now(UTC).replace(microsecond=0)
    session = app.extensions["dispatch.db"].sessions()
    shifts.create(
        session,
        actor=SYSTEM,
        engineer_id=world.ids["e1"],
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=2),
        default_time_zone="Europe/London",
    )
    session.commit()
    session.close()
    h = world.h("engineer")
    ping = {"latitude": 53.44, "longitude": -2.23, "accuracy_m": 15, "recorded_at": now.isoformat()}
    kept = client.post("/api/v1/positions", json=ping, headers=h)
    assert kept.status_code == 200
    assert kept.json["stored"] is True
    assert kept.headers["Cache-Control"] == "no-store"
    older = {**ping, "latitude": 53.0, "recorded_at": (now - timedelta(minutes=5)).isoformat()}
    assert client.post("/api/v1/positions", json=older, headers=h).json["stored"] is False
    off = {**ping, "recorded_at": (now - timedelta(hours=5)).isoformat()}
    outside = client.post("/api/v1/positions", json=off, headers=h).json
    assert outside == {
        "stored": False,
        "reason": "not stored: outside your shift (no position is kept off shift)",
        "position": None,
    }
    future = {**ping, "recorded_at": (now + timedelta(hours=1)).isoformat()}
    assert client.post("/api/v1/positions", json=future, headers=h).status_code == 422
    seen = client.get("/api/v1/positions", headers=world.h("dispatcher")).json
    assert [(p["engineer_id"], p["latitude"]) for p in seen] == [(world.ids["e1"], 53.44)]
    session = app.extensions["dispatch.db"].sessions()
    latest = positions.latest(session, engineer_ids=[world.ids["e1"], world.ids["e2"]])
    assert list(latest) == [world.ids["e1"]]
    assert latest[world.ids["e1"]].accuracy_m == 15
    assert positions.purge_off_shift(session, now=now + timedelta(hours=3)) == 1
    session.commit()
    session.close()


def test_pings_are_refused_for_anyone_but_the_engineer(client, world):
    body = {"latitude": 53.44, "longitude": -2.23, "recorded_at": datetime.now(UTC).isoformat()}
    assert client.post("/api/v1/positions", json=body, headers=world.h("dispatcher")).status_code == 403


def test_the_same_request_sent_four_times_at_once_is_applied_once(app, world, client):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    oid = world.ids["o_disp"]
    headers = world.h("engineer", **{"If-Match": etag(client, world, oid), "Idempotency-Key": "k-race"})
    url = f"http://127.0.0.1:{server.server_port}/api/v1/orders/{oid}/accept"
    try:
        with ThreadPoolExecutor(4) as pool:
            answers = list(
                pool.map(lambda _: requests.post(url, json={}, headers=headers, timeout=60), range(4))
            )
    finally:
        server.shutdown()
    assert sorted(a.status_code for a in answers) in ([200, 200, 200, 200], [200, 200, 200, 409])
    assert [a.headers.get("Idempotent-Replayed") for a in answers if a.status_code == 200].count(None) == 1
    assert actions_of(client, world, oid).count("accept") == 1
