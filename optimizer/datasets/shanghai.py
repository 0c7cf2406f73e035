"""A seeded Shanghai service area: home-visit nursing and appliance work in the city's districts.

The same shape as the Manchester city (:mod:`optimizer.datasets.city`), so the optimizer, booking
and the benchmarks run on it unchanged. Customers live in real districts (黄浦, 徐汇, 静安, 浦东新区,
闵行, 长宁, 普陀, 杨浦, 虹口), each a Gaussian cluster around its residential centre; names are
written surname first with no split, addresses run from the city to the room
(上海市徐汇区漕溪北路88号3号楼502室), phones are +86 mobiles. The company sends midwives and
nurses (上门产检, 产后康复, 新生儿护理) and technicians (家电维修, 空调清洗); shifts have a one-hour
lunch break. Everything is a pure function of ``(orders, seed)``; times are seconds from local
midnight in Asia/Shanghai.
"""

# ruff: noqa: RUF001 - Chinese text is written with full-width punctuation

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from optimizer.datasets.city import (
    HOUR,
    MINUTE,
    City,
    CityCustomer,
    CityEngineer,
    CityOrder,
    CityServiceType,
    CityShift,
    CitySite,
    CitySkill,
    CityTeam,
    Point,
    cover_every_skill,
    customer_windows,
    engineers_for,
    offset,
    weighted,
)

CENTRE = Point(31.2304, 121.4737)  # 人民广场
TIME_ZONE = "Asia/Shanghai"
DEFAULT_DAY = date(2026, 12, 1)


@dataclass(frozen=True)
class District:
    """A district of the city: where its homes cluster, how spread out, how many customers, its roads."""

    name: str
    lat: float
    lon: float
    spread_m: float
    weight: float
    roads: tuple[str, ...]


DISTRICTS: tuple[District, ...] = (
    District(
        "黄浦区",
        31.2270,
        121.4846,
        700,
        0.8,
        ("南京东路", "淮海中路", "西藏南路", "复兴中路", "瑞金二路", "中山南路"),
    ),
    District(
        "徐汇区",
        31.1886,
        121.4365,
        1300,
        1.3,
        ("漕溪北路", "衡山路", "天钥桥路", "肇嘉浜路", "宜山路", "龙华中路", "田林路"),
    ),
    District(
        "静安区",
        31.2440,
        121.4560,
        1200,
        1.2,
        ("南京西路", "延安中路", "常德路", "愚园路", "共和新路", "万航渡路", "江宁路"),
    ),
    District(
        "浦东新区",
        31.2150,
        121.5450,
        2600,
        2.2,
        ("世纪大道", "张杨路", "浦东南路", "杨高南路", "东方路", "锦绣路", "金桥路", "张衡路"),
    ),
    District(
        "闵行区", 31.1128, 121.3817, 2000, 1.4, ("七莘路", "莘松路", "沪闵路", "都市路", "春申路", "虹井路")
    ),
    District(
        "长宁区",
        31.2130,
        121.4100,
        1000,
        0.9,
        ("长宁路", "延安西路", "仙霞路", "天山路", "定西路", "古北路", "遵义路"),
    ),
    District(
        "普陀区",
        31.2496,
        121.3975,
        1100,
        1.0,
        ("曹杨路", "中山北路", "武宁路", "真北路", "光新路", "金沙江路", "长寿路"),
    ),
    District(
        "杨浦区",
        31.2750,
        121.5200,
        1200,
        1.1,
        ("四平路", "国定路", "黄兴路", "控江路", "平凉路", "邯郸路", "国权路"),
    ),
    District(
        "虹口区",
        31.2700,
        121.4900,
        900,
        0.8,
        ("四川北路", "曲阳路", "东大名路", "大连西路", "西江湾路", "临平路"),
    ),
)

TEAMS: tuple[CityTeam, ...] = (
    CityTeam("puxi-north", "浦西北组", "静安、普陀、杨浦、虹口", Point(31.2600, 121.4600)),
    CityTeam("puxi-south", "浦西南组", "徐汇、长宁、闵行、黄浦", Point(31.1800, 121.4250)),
    CityTeam("pudong", "浦东组", "浦东新区", Point(31.2200, 121.5500)),
)

SKILLS: tuple[CitySkill, ...] = (
    CitySkill("obstetric-nursing", "产科护理（助产士）"),
    CitySkill("postnatal-rehab", "产后康复理疗"),
    CitySkill("neonatal-care", "新生儿护理"),
    CitySkill("appliance", "家电维修"),
    CitySkill("hvac", "空调制冷"),
)

