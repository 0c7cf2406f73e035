"""The customer portal's tickets (``/my/tickets``): open a ticket with a photo, follow it, reply.

Server-rendered like the other customer pages and on the same login cookie; every form carries
the CSRF value and a key made when it was rendered, so a double click sends once. A customer sees
only their own tickets (the ticket service checks it) and only the public conversation.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from api import database, idempotency
from api.resources.attachments import store as attachment_store
from api.web import customer_session as account
from api.web import surveys as survey_pages
from dispatch.config import Settings
from dispatch.errors import DomainError, Invalid, NotFound
from dispatch.i18n import _
from dispatch.idempotency.service import KeyInProgress, check_key
from dispatch.tickets import conversation
from dispatch.tickets import service as tickets
from dispatch.tickets.models import MessageKind, TicketChannel, TicketKind
from dispatch.users import service as users
from dispatch.users.models import User

bp = Blueprint("portal", __name__, template_folder="templates")

Page = str | WerkzeugResponse | tuple[str, int]
KINDS = (TicketKind.FAULT, TicketKind.INQUIRY, TicketKind.VISIT_REQUEST, TicketKind.COMPLAINT)


def init_app(app: Flask) -> None:
    """Register the portal's pages."""
    app.register_blueprint(bp)


def _settings() -> Settings:
    configured: Settings = current_app.config["DISPATCH"]
    return configured


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    settings = _settings()
    return render_template(f"portal/{template}", company=settings, csrf=account.csrf(), **context), status


@bp.after_app_request
def _keep_session(response: Response) -> Response:
    """Renew the page cookie while the customer is active."""
    if request.blueprint != "portal":
        return response
    return account.keep_alive(response)


def kind_names() -> dict[str, str]:
    """What each kind of ticket is called on the customer's side."""
    return {
        "fault": str(_("Something is broken")),
        "inquiry": str(_("A question")),
        "visit_request": str(_("I would like a visit")),
        "complaint": str(_("A complaint")),
    }


def status_names() -> dict[str, str]:
    """Where a ticket stands, in the customer's words."""
    return {
        "new": str(_("Received")),
        "open": str(_("Being worked on")),
        "pending": str(_("Waiting for your answer")),
        "on_hold": str(_("Being worked on")),
        "resolved": str(_("Solved")),
        "closed": str(_("Closed")),
        "reopened": str(_("Being worked on")),
    }


@bp.get("/my/tickets")
def tickets_page() -> Page:
    """The customer's tickets, newest first."""
    user = account.current_customer()
    if user is None:
        return account.login_first()
    page = tickets.list_tickets(database.session(), actor=users.actor_for(user), limit=50)
    return _render(
        "tickets.html",
        tickets=page.items,
        statuses=status_names(),
        kinds=kind_names(),
        surveys=survey_pages.waiting_for(user.customer_id),
    )


@bp.route("/my/tickets/new", methods=["GET", "POST"])
def new_ticket() -> Page:
    """Tell us what is wrong or ask something; a photo may go with it."""
    user = account.current_customer()
    if user is None:
        return account.login_first()
    if request.method == "POST":
        return _once(user, lambda: _open(user))
    return _render("new.html", kinds=kind_names(), form={}, error=None)


def _photo() -> bytes | None:
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return None
    data: bytes = upload.read()
    return data


def _upload(user: User, ticket_id: int, data: bytes) -> str:
    limits = _settings()
    attachment_id = uuid.uuid4().hex
    conversation.upload(
        database.session(),
        attachment_store(),
        actor=users.actor_for(user),
        ticket_id=ticket_id,
        attachment_id=attachment_id,
        data=data,
        max_bytes=limits.attachment_max_bytes,
        max_pixels=limits.attachment_max_pixels,
    )
    return attachment_id


