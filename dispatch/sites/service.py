"""Sites: where visits happen. Coordinates are given or geocoded, never invented."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from dispatch.access import STAFF, Actor, Role, refusal
from dispatch.customers import service as customers
from dispatch.errors import Forbidden, Invalid, NotFound
from dispatch.events import service as events
from dispatch.i18n import _
from dispatch.listing import Page, Sort, paginate
from dispatch.orders.models import Order
from dispatch.sites.geocoding import Geocoder, locate
from dispatch.sites.models import LocationSource, Site

_AUDITED = (
    "customer_id",
    "label",
    "address",
    "postcode",
    "city",
    "country_code",
    "latitude",
    "longitude",
    "location_source",
    "access_notes",
    "time_zone",
)
_VIEW = events.fields(*_AUDITED)


def visible(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """Restrict a site query to what the actor may see."""
    if actor.is_staff:
        return stmt
    if actor.role is Role.CUSTOMER:
        return stmt.where(Site.customer_id == actor.customer_id)
    if actor.role is Role.ENGINEER:
        mine = select(Order.site_id).where(Order.engineer_id == actor.engineer_id)
        return stmt.where(Site.id.in_(mine))
    return stmt.where(false())


def get(session: Session, *, actor: Actor, site_id: int) -> Site | None:
    """Return the site if the actor may see it, else None."""
    found: Site | None = session.scalar(visible(select(Site).where(Site.id == site_id), actor))
    return found


def get_or_raise(session: Session, *, actor: Actor, site_id: int) -> Site:
    """Return the site or raise :class:`NotFound`."""
    site = get(session, actor=actor, site_id=site_id)
    if site is None:
        raise NotFound(_("site %(site_id)s not found", site_id=site_id))
    return site


SITE_SORT = Sort(
    {
        "id": Site.id,
        "address": Site.address,
        "postcode": Site.postcode,
        "city": Site.city,
        "created_at": Site.created_at,
    },
    default="id",
)


def list_sites(
    session: Session,
    *,
    actor: Actor,
    customer_id: int | None = None,
    q: str | None = None,
    postcode: str | None = None,
    sort: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[Site]:
    """List the sites the actor may see."""
    stmt = visible(select(Site), actor)
    if customer_id is not None:
        stmt = stmt.where(Site.customer_id == customer_id)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Site.address.ilike(like), Site.label.ilike(like), Site.city.ilike(like)))
    if postcode:
        stmt = stmt.where(Site.postcode.ilike(postcode.strip()))
    return paginate(session, SITE_SORT.apply(stmt, sort), page=page, page_size=page_size)


def check_time_zone(name: str, field: str = "time_zone") -> str:
    """Return ``name`` if it is an IANA time zone, else raise :class:`Invalid`."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(
            _("unknown time zone %(name)s", name=repr(name)), errors={field: ["not an IANA time zone name"]}
        ) from exc
    return name


def _full_address(site: Site) -> str:
    parts = [site.address, site.postcode, site.city, site.country_code]
    return ", ".join(p for p in parts if p)


def _place(site: Site, geocoder: Geocoder | None, lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise Invalid(
            "give both latitude and longitude, or neither",
            errors={"latitude" if lat is None else "longitude": ["missing"]},
        )
    if lat is not None and lon is not None:
        site.latitude, site.longitude = lat, lon
        site.location_source = LocationSource.GIVEN
        return
    place = locate(geocoder, _full_address(site))
    site.latitude, site.longitude = place.latitude, place.longitude
    site.location_source = LocationSource.GEOCODED


def create(
    session: Session,
    *,
    actor: Actor,
    customer_id: int | None,
    address: str,
    geocoder: Geocoder | None,
    default_time_zone: str,
    label: str = "",
    postcode: str = "",
    city: str = "",
    country_code: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    access_notes: str = "",
    time_zone: str | None = None,
) -> Site:
    """Add a site; customers add only their own, staff for any customer; geocodes if needed."""
    if actor.role is Role.CUSTOMER:
        if customer_id not in (None, actor.customer_id):
            raise Forbidden(_("A customer may add sites only to their own account."))
        customer_id = actor.customer_id
    elif actor.role not in STAFF:
        raise refusal(
            actor,
            STAFF | {Role.CUSTOMER},
            _("Your role (%(role)s) may not create sites (allowed: %(allowed)s)."),
        )
    if customer_id is None:
        raise Invalid("say which customer the site belongs to", errors={"customer_id": ["required"]})
    customers.get_or_raise(session, actor=actor, customer_id=customer_id)
    site = Site(
        customer_id=customer_id,
        label=label,
        address=address.strip(),
        postcode=postcode.strip().upper(),
        city=city.strip(),
        country_code=country_code.strip().upper(),
        access_notes=access_notes,
        time_zone=check_time_zone(time_zone or default_time_zone),
    )
    _place(site, geocoder, latitude, longitude)
    session.add(site)
    session.flush()
    events.record(
        session,
        actor=actor,
        entity_type="site",
        entity_id=site.id,
        action="created",
        after=events.snapshot(site, _AUDITED),
    )
    return site


def update(
    session: Session,
    *,
    actor: Actor,
    site_id: int,
    changes: Mapping[str, Any],
    geocoder: Geocoder | None,
) -> Site:
    """Change a site; a new address without coordinates is geocoded again."""
    if actor.role is Role.ENGINEER:
        raise Forbidden(_("An engineer may not change sites."))
    site = get_or_raise(session, actor=actor, site_id=site_id)
    address_fields = ("address", "postcode", "city", "country_code")
    old_address = [getattr(site, k) for k in address_fields]
    with events.recording(session, actor=actor, entity=site, entity_type="site", view=_VIEW):
        for name in ("label", *address_fields, "access_notes"):
            if name in changes:
                value = str(changes[name]).strip()
                setattr(site, name, value.upper() if name in ("postcode", "country_code") else value)
        if "time_zone" in changes:
            site.time_zone = check_time_zone(changes["time_zone"])
        if "latitude" in changes or "longitude" in changes:
            _place(site, geocoder, changes.get("latitude"), changes.get("longitude"))
        elif [getattr(site, k) for k in address_fields] != old_address:
            _place(site, geocoder, None, None)
    return site