# (code, name, minutes, skills, photos, signature, weight)
_SERVICE_TYPES: tuple[tuple[str, str, int, tuple[str, ...], bool, bool, float], ...] = (
    ("prenatal-visit", "上门产检", 50, ("obstetric-nursing",), False, True, 2.0),
    ("postnatal-recovery", "产后康复", 75, ("postnatal-rehab",), False, True, 1.5),
    ("newborn-care", "新生儿上门护理", 45, ("neonatal-care",), False, True, 1.0),
    ("appliance-repair", "家电维修", 60, ("appliance",), True, True, 2.5),
    ("ac-cleaning", "空调清洗", 60, ("hvac",), True, True, 2.5),
)
SERVICE_TYPES: tuple[CityServiceType, ...] = tuple(
    CityServiceType(code, name, minutes * MINUTE, skills, photos, signature)
    for code, name, minutes, skills, photos, signature, _ in _SERVICE_TYPES
)

# Nurses and midwives on one side, technicians on the other, with how common each profile is.
_PROFILES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("obstetric-nursing", "neonatal-care"), 1.6),
    (("obstetric-nursing",), 0.8),
    (("obstetric-nursing", "postnatal-rehab"), 1.2),
    (("postnatal-rehab",), 1.4),
    (("neonatal-care", "postnatal-rehab"), 0.6),
    (("appliance", "hvac"), 2.8),
    (("appliance",), 1.3),
    (("hvac",), 1.2),
)

# The hundred-odd most common surnames in rough order of frequency, a few compound ones at the end.
_SURNAMES: tuple[str, ...] = (
    *"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤",
    "欧阳",
    "司马",
    "上官",
)
_SURNAME_WEIGHTS = (*(1.0 / (1 + k / 12) for k in range(len(_SURNAMES) - 3)), 0.05, 0.02, 0.02)
_GIVEN_WOMEN = (
    "婷 静 丽 敏 燕 颖 琳 倩 雪 洁 佳怡 欣怡 诗涵 梦瑶 晓雯 思琪 雨萱 慧敏 丹丹 婉清 "
    "雅琴 海燕 晓燕 文静 佳琪 心怡 紫涵 若曦 梓萱 一诺 艺涵 嘉欣 晨曦 美玲 春梅 桂英"
).split()
_GIVEN_MEN = (
    "伟 强 磊 军 洋 勇 杰 涛 明 超 浩然 子轩 宇航 思远 俊杰 文博 晓东 建华 志强 国平 "
    "卫东 海涛 建军 立新 志明 振宇 家豪 天佑 博文 皓轩 明辉 永刚 德胜 一鸣"
).split()
_COMPANY_WORDS = "鼎盛 恒远 瑞丰 华信 金桥 同创 博雅 汇通 明德 嘉禾 启航 新程 宏图 和润 星辰".split()
_COMPANY_TRADES = "科技 贸易 餐饮管理 文化传媒 咨询 物业管理 电子 设计".split()
_MOBILE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 176 177 178 180 181 182 183 185 186 187 188 189 191 198 199"
).split()
_ACCESS_NOTES = (
    "",
    "",
    "",
    "小区门口登记后进入，请报房号。",
    "电梯需要刷卡，到楼下请打电话。",
    "家里有新生儿，请勿按门铃，到了发短信。",
    "地下车库可临时停车，请提前告知车牌。",
    "老式公房，六楼，没有电梯。",
    "请从小区北门进入。",
    "家里有狗，很温顺。",
)
_PRIORITIES = (("low", 0.15), ("normal", 0.65), ("high", 0.15), ("urgent", 0.05))
# Women book the nurses' visits; any adult books the technicians.
_NURSING = frozenset({"prenatal-visit", "postnatal-recovery", "newborn-care"})


