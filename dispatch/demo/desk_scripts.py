"""What the demo desk says in each city: its agents, teams, categories, rules and tickets, written
as the people there would write them (demo data, not interface text: it is stored, not translated)."""

# ruff: noqa: RUF001 - Chinese text is written with full-width punctuation

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeskTicket:
    """A ticket a customer opened: subject and first message."""

    subject: str
    body: str


@dataclass(frozen=True)
class DeskScript:
    """Everything the desk's demo writes that a person reads."""

    agents: tuple[tuple[str, str, str], ...]
    """(full name, mailbox, team) of the agents beside the demo agent; the last keeps office hours."""
    second_line_skills: tuple[str, ...]
    team_names: tuple[str, str, str]
    """First line, second line, partners."""
    categories: dict[str, str]
    """Category names by role: heating, boiler (under heating, needs the skills), plumbing, leak
    (under plumbing), electrical, appointments, billing."""
    rule_names: tuple[str, str, str, str]
    """Leaks, key accounts, complaints, everything else."""
    leak_words: tuple[str, ...]
    tickets: tuple[DeskTicket, ...]
    """A fault (boiler), a leak, a question about a visit, a billing question, a complaint, a visit request."""
    stranger: DeskTicket
    stranger_sender: tuple[str, str]
    """(email, name) of someone who is not a customer yet."""
    replies: tuple[str, str, str]
    """The agent's reply to the fault, the answer about the visit, the internal note on the bill."""
    escalation_reason: str
    root_causes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """The complaints' root-cause tree: (cause, its sub-causes)."""
    rubric: tuple[tuple[str, int, bool], ...] = ()
    """The quality rubric: (item, weight, critical)."""


MANCHESTER = DeskScript(
    agents=(
        ("Bo Brennan", "bo", "first"),
        ("Cleo Ahmed", "cleo", "first"),
        ("Dara Quinn", "dara", "second"),
        ("Eli Novak", "eli", "second"),
    ),
    second_line_skills=("gas",),
    team_names=("First line", "Second line", "Partner installers"),
    categories={
        "heating": "Heating",
        "boiler": "Boiler",
        "plumbing": "Plumbing",
        "leak": "Leak",
        "electrical": "Electrical",
        "appointments": "Appointments",
        "billing": "Billing",
    },
    rule_names=(
        "Leaks are urgent, for the second line",
        "Key accounts and VIPs to the second line",
        "Complaints to the second line",
        "Everything else to the first line",
    ),
    leak_words=("leak", "leaking", "flood", "漏水"),
    tickets=(
        DeskTicket(
            "Boiler shows F28, no hot water", "Caller says the boiler stopped this morning and shows F28."
        ),
        DeskTicket("Water leaking under the kitchen sink", "There is water on the floor every morning."),
        DeskTicket("When is my engineer coming?", "Hello, can you tell me the time of my visit?"),
        DeskTicket("Invoice question", "I was charged twice for the last visit."),
        DeskTicket("Engineer left the garden gate open", "The dog got out after the visit yesterday."),
        DeskTicket("Radiators cold upstairs", "Could someone come and bleed the radiators?"),
    ),
    stranger=DeskTicket(
        "Do you install heat pumps?", "Hi, do you install air-source heat pumps in Stockport?"
    ),
    stranger_sender=("j.doe@example.net", "Jo Doe"),
    replies=(
        "Sorry to hear that. Is the pressure gauge below 1 bar? We can book a visit tomorrow.",
        "Your visit is planned for tomorrow morning; you can follow it with your tracking link.",
        "Double charge confirmed in billing; refund needs a second-line approval.",
    ),
    escalation_reason="refund approval",
    root_causes=(
        ("Engineer", ("Late or missed arrival", "Workmanship", "Conduct on site")),
        ("Parts", ("Wrong part", "Part out of stock")),
        ("Desk", ("Wrong information given", "No call back")),
        ("Billing", ()),
    ),
    rubric=(
        ("Greets the customer and confirms who they are", 1, False),
        ("Finds and fixes the actual problem", 3, False),
        ("Keeps the customer informed", 2, False),
        ("Checks identity before discussing the account", 1, True),
    ),
)

SHANGHAI = DeskScript(
    agents=(
        ("孙晓东", "sun.xiaodong", "first"),
        ("李婷", "li.ting", "first"),
        ("赵建军", "zhao.jianjun", "second"),
        ("何静", "he.jing", "second"),
    ),
    second_line_skills=("hvac",),
    team_names=("一线客服", "二线支持", "合作安装商"),
    categories={
        "heating": "家电",
        "boiler": "空调",
        "plumbing": "母婴护理",
        "leak": "漏水漏电",
        "electrical": "产后康复",
        "appointments": "预约",
        "billing": "账单发票",
    },
    rule_names=(
        "漏水漏电为紧急，交二线",
        "重点客户和VIP交二线",
        "投诉交二线",
        "其余交一线",
    ),
    leak_words=("漏水", "漏电", "冒烟", "leak"),
    tickets=(
        DeskTicket("空调显示E1，不制冷", "来电说客厅挂机今天早上开始不制冷，面板显示E1。"),
        DeskTicket("空调室内机漏水", "每天早上空调下面的地板上都有一摊水。"),
        DeskTicket("护士什么时候上门？", "您好，请问我的上门产检是几点？"),
        DeskTicket("发票问题", "上次上门服务被扣了两次钱。"),
        DeskTicket("师傅走的时候没关门", "昨天上门服务以后家门没关好，猫跑出去了。"),
        DeskTicket("卧室空调需要清洗", "能不能安排师傅来清洗两台挂机？"),
    ),
    stranger=DeskTicket("你们做产后康复吗？", "您好，请问你们在闵行区提供上门产后康复吗？"),
    stranger_sender=("wang.fang@example.net", "王芳"),
    replies=(
        "很抱歉给您带来不便。请问遥控器上是制冷模式吗？我们明天可以安排师傅上门。",
        "您的上门时间已安排在明天上午，可以通过跟踪链接查看护士的位置。",
        "财务已确认重复扣款，退款需要二线审批。",
    ),
    escalation_reason="退款审批",
    root_causes=(
        ("上门人员", ("迟到或未到", "服务质量", "现场行为")),
        ("配件", ("配件错误", "配件缺货")),
        ("客服", ("提供了错误信息", "未回电")),
        ("计费", ()),
    ),
    rubric=(
        ("问候客户并确认身份", 1, False),
        ("找到并解决实际问题", 3, False),
        ("及时告知客户进展", 2, False),
        ("谈及账户前核实身份", 1, True),
    ),
)
