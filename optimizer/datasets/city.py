"""A seeded, realistic service area: the demo data and the city benchmark both use it.

The city is Greater Manchester. Customers live in real neighbourhoods around the centre, each
neighbourhood a Gaussian cluster; engineers have mixed skills, a home base in one of three teams'
areas, and a shift with a lunch-break window; orders ask for a service type and one or more
two-hour booking windows. Everything is a pure function of ``(orders, seed)``.

Times are integer seconds from local midnight of ``City.day`` in ``City.time_zone``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

HOUR = 3600
MINUTE = 60


@dataclass(frozen=True)
class Point:
    """A WGS84 position."""

    lat: float
    lon: float


@dataclass(frozen=True)
class CitySkill:
    """A skill an engineer holds and a job may require."""

    code: str
    name: str


@dataclass(frozen=True)
class CityServiceType:
    """A kind of on-site job with its typical duration and completion evidence."""

    code: str
    name: str
    duration_s: int
    skills: tuple[str, ...]
    photos_required: bool
    signature_required: bool


@dataclass(frozen=True)
class CityTeam:
    """A team of engineers covering one part of the city."""

    code: str
    name: str
    region: str
    base: Point


@dataclass(frozen=True)
class CityCustomer:
    """A household or business that books visits."""

    ref: str
    name: str
    email: str
    phone: str
    tier: str
    neighbourhood: str


@dataclass(frozen=True)
class CitySite:
    """A place where work is done for a customer."""

    ref: str
    customer_ref: str
    address: str
    point: Point
    access_notes: str


@dataclass(frozen=True)
class CityEngineer:
    """A field engineer with skills and a home base."""

    ref: str
    name: str
    email: str
    phone: str
    skills: tuple[str, ...]
    home: Point
    home_address: str
    team: str


@dataclass(frozen=True)
class CityShift:
    """One engineer's working day, with a lunch break to take inside a window."""

    engineer_ref: str
    start_s: int
    end_s: int
    break_earliest_s: int
    break_latest_s: int
    break_duration_s: int


@dataclass(frozen=True)
class CityOrder:
    """An on-site visit to plan: where, what, how long and when the customer is home."""

    ref: str
    customer_ref: str
    site_ref: str
    service_type: str
    duration_s: int
    skills: tuple[str, ...]
    windows: tuple[tuple[int, int], ...]
    priority: str
    description: str


@dataclass(frozen=True)
class City:
    """A whole generated service area for one working day."""

    name: str
    centre: Point
    time_zone: str
    day: date
    seed: int
    skills: tuple[CitySkill, ...]
    service_types: tuple[CityServiceType, ...]
    teams: tuple[CityTeam, ...]
    customers: tuple[CityCustomer, ...]
    sites: tuple[CitySite, ...]
    engineers: tuple[CityEngineer, ...]
    shifts: tuple[CityShift, ...]
    orders: tuple[CityOrder, ...]

    def at(self, seconds: int) -> datetime:
        """Return the aware local datetime ``seconds`` after midnight of the city's day."""
        midnight = datetime(self.day.year, self.day.month, self.day.day, tzinfo=ZoneInfo(self.time_zone))
        return midnight + timedelta(seconds=seconds)


CENTRE = Point(53.4808, -2.2426)
TIME_ZONE = "Europe/London"
DEFAULT_DAY = date(2026, 12, 1)

# (name, lat, lon, spread in metres, relative weight)
NEIGHBOURHOODS: tuple[tuple[str, float, float, float, float], ...] = (
    ("Ancoats", 53.4840, -2.2250, 500, 1.0),
    ("Didsbury", 53.4166, -2.2311, 900, 1.4),
    ("Chorlton", 53.4420, -2.2770, 800, 1.3),
    ("Salford", 53.4875, -2.2901, 1000, 1.4),
    ("Stretford", 53.4460, -2.3110, 800, 1.0),
    ("Levenshulme", 53.4440, -2.1920, 700, 1.0),
    ("Withington", 53.4330, -2.2290, 600, 0.9),
    ("Fallowfield", 53.4420, -2.2170, 600, 0.9),
    ("Prestwich", 53.5330, -2.2830, 900, 0.9),
    ("Sale", 53.4250, -2.3220, 1000, 1.2),
    ("Stockport", 53.4106, -2.1575, 1200, 1.4),
    ("Altrincham", 53.3870, -2.3490, 1000, 1.0),
    ("Eccles", 53.4830, -2.3340, 800, 0.8),
    ("Urmston", 53.4480, -2.3540, 800, 0.8),
    ("Gorton", 53.4640, -2.1680, 800, 0.9),
    ("Cheetham Hill", 53.5050, -2.2380, 700, 0.8),
    ("Wythenshawe", 53.3920, -2.2640, 1200, 1.1),
    ("Denton", 53.4560, -2.1150, 900, 0.7),
)