def _name(rng: random.Random, *, woman: bool) -> str:
    surname = rng.choices(_SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    return surname + rng.choice(_GIVEN_WOMEN if woman else _GIVEN_MEN)


def _address(rng: random.Random, district: District, *, business: bool = False) -> str:
    """上海市 + district + road + door number, then the building and room (or the floor of an office)."""
    door = f"上海市{district.name}{rng.choice(district.roads)}{rng.randint(1, 1800)}号"
    if business:
        return f"{door}{rng.randint(2, 30)}楼"
    return f"{door}{rng.randint(1, 24)}号楼{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"


def _phone(rng: random.Random) -> str:
    return f"+86 {rng.choice(_MOBILE_PREFIXES)} {rng.randint(0, 9999):04d} {rng.randint(0, 9999):04d}"


def _shift(rng: random.Random, engineer_ref: str) -> CityShift:
    """A day shift with an hour's lunch (午休) starting between 11:30 and 12:30."""
    start_h, end_h = rng.choices([(9, 18), (8, 17), (10, 19)], weights=[5, 3, 2])[0]
    return CityShift(
        engineer_ref=engineer_ref,
        start_s=start_h * HOUR,
        end_s=end_h * HOUR,
        break_earliest_s=11 * HOUR + 30 * MINUTE,
        break_latest_s=13 * HOUR + 30 * MINUTE,
        break_duration_s=HOUR,
    )


def _staff(rng: random.Random, orders: list[CityOrder], count: int) -> list[tuple[str, ...]]:
    """Skill profiles for ``count`` engineers, hired to the day's work: each next one has the skill
    whose booked hours are least covered yet (so a small city has its midwives and its technicians)."""
    need: dict[str, float] = {}
    for order in orders:
        for skill in order.skills:
            need[skill] = need.get(skill, 0.0) + order.duration_s / len(order.skills)
    per_engineer = sum(need.values()) / count
    covered = dict.fromkeys(need, 0.0)
    profiles: list[tuple[str, ...]] = []
    for _ in range(count):
        short = max(sorted(need), key=lambda skill: need[skill] - covered[skill])
        options = [(p, w) for p, w in _PROFILES if short in p]
        profile = rng.choices([p for p, _ in options], weights=[w for _, w in options])[0]
        for skill in profile:
            if skill in covered:
                covered[skill] += per_engineer / len(profile)
        profiles.append(profile)
    return profiles


def nearest_district(point: Point) -> District:
    """The district whose centre is closest to ``point``."""
    return min(DISTRICTS, key=lambda d: (d.lat - point.lat) ** 2 + (d.lon - point.lon) ** 2)


def generate_shanghai(orders: int = 200, *, seed: int = 7, day: date = DEFAULT_DAY) -> City:
    """Generate a seeded Shanghai service area with ``orders`` visits to plan on ``day``."""
    if orders < 1:
        raise ValueError("orders must be at least 1")
    rng = random.Random(seed)
    service_by_code = {s.code: s for s in SERVICE_TYPES}
    service_weights = tuple((code, weight) for code, *_, weight in _SERVICE_TYPES)
    # Each customer's first order is drawn up front: nursing visits are booked by the mother.
    n_customers = max(1, round(orders * 0.88))
    first_service = [weighted(rng, service_weights) for _ in range(n_customers)]
    customers: list[CityCustomer] = []
    sites: list[CitySite] = []
    used_emails: set[str] = set()
    for i in range(n_customers):
        district = rng.choices(DISTRICTS, weights=[d.weight for d in DISTRICTS])[0]
        business = first_service[i] not in _NURSING and rng.random() < 0.12
        if business:
            name = f"上海{rng.choice(_COMPANY_WORDS)}{rng.choice(_COMPANY_TRADES)}有限公司"
            tier = rng.choices(["standard", "key_account"], weights=[3, 1])[0]
        else:
            name = _name(rng, woman=first_service[i] in _NURSING or rng.random() < 0.5)
            tier = rng.choices(["standard", "vip"], weights=[19, 1])[0]
        email = f"{rng.randint(10_000_000, 2_999_999_999)}@example.com"  # QQ-style numeric mailboxes
        while email in used_emails:
            email = f"{rng.randint(10_000_000, 2_999_999_999)}@example.com"
        used_emails.add(email)
        ref = f"C{i + 1:05d}"
        customers.append(CityCustomer(ref, name, email, _phone(rng), tier, district.name))
        point = offset(
            Point(district.lat, district.lon),
            rng.gauss(0, district.spread_m),
            rng.gauss(0, district.spread_m),
        )
        sites.append(
            CitySite(
                ref=f"S{i + 1:05d}",
                customer_ref=ref,
                address=_address(rng, district, business=business),
                point=point,
                access_notes=rng.choice(_ACCESS_NOTES),
            )
        )

    city_orders: list[CityOrder] = []
    for i in range(orders):
        site = sites[i] if i < len(sites) else rng.choice(sites)
        code = first_service[i] if i < len(sites) else weighted(rng, service_weights)
        stype = service_by_code[code]
        priority = weighted(rng, _PRIORITIES)
        minutes = stype.duration_s // MINUTE
        duration = max(20, 5 * round(rng.gauss(minutes, minutes * 0.15) / 5)) * MINUTE
        road_and_door = site.address.split("区", 1)[-1].split("号", 1)[0] + "号"
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
                description=f"{stype.name}（{road_and_door}）",
            )
        )

    engineers: list[CityEngineer] = []
    shifts: list[CityShift] = []
    for i, skills in enumerate(_staff(rng, city_orders, engineers_for(orders))):
        team = TEAMS[i % len(TEAMS)]
        nurse = not {"appliance", "hvac"} & set(skills)
        home = offset(team.base, rng.gauss(0, 2500), rng.gauss(0, 2500))
        ref = f"E{i + 1:04d}"
        engineers.append(
            CityEngineer(
                ref=ref,
                name=_name(rng, woman=nurse or rng.random() < 0.1),
                email=f"{ref.lower()}@engineers.example.com",
                phone=_phone(rng),
                skills=skills,
                home=home,
                home_address=_address(rng, nearest_district(home)),
                team=team.code,
            )
        )
        shifts.append(_shift(rng, ref))
    cover_every_skill(engineers, city_orders)

    return City(
        name="上海市",
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
