"""The customer's pages: log in, book a visit in a feasible window, see, move or cancel it, track it.

Server-rendered and small, for a phone. Login puts a flask-jwt-extended access token in an
HttpOnly cookie; every form that changes something carries the token's CSRF value (double submit),
which flask-jwt-extended checks. The tracking page needs no login: its unguessable link is the key.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from api import database, idempotency
from api.resources.attachments import store as attachment_store
from api.resources.sites import geocoder
from api.web import customer_session as account
from api.web import errors as web_errors
from api.web import surveys as survey_pages
from api.web import wording
from dispatch.access import Role
from dispatch.attachments import service as attachments
from dispatch.booking import service as booking
from dispatch.booking import tracking
from dispatch.booking.slots import Policy, Slot
from dispatch.catalog.models import ServiceType
from dispatch.config import Settings
from dispatch.errors import Conflict, DomainError, Invalid, NotFound
from dispatch.i18n import _
from dispatch.idempotency.service import KeyInProgress, check_key
from dispatch.orders import service as orders
from dispatch.orders.models import Order, OrderStatus
from dispatch.sites import service as sites
from dispatch.sites.models import Site
from dispatch.users import service as users
from dispatch.users.models import User
from dispatch.visits import service as visits

bp = Blueprint(
    "customer",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/customer",
)

Page = str | WerkzeugResponse | tuple[str, int]
CANCELLED = "Your visit is cancelled."
MOVED = "Your visit has moved."


def init_app(app: Flask) -> None:
    """Register the pages and set the cookie side of flask-jwt-extended (headers stay as they are)."""
    account.configure(app)
    web_errors.init_app(app)
    app.jinja_env.filters["local"] = _local
    app.jinja_env.globals["new_form_key"] = idempotency.new_key
    app.register_blueprint(bp)


def _settings() -> Settings:
    configured: Settings = current_app.config["DISPATCH"]
    return configured


def _policy() -> Policy:
    return Policy.from_settings(_settings())


def _say(error: DomainError) -> str:
    """The refusal in the customer's words (see :mod:`api.web.wording`)."""
    return wording.for_customers(error, settings=_settings(), can_look_up_addresses=geocoder() is not None)


def _local(moment: datetime | None, time_zone: str, fmt: str = "%a %-d %b, %H:%M") -> str:
    """A UTC instant as people read it in the site's time zone."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(time_zone)).strftime(fmt)


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(f"customer/{template}", **context), status


@bp.context_processor
def _company() -> dict[str, Any]:
    """Every customer page knows the company's name and phone number, and the change policy."""
    settings = _settings()
    return {"company": settings, "change_hours": settings.booking_change_hours, "fixed_once_booked": _fixed}


def _fixed(starts_at: datetime) -> bool:
    """Whether a visit in a window starting then could no longer be moved or cancelled online once booked."""
    return datetime.now(UTC) > starts_at - timedelta(hours=_policy().change_hours)


@bp.after_app_request
def _keep_session(response: Response) -> Response:
    """Renew the page cookie while the customer is active."""
    if request.blueprint != "customer" or request.endpoint == "customer.logout":
        return response
    return account.keep_alive(response)


@bp.route("/account/login", methods=["GET", "POST"])
def login() -> Page:
    """Log in as a customer."""
    target = request.values.get("next") or url_for("customer.bookings")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("customer.bookings")  # never redirect off the site
    if request.method == "GET":
        return _render("login.html", next=target, error=None)
    email = request.form.get("email", "")
    try:
        user = users.authenticate(database.session(), email=email, password=request.form.get("password", ""))
    except DomainError:
        return _render(
            "login.html", 401, next=target, error=str(_("That email and password do not match.")), email=email
        )
    if user.role is not Role.CUSTOMER:
        return _render(
            "login.html",
            403,
            next=target,
            error=str(_("These pages are for customers; staff use the console.")),
            email=email,
        )
    database.commit()
    return account.signed_in(user, redirect(target))


@bp.post("/account/logout")
def logout() -> Page:
    """Log out: forget the cookie and revoke its token."""
    return account.signed_out(redirect(url_for("customer.login")))


def _actor(user: User) -> Any:
    return users.actor_for(user)


def _service_types() -> list[ServiceType]:
    return list(
        database.session().scalars(
            select(ServiceType).where(ServiceType.active.is_(True)).order_by(ServiceType.name)
        )
    )