TEAMS: tuple[CityTeam, ...] = (
    CityTeam("north", "North team", "North Manchester & Salford", Point(53.5000, -2.2600)),
    CityTeam("south", "South team", "South Manchester & Trafford", Point(53.4150, -2.2700)),
    CityTeam("east", "East team", "East Manchester & Stockport", Point(53.4450, -2.1600)),
)

SKILLS: tuple[CitySkill, ...] = (
    CitySkill("gas", "Gas safe"),
    CitySkill("electrical", "Electrical"),
    CitySkill("plumbing", "Plumbing"),
    CitySkill("hvac", "Heating, ventilation & air conditioning"),
    CitySkill("appliance", "Domestic appliances"),
)

# (code, name, minutes, skills, photos, signature, weight)
_SERVICE_TYPES: tuple[tuple[str, str, int, tuple[str, ...], bool, bool, float], ...] = (
    ("boiler-service", "Annual boiler service", 60, ("gas",), False, True, 3.0),
    ("boiler-repair", "Boiler breakdown repair", 90, ("gas",), True, True, 1.5),
    ("appliance-repair", "Washing machine / oven repair", 45, ("appliance",), True, True, 2.5),
    ("eicr", "Electrical safety inspection (EICR)", 90, ("electrical",), True, True, 1.2),
    ("socket-install", "Socket or light fitting", 45, ("electrical",), False, True, 1.5),
    ("leak-repair", "Leak repair", 60, ("plumbing",), True, True, 2.0),
    ("ac-maintenance", "Air-conditioning maintenance", 75, ("hvac",), False, True, 0.8),
    ("thermostat-install", "Smart thermostat installation", 60, ("hvac", "electrical"), True, True, 0.7),
)
SERVICE_TYPES: tuple[CityServiceType, ...] = tuple(
    CityServiceType(code, name, minutes * MINUTE, skills, photos, signature)
    for code, name, minutes, skills, photos, signature, _ in _SERVICE_TYPES
)

# Engineer skill profiles (trades) with how common each is.
_PROFILES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("gas", "plumbing"), 3.0),
    (("gas", "hvac"), 1.5),
    (("electrical",), 1.5),
    (("electrical", "hvac"), 1.2),
    (("appliance",), 1.5),
    (("appliance", "electrical"), 1.0),
    (("plumbing",), 1.0),
    (("gas", "plumbing", "hvac", "electrical"), 0.6),
)

# The customer is offered two-hour windows between 08:00 and 18:00.
BOOKING_WINDOWS: tuple[tuple[int, int], ...] = tuple((h * HOUR, (h + 2) * HOUR) for h in range(8, 18, 2))

_FIRST = (
    "Olivia Amelia Isla Ava Mia Sophia Grace Lily Freya Emily Ivy Ella Rosie Evie Florence Poppy "
    "Noah Oliver George Arthur Muhammad Leo Harry Oscar Archie Henry Theodore Freddie Jack Charlie "
    "Aisha Priya Zara Hassan Amir Kwame Chen Wei Aleksander Marta Siobhan Declan Niamh Tomasz"
).split()
_LAST = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker "
    "White Roberts Green Hall Wood Jackson Clarke Patel Khan Ahmed Ali Singh Hussain Murphy Kelly "
    "Nowak Kowalski Okafor Mensah Lewis Harris Martin Cooper Hughes Edwards Turner Parker Collins"
).split()
_STREETS = (
    "Wilmslow Oxford Palatine Barlow Moor Beech Manor Church Station Park Victoria Albert Mill "
    "Green Chapel Grange Queens Kings Princess Ashley Clarendon Lapwing Burton Heaton Mauldeth "
    "Derby Ladybarn Egerton Northen Kingsway Hardy Mersey Cavendish Lansdowne Holly Oak Elm"
).split()
_SUFFIXES = ("Road", "Street", "Avenue", "Lane", "Grove", "Close", "Drive", "Terrace")
_BUSINESS = ("Dental", "Bakery", "Lettings", "Café", "Pharmacy", "Nursery", "Gym", "Vets")
_ACCESS_NOTES = (
    "",
    "",
    "",
    "Ring twice, doorbell is faint.",
    "Parking on the street after 9:30 only.",
    "Key safe by the back door, code given by phone.",
    "Dog in the garden: friendly but loud.",
    "Third floor, no lift.",
    "Enter through the side gate.",
    "Customer works nights: knock, do not ring.",
)
_PRIORITIES = (("low", 0.15), ("normal", 0.65), ("high", 0.15), ("urgent", 0.05))