def _open(user: User) -> Page:
    form = request.form
    session = database.session()
    actor = users.actor_for(user)
    try:
        kind = TicketKind(form.get("kind", "fault"))
        ticket = tickets.create(
            session,
            actor=actor,
            new=tickets.NewTicket(
                kind=kind,
                subject=form.get("subject", ""),
                body=form.get("body", ""),
                channel=TicketChannel.PORTAL,
            ),
        )
        photo = _photo()
        if photo:
            first = conversation.messages_of(session, actor=actor, ticket_id=ticket.id)[0]
            attachment_id = _upload(user, ticket.id, photo)
            conversation.attach_images(
                session, actor=actor, ticket_id=ticket.id, message_id=first.id, attachment_ids=[attachment_id]
            )
    except (DomainError, ValueError) as exc:
        session.rollback()
        message = (
            str(exc.message) if isinstance(exc, DomainError) else str(_("Please choose what it is about."))
        )
        return _render("new.html", 422, kinds=kind_names(), form=form, error=message)
    return redirect(url_for("portal.ticket_page", ticket_id=ticket.id, opened=1))


@bp.get("/my/tickets/<int:ticket_id>")
def ticket_page(ticket_id: int) -> Page:
    """One ticket: where it stands and the conversation, with a reply form."""
    user = account.current_customer()
    if user is None:
        return account.login_first()
    return _ticket(user, ticket_id, error=None, status=200)


def _ticket(user: User, ticket_id: int, *, error: str | None, status: int) -> Page:
    session = database.session()
    actor = users.actor_for(user)
    ticket = tickets.get(session, actor=actor, ticket_id=ticket_id)
    if ticket is None:
        abort(404)
    messages = conversation.messages_of(session, actor=actor, ticket_id=ticket_id)
    return _render(
        "ticket.html",
        status,
        ticket=ticket,
        messages=messages,
        statuses=status_names(),
        kinds=kind_names(),
        error=error,
        opened=request.args.get("opened"),
        replied=request.args.get("replied"),
        tz=_settings().default_time_zone,
    )


@bp.post("/my/tickets/<int:ticket_id>/reply")
def reply(ticket_id: int) -> Page:
    """Answer on the ticket, with a photo if wanted (once per form)."""
    user = account.current_customer()
    if user is None:
        return account.login_first()
    return _once(user, lambda: _reply(user, ticket_id))


def _reply(user: User, ticket_id: int) -> Page:
    session = database.session()
    actor = users.actor_for(user)
    if tickets.get(session, actor=actor, ticket_id=ticket_id) is None:
        abort(404)
    try:
        photo = _photo()
        ids = [_upload(user, ticket_id, photo)] if photo else []
        conversation.add_message(
            session,
            actor=actor,
            ticket_id=ticket_id,
            kind=MessageKind.PUBLIC_REPLY,
            body=request.form.get("body", ""),
            attachment_ids=ids,
            channel=TicketChannel.PORTAL,
        )
    except DomainError as exc:
        session.rollback()
        return _ticket(user, ticket_id, error=str(exc.message), status=422)
    return redirect(url_for("portal.ticket_page", ticket_id=ticket_id, replied=1, _anchor="reply"))


@bp.get("/my/tickets/<int:ticket_id>/images/<attachment_id>")
def image(ticket_id: int, attachment_id: str) -> Response | WerkzeugResponse:
    """A photo sent on the customer's own ticket."""
    user = account.current_customer()
    if user is None:
        return account.login_first()
    session = database.session()
    try:
        found = conversation.attachment_of(
            session, actor=users.actor_for(user), ticket_id=ticket_id, attachment_id=attachment_id
        )
        from dispatch.attachments import service as attachments

        data = attachments.content(attachment_store(), found)
    except NotFound:
        abort(404)
    response = Response(data, mimetype=found.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def _once(user: User, change: Any) -> Page:
    """Make the change a form asks for once per form key, then commit (a double click sends once)."""
    try:
        key = check_key(request.form.get(idempotency.FORM_FIELD, "").strip())
    except Invalid:
        key = None
    if key is None:
        page = change()
        database.commit()
        return page  # type: ignore[no-any-return]
    try:
        page = idempotency.run_once(
            user_id=user.id, key=key, fingerprint=idempotency.form_fingerprint(), view=change
        )
    except (KeyInProgress, Invalid):
        database.session().rollback()
        return redirect(url_for("portal.tickets_page"))
    database.commit()
    return page
