"""The world fixture builds and the API reads it (a canary for the fixtures themselves)."""


def test_dispatcher_sees_every_order_of_the_world(client, world):
    response = client.get("/api/v1/orders?page_size=50", headers=world.h("dispatcher"))
    assert response.status_code == 200
    statuses = sorted(o["status"] for o in response.json)
    assert statuses == sorted(
        ["new", "scheduled", "dispatched", "accepted", "en_route", "on_site", "dispatched"]
    )