_EARTH_RADIUS_M = 6_371_000.0


def offset(point: Point, north_m: float, east_m: float) -> Point:
    """Move ``point`` by metres north and east (flat-earth, fine at city scale)."""
    lat = point.lat + math.degrees(north_m / _EARTH_RADIUS_M)
    lon = point.lon + math.degrees(east_m / (_EARTH_RADIUS_M * math.cos(math.radians(point.lat))))
    return Point(round(lat, 6), round(lon, 6))


def weighted(rng: random.Random, items: tuple[tuple[str, float], ...]) -> str:
    """Pick one name of ``(name, weight)`` pairs, as often as its weight says."""
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


def _address(rng: random.Random, neighbourhood: str) -> str:
    street = f"{rng.choice(_STREETS)} {rng.choice(_SUFFIXES)}"
    return f"{rng.randint(1, 240)} {street}, {neighbourhood}, Manchester"


def _phone(rng: random.Random) -> str:
    return f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}"


def customer_windows(rng: random.Random, priority: str) -> tuple[tuple[int, int], ...]:
    """Pick the customer's acceptable windows: mostly one two-hour slot, sometimes two or a day."""
    roll = rng.random()
    if priority == "urgent":
        # Urgent work is taken whenever an engineer can get there today.
        return ((8 * HOUR, 18 * HOUR),)
    if roll < 0.08:
        return ((8 * HOUR, 18 * HOUR),)
    if roll < 0.28:
        first, second = sorted(rng.sample(range(len(BOOKING_WINDOWS)), 2))
        return (BOOKING_WINDOWS[first], BOOKING_WINDOWS[second])
    # Morning slots are the most asked for, late afternoon the least.
    slot = rng.choices(range(len(BOOKING_WINDOWS)), weights=[1.3, 1.2, 1.0, 1.0, 0.6])[0]
    return (BOOKING_WINDOWS[slot],)


def _shift(rng: random.Random, engineer_ref: str) -> CityShift:
    # Enough late shifts to keep the 16:00-18:00 slots the company sells.
    pattern = rng.choices(
        [(8, 0, 17, 0), (7, 30, 16, 30), (9, 0, 18, 0), (10, 0, 19, 0)], weights=[4, 2, 3, 1]
    )[0]
    start = pattern[0] * HOUR + pattern[1] * MINUTE
    end = pattern[2] * HOUR + pattern[3] * MINUTE
    return CityShift(
        engineer_ref=engineer_ref,
        start_s=start,
        end_s=end,
        break_earliest_s=12 * HOUR,
        break_latest_s=14 * HOUR,
        break_duration_s=30 * MINUTE,
    )


def engineers_for(orders: int) -> int:
    """Return how many engineers the generated city staffs for ``orders`` visits in a day."""
    # About five visits per engineer-day: travel in a big city, and slack for urgent work.
    return max(3, math.ceil(orders / 5))


