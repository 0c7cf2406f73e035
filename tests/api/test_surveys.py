"""Satisfaction surveys end to end: asked after a completed visit and a resolved ticket, answered
once through the link page, a low score opening a review for the team lead, staff reading them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from dispatch.access import SYSTEM
from dispatch.db import utcnow
from dispatch.notifications import delivery
from dispatch.notifications.models import Notification
from dispatch.orders import actions
from dispatch.surveys import service as surveys
from dispatch.surveys.models import Survey, SurveySubject
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket, TicketKind, TicketStatus
from tests.desk_factories import build_desk, open_ticket


def _complete(app: Any, order_id: int) -> Survey:
    with app.extensions["dispatch.db"].sessions() as session:
        order = actions.field_action(
            session, actor=SYSTEM, order_id=order_id, expected_version=None, action="complete"
        )
        session.commit()
        found = session.scalar(select(Survey).where(Survey.order_id == order.id))
        assert found is not None
        session.expunge(found)
        return found


def _resolve(app: Any, customer_id: int) -> tuple[Survey, dict[str, int]]:
    with app.extensions["dispatch.db"].sessions() as session:
        desk = build_desk(session, agents=1)
        ticket = open_ticket(session, customer_id, subject="Radiator cold", team_id=desk.ids["second"])
        tickets.change_status(
            session, actor=SYSTEM, ticket_id=ticket.id, expected_version=None, status=TicketStatus.RESOLVED
        )
        session.commit()
        found = session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))
        assert found is not None
        session.expunge(found)
        return found, {"ticket": ticket.id, **desk.ids}


def test_a_completed_visit_asks_once_and_the_link_takes_one_answer(app, client, world):
    survey = _complete(app, world.ids["o_site"])
    assert survey.engineer_id == world.ids["e1"]
    assert not survey.answered
    with app.extensions["dispatch.db"].sessions() as session:
        mail = session.scalar(select(Notification).where(Notification.event == "order.completed"))
        assert mail is not None
        assert mail.to_address == "grace@example.com"
        assert mail.context["survey_token"] == survey.token
        email = delivery.render_for(mail, app.config["DISPATCH"], "zh_Hans")
        assert f"/survey/{survey.token}" in email.text
        assert "轻点一下" in email.text
    # The customer sees the open survey on their page.
    client.post("/account/login", data={"email": "customer@example.com", "password": "correct horse battery"})
    page = client.get("/my/bookings").get_data(as_text=True)
    assert f"/survey/{survey.token}" in page

    # A mistyped link and one past its date are friendly pages, in the reader's language.
    tampered = client.get(f"/survey/{survey.token[:-2]}xx")
    assert tampered.status_code == 404
    assert "cannot find this survey" in tampered.get_data(as_text=True)
    assert client.post(f"/survey/{'x' * 300}", data={"score": "5"}).status_code == 404
    with app.extensions["dispatch.db"].sessions() as session:
        old = Survey(
            subject=SurveySubject.VISIT,
            order_id=world.ids["o_new"],
            customer_id=world.ids["c1"],
            expires_at=utcnow() - timedelta(days=1),
        )
        session.add(old)
        session.commit()
        old_link = f"/survey/{old.token}"
    gone = client.post(old_link, data={"score": "5"})
    assert gone.status_code == 410
    assert "expired" in gone.get_data(as_text=True)
    chinese = client.get(old_link, headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 410
    assert "已过期" in chinese.get_data(as_text=True)
    assert (
        client.post(f"/api/v1{old_link.replace('/survey/', '/survey-links/')}", json={"score": 5}).status_code
        == 410
    )

    link = f"/survey/{survey.token}"
    asked = client.get(link)
    assert asked.status_code == 200
    assert 'name="score"' in asked.get_data(as_text=True)
    assert "Boiler service" in asked.get_data(as_text=True)
    for score in (0, 6, True, "5", None):
        refused = client.post(f"/api/v1/survey-links/{survey.token}", json={"score": score})
        assert refused.status_code == 422, score
        assert refused.json["message"]
    bad = client.post(link, data={"score": "9"})
    assert bad.status_code == 422
    assert "1 to 5" in bad.get_data(as_text=True)
    first = client.post(link, data={"score": "4", "comment": "On time, tidy work."})
    assert first.status_code == 303
    again = client.post(link, data={"score": "1", "comment": "changed my mind"}, follow_redirects=True)
    text = again.get_data(as_text=True)
    assert again.status_code == 200
    assert "has been answered" in text
    assert "4 of 5" in text
    api = client.post(f"/api/v1/survey-links/{survey.token}", json={"score": 2})
    assert api.status_code == 409
    assert api.json["message"]
    with app.extensions["dispatch.db"].sessions() as session:
        stored = session.get(Survey, survey.id)
        assert stored is not None
        assert (stored.score, stored.comment) == (4, "On time, tidy work.")
        assert stored.review_ticket_id is None
        # Completing the visit again (a replayed action) asks nothing new.
        assert session.scalar(select(Survey.id).where(Survey.order_id == world.ids["o_site"])) == survey.id
    page = client.get("/my/bookings")
    assert f"/survey/{survey.token}" not in page.get_data(as_text=True)

    # Staff read it, paged; the engineer's average is there for the dispatcher.
    listed = client.get("/api/v1/surveys?page_size=10&answered=true", headers=world.h("dispatcher"))
    assert listed.status_code == 200
    assert [s["score"] for s in listed.json] == [4]
    assert "X-Pagination" in listed.headers
    assert client.get("/api/v1/surveys", headers=world.h("customer")).status_code == 403
    rated = client.get(f"/api/v1/engineers/{world.ids['e1']}", headers=world.h("dispatcher")).json
    assert rated["rating"] == {"average": 4.0, "count": 1, "days": 90}
    listed_engineers = client.get("/api/v1/engineers", headers=world.h("dispatcher")).json
    assert {e["id"]: e["rating"] for e in listed_engineers}[world.ids["e2"]] is None
    assert (
        "rating" not in client.get(f"/api/v1/engineers/{world.ids['e1']}", headers=world.h("engineer")).json
    )
    with app.extensions["dispatch.db"].sessions() as session:
        later = utcnow() + timedelta(days=91)
        assert surveys.ratings(session, engineer_ids=[world.ids["e1"]], now=later) == {}
    one = client.get(f"/api/v1/surveys/{survey.id}", headers=world.h("agent")).json
    assert one["comment"] == "On time, tidy work."
    assert one["engineer_id"] == world.ids["e1"]


def test_a_low_score_on_a_resolved_ticket_opens_a_review_for_the_team_lead(app, client, world):
    survey, ids = _resolve(app, world.ids["c1"])
    client.post("/account/login", data={"email": "customer@example.com", "password": "correct horse battery"})
    assert f"/survey/{survey.token}" in client.get("/my/tickets").get_data(as_text=True)
    asked = client.get(f"/survey/{survey.token}", headers={"Accept-Language": "zh-CN"})
    assert "您对我们处理您的请求满意吗" in asked.get_data(as_text=True)
    answered = client.post(
        f"/api/v1/survey-links/{survey.token}", json={"score": 1, "comment": "Nobody called back."}
    )
    assert answered.status_code == 200
    assert answered.json["answered"] is True
    with app.extensions["dispatch.db"].sessions() as session:
        stored = session.get(Survey, survey.id)
        assert stored is not None
        assert stored.review_ticket_id is not None
        review = session.get(Ticket, stored.review_ticket_id)
        assert review is not None
        assert review.kind is TicketKind.COMPLAINT
        assert review.assignee_id == ids["lead"]
        assert review.team_id == ids["second"]
        assert "low_rating" in review.tags
        rated = session.get(Ticket, ids["ticket"])
        assert rated is not None
        assert rated.number in review.messages[0].body
        assert "Nobody called back." in review.messages[0].body
        # The review is a complaint: the lead finds the cause and who was responsible, then resolves
        # it, and resolving the review ticket itself asks the customer nothing.
        from dispatch.complaints import causes
        from dispatch.complaints import service as complaints

        cause = causes.create(session, actor=SYSTEM, name="No call back")
        complaints.update(
            session,
            actor=SYSTEM,
            ticket_id=review.id,
            expected_version=None,
            changes={"cause_id": cause.id, "responsible": "department", "responsible_team_id": ids["second"]},
            limits=complaints.Limits(agent=0, lead=0),
        )
        tickets.change_status(
            session, actor=SYSTEM, ticket_id=review.id, expected_version=None, status=TicketStatus.RESOLVED
        )
        session.commit()
        assert session.scalar(select(Survey).where(Survey.ticket_id == review.id)) is None