def _day(raw: str | None, time_zone: str) -> date:
    today = datetime.now(UTC).astimezone(ZoneInfo(time_zone)).date()
    try:
        return date.fromisoformat(raw) if raw else today + timedelta(days=1)
    except ValueError:
        return today + timedelta(days=1)


def _chronological(slots: list[Slot]) -> list[Slot]:
    return sorted(slots, key=lambda s: s.starts_at)


@bp.get("/book")
def book() -> Page:
    """Choose a service, an address and a day; see the windows the engineers' routes can keep."""
    user = account.current_customer()
    if user is None:
        return account.login_first()
    session = database.session()
    tz = _settings().default_time_zone
    my_sites = list(session.scalars(_sites_of(user)))
    args = request.args
    day = _day(args.get("day"), tz)
    context: dict[str, Any] = {
        "services": _service_types(),
        "sites": my_sites,
        "day": day,
        "today": datetime.now(UTC).astimezone(ZoneInfo(tz)).date(),
        "horizon_delta": timedelta(days=_policy().days_ahead),
        "chosen": args,
        "slots": None,
        "error": None,
        "place": None,
        "csrf": account.csrf(),
        "tz": tz,
    }
    if args.get("service_type_id") and (args.get("site_id") or args.get("address", "").strip()):
        try:
            place, site = _place_of(user, args)
            context["place"], context["site"] = place, site
            context["slots"] = _chronological(
                booking.find_slots(
                    session,
                    actor=_actor(user),
                    service_type_id=int(args["service_type_id"]),
                    day=day,
                    place=place,
                    policy=_policy(),
                )
            )
        except (DomainError, ValueError) as exc:
            context["error"] = _say(exc) if isinstance(exc, DomainError) else str(_("Please check the form."))
    return _render("book.html", **context)


def _sites_of(user: User) -> Any:
    return select(Site).where(Site.customer_id == user.customer_id).order_by(Site.id)


def _place_of(user: User, values: Any) -> tuple[booking.Place, Site | None]:
    """The place the form names: one of the customer's sites, or an address (geocoded)."""
    tz = _settings().default_time_zone
    if values.get("site_id"):
        site = sites.get_or_raise(database.session(), actor=_actor(user), site_id=int(values["site_id"]))
        return booking.Place(site.latitude, site.longitude, site.time_zone), site
    lat, lon = values.get("latitude"), values.get("longitude")
    place = booking.resolve_place(
        address=values.get("address"),
        latitude=float(lat) if lat else None,
        longitude=float(lon) if lon else None,
        geocoder=geocoder(),
        default_time_zone=tz,
    )
    return place, None


@bp.post("/book")
def book_submit() -> Page:
    """Book the chosen window once per form; if it has just gone, show the windows still free."""
    user = account.current_customer()
    if user is None:
        return account.login_first()
    return _once(user, lambda: _book(user))


def _book(user: User) -> Page:
    form = request.form
    session = database.session()
    try:
        starts_at = datetime.fromisoformat(form["starts_at"])
        ends_at = datetime.fromisoformat(form["ends_at"])
        order, _link = booking.book(
            session,
            actor=_actor(user),
            service_type_id=int(form["service_type_id"]),
            window=orders.Window(starts_at, ends_at),
            policy=_policy(),
            geocoder=geocoder(),
            default_time_zone=_settings().default_time_zone,
            site_id=int(form["site_id"]) if form.get("site_id") else None,
            address=form.get("address") or None,
            latitude=float(form["latitude"]) if form.get("latitude") else None,
            longitude=float(form["longitude"]) if form.get("longitude") else None,
            description=form.get("description", "")[:2000],
        )
    except Conflict as exc:
        session.rollback()
        return _retry_page(user, exc)
    except (DomainError, KeyError, ValueError) as exc:
        session.rollback()
        message = _say(exc) if isinstance(exc, DomainError) else str(_("Please choose a time and try again."))
        return _render(
            "message.html",
            422,
            title=_("We could not book that"),
            message=message,
            back=url_for("customer.book"),
        )
    return redirect(url_for("customer.booking_page", order_id=order.id, booked=1))