def generate_city(orders: int = 200, *, seed: int = 7, day: date = DEFAULT_DAY) -> City:
    """Generate a seeded service area with ``orders`` visits to plan on ``day``."""
    if orders < 1:
        raise ValueError("orders must be at least 1")
    rng = random.Random(seed)
    service_weights = tuple((code, weight) for code, *_, weight in _SERVICE_TYPES)
    service_by_code = {s.code: s for s in SERVICE_TYPES}
    hood_weights = [h[4] for h in NEIGHBOURHOODS]

    # Customers: about one in eight books twice (a second site or a second job at home).
    n_customers = max(1, round(orders * 0.88))
    customers: list[CityCustomer] = []
    sites: list[CitySite] = []
    for i in range(n_customers):
        hood = rng.choices(NEIGHBOURHOODS, weights=hood_weights)[0]
        business = rng.random() < 0.12
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        if business:
            name = f"{last} {rng.choice(_BUSINESS)} ({hood[0]})"
            tier = rng.choices(["standard", "key_account"], weights=[3, 1])[0]
        else:
            name = f"{first} {last}"
            tier = rng.choices(["standard", "vip"], weights=[19, 1])[0]
        ref = f"C{i + 1:05d}"
        customers.append(
            CityCustomer(
                ref=ref,
                name=name,
                email=f"{first.lower()}.{last.lower()}.{i + 1}@example.com",
                phone=_phone(rng),
                tier=tier,
                neighbourhood=hood[0],
            )
        )
        spread = hood[3]
        point = offset(Point(hood[1], hood[2]), rng.gauss(0, spread), rng.gauss(0, spread))
        sites.append(
            CitySite(
                ref=f"S{i + 1:05d}",
                customer_ref=ref,
                address=_address(rng, hood[0]),
                point=point,
                access_notes=rng.choice(_ACCESS_NOTES),
            )
        )

    # Orders: most customers book once; the rest of the orders go to random customers' sites.
    city_orders: list[CityOrder] = []
    for i in range(orders):
        site = sites[i] if i < len(sites) else rng.choice(sites)
        stype = service_by_code[weighted(rng, service_weights)]
        priority = weighted(rng, _PRIORITIES)
        # Real jobs vary around the service type's typical duration, in 5-minute steps.
        minutes = stype.duration_s // MINUTE
        duration = max(20, 5 * round(rng.gauss(minutes, minutes * 0.15) / 5)) * MINUTE
        city_orders.append(
            CityOrder(
                ref=f"O{i + 1:05d}",
                customer_ref=site.customer_ref,
                site_ref=site.ref,
                service_type=stype.code,
                duration_s=duration,
                skills=stype.skills,
                windows=customer_windows(rng, priority),
                priority=priority,
                description=f"{stype.name} at {site.address.split(',')[0]}",
            )
        )

    # Engineers: trades spread over three teams, home bases around each team's area.
    profile_weights = [w for _, w in _PROFILES]
    engineers: list[CityEngineer] = []
    shifts: list[CityShift] = []
    for i in range(engineers_for(orders)):
        team = TEAMS[i % len(TEAMS)]
        skills = rng.choices([p for p, _ in _PROFILES], weights=profile_weights)[0]
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        home = offset(team.base, rng.gauss(0, 2500), rng.gauss(0, 2500))
        ref = f"E{i + 1:04d}"
        engineers.append(
            CityEngineer(
                ref=ref,
                name=f"{first} {last}",
                email=f"{first.lower()}.{last.lower()}.{ref.lower()}@engineers.example.com",
                phone=_phone(rng),
                skills=skills,
                home=home,
                home_address=_address(rng, _nearest_neighbourhood(home)),
                team=team.code,
            )
        )
        shifts.append(_shift(rng, ref))
    cover_every_skill(engineers, city_orders)

    return City(
        name="Greater Manchester",
        centre=CENTRE,
        time_zone=TIME_ZONE,
        day=day,
        seed=seed,
        skills=SKILLS,
        service_types=SERVICE_TYPES,
        teams=TEAMS,
        customers=tuple(customers),
        sites=tuple(sites),
        engineers=tuple(engineers),
        shifts=tuple(shifts),
        orders=tuple(city_orders),
    )


def _nearest_neighbourhood(point: Point) -> str:
    """Name the neighbourhood whose centre is closest to ``point``."""
    return min(NEIGHBOURHOODS, key=lambda h: (h[1] - point.lat) ** 2 + (h[2] - point.lon) ** 2)[0]


def cover_every_skill(engineers: list[CityEngineer], orders: list[CityOrder]) -> None:
    """Make sure every skill set some order needs is held by at least one engineer."""
    for order in orders:
        needed = set(order.skills)
        if any(needed <= set(e.skills) for e in engineers):
            continue
        # Give the need to the engineer whose trade is closest, so the day stays plannable.
        best = max(range(len(engineers)), key=lambda k: len(needed & set(engineers[k].skills)))
        e = engineers[best]
        merged = tuple(sorted(set(e.skills) | needed))
        engineers[best] = CityEngineer(
            e.ref, e.name, e.email, e.phone, merged, e.home, e.home_address, e.team
        )
