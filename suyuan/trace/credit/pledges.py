"""Credit pledges (信用承诺): the published list, and the pledges parties make from it.

The list is data (`PLEDGES`, zh and en); a pledge names one code of it plus
free text. A pledge is a `pledge` entry on the party's own chain; an
inspector records a breach (`pledge_breach`) against it, naming the evidence,
which weighs on the party's score like any mark (`suyuan.trace.credit.marks`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from suyuan.errors import InputError
from suyuan.trace.credit.models import CreditPledge

pledges_t = CreditPledge.__table__

PLEDGES: dict[str, dict[str, str]] = {
    "quality": {"zh": "保证所售商品质量合格，来源可查",
        "en": "Goods sold meet quality standards and their source can be checked"},
    "price": {"zh": "明码标价，不虚构原价，不价格欺诈",
        "en": "Prices are marked clearly, with no invented original prices or price fraud"},
    "logistics": {"zh": "如实记录物流信息，按约定时限发货送达",
        "en": "Logistics records are truthful and goods ship and arrive when promised"},
    "payment": {"zh": "资金结算安全及时，不挪用消费者资金",
        "en": "Payments are settled safely and on time; customers' money is never misused"},
    "after_sales": {"zh": "依法履行退换货和售后服务义务",
        "en": "Returns, exchanges and after-sales service are honoured as the law requires"},
    "truthful_information": {"zh": "商品和经营信息真实，不刷单炒信，不虚假宣传",
        "en": "Product and business information is true: no fake orders, fake reviews or false advertising"},
}
PLEDGE_ROLES = ("producer", "merchant", "platform", "courier")


def pledge_list() -> list[dict[str, str]]:
    return [{"code": code, **text} for code, text in PLEDGES.items()]


def check_code(code: Any, field: str = "pledge") -> str:
    if code not in PLEDGES:
        raise InputError(f"Invalid {field}: expected one of {', '.join(PLEDGES)}, got {str(code)[:40]!r}.",
                         field=field)
    return code


def record(conn: Connection, party_id: str, code: str, text: str | None, when: datetime, entry: bytes) -> None:
    conn.execute(pledges_t.insert().values(entry_hash=entry, party_id=party_id, pledge=code, text=text,
                                           time=when, breaches=0))


def pledge_of(conn: Connection, entry: bytes) -> Any:
    return conn.execute(select(pledges_t).where(pledges_t.c.entry_hash == entry)).first()


def note_breach(conn: Connection, entry: bytes) -> None:
    conn.execute(update(pledges_t).where(pledges_t.c.entry_hash == entry)
                 .values(breaches=pledges_t.c.breaches + 1))


def of_party(conn: Connection, party_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(pledges_t).where(pledges_t.c.party_id == party_id)
                        .order_by(pledges_t.c.time, pledges_t.c.entry_hash)).all()
    return [{"entry": bytes(r.entry_hash).hex(), "pledge": r.pledge, **PLEDGES[r.pledge], "text": r.text,
             "time": r.time.isoformat(timespec="seconds").replace("+00:00", "Z"), "breaches": r.breaches}
            for r in rows]