def _once(user: User, change: Any) -> Page:
    """Make the change a form asks for once per form, then commit.

    The form carries a key made when it was rendered, so a double click, a resubmit after the back
    button or a retry gets the first answer again instead of doing it twice. A refusal the page shows
    itself (the form again, with what was wrong) is not kept: the same form may be sent again once the
    customer has put it right.
    """
    try:
        key = check_key(request.form.get(idempotency.FORM_FIELD, "").strip())
    except Invalid:
        key = None  # no key (or a mangled one): the change runs as it would without
    if key is None:
        page = change()
        database.commit()
        return page  # type: ignore[no-any-return]
    try:
        page = idempotency.run_once(
            user_id=user.id,
            key=key,
            fingerprint=idempotency.form_fingerprint(),
            view=change,
        )
    except KeyInProgress:
        database.session().rollback()
        return _render(
            "message.html",
            409,
            title=_("Still working on it"),
            message=_(
                "We are still saving what you sent a moment ago. Please look at your visits in a minute."
            ),
            back=url_for("customer.bookings"),
        )
    except Invalid:
        database.session().rollback()
        return _render(
            "message.html",
            409,
            title=_("This form was already sent"),
            message=_(
                "Nothing new was done, because this form was already sent once. "
                "Your visits are listed on the next page; to make another change, start again from there."
            ),
            back=url_for("customer.bookings"),
        )
    database.commit()
    return page


def _retry_page(user: User, exc: Conflict) -> Page:
    """The window went while the customer was choosing: offer what is still free."""
    form = request.form
    return _render(
        "book.html",
        409,
        services=_service_types(),
        sites=list(database.session().scalars(_sites_of(user))),
        day=_day(form.get("day"), _settings().default_time_zone),
        today=datetime.now(UTC).astimezone(ZoneInfo(_settings().default_time_zone)).date(),
        horizon_delta=timedelta(days=_policy().days_ahead),
        chosen=form,
        slots=_slots_from(exc),
        error=_("Sorry, someone has just booked that window. These are still free:"),
        place=True,
        csrf=account.csrf(),
        tz=_settings().default_time_zone,
    )


def _slots_from(exc: Conflict) -> list[dict[str, Any]]:
    raw = (exc.errors or {}).get("slots", [])
    out = []
    for s in raw:
        out.append(
            {
                "starts_at": datetime.fromisoformat(s["starts_at"]),
                "ends_at": datetime.fromisoformat(s["ends_at"]),
            }
        )
    return sorted(out, key=lambda s: s["starts_at"])


@bp.get("/my/bookings")
def bookings() -> Page:
    """The customer's visits, next first."""
    user = account.current_customer()
    if user is None:
        return account.login_first()
    stmt = select(Order).where(Order.customer_id == user.customer_id).order_by(Order.id.desc()).limit(200)
    mine = list(database.session().scalars(stmt))
    coming = sorted((o for o in mine if o.status not in _DONE), key=_visit_date)
    earlier = sorted((o for o in mine if o.status in _DONE), key=_visit_date, reverse=True)
    return _render(
        "bookings.html",
        surveys=survey_pages.waiting_for(user.customer_id),
        coming=coming,
        earlier=earlier,
        headlines=tracking.HEADLINES,
        user=user,
        csrf=account.csrf(),
    )


def _visit_date(order: Order) -> datetime:
    """When the visit is (its first window), for sorting the customer's list by visit date."""
    return order.time_windows[0].starts_at if order.time_windows else order.created_at


def _mine(user: User, order_id: int) -> Order:
    order = orders.get(database.session(), actor=_actor(user), order_id=order_id)
    if order is None:
        abort(404)
    return order


@bp.get("/my/bookings/<int:order_id>")
def booking_page(order_id: int) -> Page:
    """One visit: when, who, the tracking link; move or cancel it while the policy allows."""
    user = account.current_customer()
    if user is None:
        return account.login_first()
    session = database.session()
    order = _mine(user, order_id)
    link = tracking.link_for(session, actor=_actor(user), order_id=order.id)
    database.commit()
    policy = _policy()
    deadline = booking.change_deadline(order, policy)
    changeable = order.status in booking.CHANGEABLE and (deadline is None or datetime.now(UTC) <= deadline)
    report = (
        visits.report(session, actor=_actor(user), order_id=order.id) if order.status in REPORTED else None
    )
    return _render(
        "booking.html",
        order=order,
        report=report,
        view=tracking.track(session, token=link.token),
        tracking_url=url_for("customer.track", token=link.token, _external=True),
        deadline=deadline,
        changeable=changeable,
        open=order.status in booking.CHANGEABLE,
        booked=request.args.get("booked"),
        message=NOTICES.get(request.args.get("message") or ""),
        csrf=account.csrf(),
        tz=order.site.time_zone,
    )


NOTICES = {
    CANCELLED: _("Your visit is cancelled."),
    MOVED: _("Your visit has moved."),
}
"""What the visit's page says after a change it was sent back from (the link names the change in English)."""

REPORTED = frozenset({OrderStatus.COMPLETED, OrderStatus.INCOMPLETE})
"""Visits whose report (photos, signature, notes) the customer sees on the visit's page."""


@bp.get("/my/bookings/<int:order_id>/images/<attachment_id>")
def image(order_id: int, attachment_id: str) -> Response | WerkzeugResponse:
    """A photo or the signature of the customer's own visit (the page's login, not a bearer token)."""
    user = account.current_customer()
    if user is None:
        return account.login_first()
    try:
        found = attachments.get_or_raise(database.session(), actor=_actor(user), attachment_id=attachment_id)
        if found.order_id != order_id:
            raise NotFound("not an image of this visit")
        data = attachments.content(attachment_store(), found)
    except NotFound:
        abort(404)
    response = Response(data, mimetype=found.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/my/bookings/<int:order_id>/cancel")
def cancel(order_id: int) -> Page:
    """Cancel the visit, or say why it cannot be cancelled online any more."""
    user = account.current_customer()
    if user is None:
        return account.login_first()
    return _once(user, lambda: _cancel(user, order_id))


def _cancel(user: User, order_id: int) -> Page:
    session = database.session()
    reason = (request.form.get("reason") or "").strip() or "cancelled by the customer"
    try:
        booking.cancel(session, actor=_actor(user), order_id=order_id, reason=reason[:2000], policy=_policy())
    except NotFound:
        abort(404)
    except DomainError as exc:
        session.rollback()
        return _render(
            "message.html",
            409,
            title=_("This visit cannot be cancelled online"),
            message=_say(exc),
            back=url_for("customer.booking_page", order_id=order_id),
        )
    return redirect(url_for("customer.booking_page", order_id=order_id, message=CANCELLED))


@bp.route("/my/bookings/<int:order_id>/reschedule", methods=["GET", "POST"])
def reschedule(order_id: int) -> Page:
    """Pick another window for the visit (once per form)."""
    user = account.current_customer()
    if user is None:
        return account.login_first()
    order = _mine(user, order_id)
    if request.method == "POST":
        return _once(user, lambda: _move(user, order))
    return _reschedule_page(user, order, error=None)


def _move(user: User, order: Order) -> Page:
    """Move the visit to the posted window: the visit's page, or the choice again with what was wrong."""
    order_id = order.id
    try:
        window = orders.Window(
            datetime.fromisoformat(request.form["starts_at"]),
            datetime.fromisoformat(request.form["ends_at"]),
        )
        booking.reschedule(
            database.session(), actor=_actor(user), order_id=order_id, window=window, policy=_policy()
        )
    except (DomainError, KeyError, ValueError) as exc:
        database.session().rollback()
        error = _say(exc) if isinstance(exc, DomainError) else str(_("Please choose a time."))
        return _reschedule_page(user, _mine(user, order_id), error=error)
    return redirect(url_for("customer.booking_page", order_id=order_id, message=MOVED))


def _reschedule_page(user: User, order: Order, *, error: str | None) -> Page:
    tz = order.site.time_zone
    day = _day(request.values.get("day"), tz)
    slots: list[Slot] = []
    try:
        booking.check_changeable(
            order, actor=_actor(user), policy=_policy(), now=datetime.now(UTC), what="moved"
        )
        slots = _chronological(
            booking.find_slots(
                database.session(),
                actor=_actor(user),
                service_type_id=order.service_type_id,
                day=day,
                place=booking.Place(order.site.latitude, order.site.longitude, tz),
                policy=_policy(),
                leave_out=order.id,
            )
        )
    except DomainError as exc:
        error = error or _say(exc)
    current = order.time_windows[0].starts_at if order.time_windows else None
    slots = [s for s in slots if s.starts_at != current]  # moving to the same window changes nothing
    return _render(
        "reschedule.html",
        409 if error and request.method == "POST" else 200,
        order=order,
        slots=slots,
        day=day,
        today=datetime.now(UTC).astimezone(ZoneInfo(tz)).date(),
        horizon_delta=timedelta(days=_policy().days_ahead),
        error=error,
        csrf=account.csrf(),
        tz=tz,
    )


@bp.get("/track/<token>")
def track(token: str) -> Page:
    """The public tracking page (refreshes itself every 30 seconds)."""
    try:
        view = tracking.track(database.session(), token=token)
    except NotFound:
        return _render("not_found.html", 404)
    return _render("track.html", view=view, tz=view.time_zone, done=view.status in _DONE)


_DONE = frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.INCOMPLETE})
