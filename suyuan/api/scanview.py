"""Words and display lines for the public scan page, in Chinese (default) and English.

The record (`suyuan.trace.journey.public`) holds codes and data; this module turns
them into the sentences a shopper reads. Templates only lay lines out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from suyuan.timestamps import parse_time
from suyuan.trace.events.payloads import CATEGORIES
from suyuan.trace.journey.public import CHINA, Event, PublicRecord, Warning

LANGS = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "商品溯源", "brand": "溯源 suyuan", "switch": "English", "switch_lang": "en",
        "product": "商品", "gtin": "商品条码 GTIN", "serial": "序列号", "lot": "批次", "sscc": "物流码 SSCC",
        "category": "类别", "net_weight": "净含量", "state": "当前状态", "items_in_parcel": "包裹内商品",
        "producer": "生产者（实名登记）", "uscc": "统一社会信用代码", "licences": "许可证",
        "licence_valid": "有效期至", "individual": "个人（实名已登记）",
        "origin": "产地与批次", "origin_place": "产地", "production_date": "生产日期",
        "expiry_date": "保质期至", "quantity": "批次数量", "catch_area": "捕捞海域",
        "vessel": "渔船", "farm": "养殖场", "landing_date": "上岸日期", "certificates": "证书",
        "journey": "流通记录", "no_events": "暂无记录。",
        "verify": "核验", "verified": "此记录已写入签名公开日志，检查点大小 {size}",
        "pending": "{pending} 条记录正在写入签名公开日志（检查点大小 {size}），请稍后刷新。",
        "verify_links": "公开日志检查点", "json": "机器可读记录 (JSON)",
        "scans": "本码已被查询 {count} 次，首次查询于 {first_at}{first_region}。",
        "in_region": "（{region}）",
        "review": "评价", "complain": "投诉", "token": "评价码（签收时获得，rv_ 开头）",
        "rating": "评分", "text": "内容", "submit_review": "提交评价", "submit_complain": "提交投诉",
        "complaint_category": "投诉类型", "forms_note": "凭签收时获得的评价码评价或投诉；不收集姓名、电话。",
        "thanks_review": "感谢评价，已写入溯源记录。", "thanks_complain": "投诉已记录，监管部门可见。",
        "refused": "未能提交：", "back": "返回商品页",
        "warning": "警告",
        "w_recalled": "本批次（{lot}）已被召回，请勿食用或使用，联系商家退货。{reason}",
        "w_expired": "本商品已过保质期（{expiry_date}）。",
        "w_inspection_failed": "本商品或其批次有抽检不合格记录（{time}，{by}）。",
        "w_possible_clone": "疑似仿冒码：本码首次查询于 {first_at}{first_region}，已被查询 {count} 次。",
        "w_possible_clone_short": "疑似仿冒码。",
        "w_clone_many": "短时间内有很多不同的人查询了本码。",
        "w_far_apart": "本码在相距很远的不同省份短时间内被消费者查询。",
        "w_unregistered": "未登记的码：{key} 不在溯源系统中，可能是假冒商品。请勿购买或食用，并向平台或市场监管部门举报（12315）。",
        "w_invalid": "无效的商品码：{detail} 可能是假冒商品，请谨慎。",
        "reason": "原因：", "unknown": "未知",
        "hidden_review": "一条评价已被监管部门隐藏：{reason}",
        "not_found_title": "未查到此商品",
        "w_risk_warning": "监管部门风险提示：{text}（有效至 {ends}）",
        "credit": "信用信息", "credit_level": "信用等级", "pledges": "信用承诺", "seller": "销售商",
        "credit_record": "信用记录",
    },
    "en": {
        "title": "Product trace", "brand": "suyuan 溯源", "switch": "中文", "switch_lang": "zh",
        "product": "Product", "gtin": "GTIN", "serial": "Serial", "lot": "Lot", "sscc": "SSCC",
        "category": "Category", "net_weight": "Net weight", "state": "Status", "items_in_parcel": "Items in parcel",
        "producer": "Producer (real-name registered)", "uscc": "Unified Social Credit Code", "licences": "Licences",
        "licence_valid": "valid to", "individual": "individual (real name registered)",
        "origin": "Origin and batch", "origin_place": "Origin", "production_date": "Production date",
        "expiry_date": "Best before", "quantity": "Batch size", "catch_area": "Catch area",
        "vessel": "Vessel", "farm": "Farm", "landing_date": "Landing date", "certificates": "Certificates",
        "journey": "Journey", "no_events": "No records yet.",
        "verify": "Verification", "verified": "This record is in the signed public log, checkpoint size {size}",
        "pending": "{pending} records are being added to the signed public log (checkpoint size {size}); "
                   "refresh in a moment.",
        "verify_links": "Public log checkpoint", "json": "Machine-readable record (JSON)",
        "scans": "This code has been checked {count} times, first at {first_at}{first_region}.",
        "in_region": " in {region}",
        "review": "Review", "complain": "Complaint", "token": "Review code (given at delivery, starts rv_)",
        "rating": "Rating", "text": "Text", "submit_review": "Submit review", "submit_complain": "Submit complaint",
        "complaint_category": "Kind of complaint",
        "forms_note": "Use the review code you received at delivery; no name or phone is collected.",
        "thanks_review": "Thank you: your review is on the record.",
        "thanks_complain": "Your complaint is recorded and visible to inspectors.",
        "refused": "Not submitted: ", "back": "Back to the product page",
        "warning": "Warning",
        "w_recalled": "This batch ({lot}) is RECALLED: do not eat or use it; return it to the seller. {reason}",
        "w_expired": "This product is past its expiry date ({expiry_date}).",
        "w_inspection_failed": "This product or its batch FAILED an inspection ({time}, {by}).",
        "w_possible_clone": "Possible cloned code: first checked at {first_at}{first_region}; checked {count} times.",
        "w_possible_clone_short": "Possible cloned code.",
        "w_clone_many": "Many different people checked it within a short time.",
        "w_far_apart": "It was checked by consumers in distant provinces within a short time.",
        "w_unregistered": "Unregistered code: {key} is not in the trace system. This may be a counterfeit: "
                          "do not buy or eat it, and report it to the platform or market regulator (12315).",
        "w_invalid": "Invalid product code: {detail} This may be a counterfeit.",
        "reason": "Reason: ", "unknown": "unknown",
        "hidden_review": "A review was hidden by an inspector: {reason}",
        "not_found_title": "Product not found",
        "w_risk_warning": "Risk warning from the regulator: {text} (until {ends})",
        "credit": "Credit", "credit_level": "Credit level", "pledges": "Pledges", "seller": "Seller",
        "credit_record": "Credit record",
    },
}

EVENT_LABELS = {
    "zh": {
        ("register", "product"): "产品登记", ("register", "batch"): "批次登记", ("register", "item"): "赋码登记",
        "assign": "指定销售商", "list": "上架销售", "sell": "售出", "pack": "装箱", "unpack": "拆箱",
        "dispatch": "发货揽收", "transit": "运输中转", "deliver": "签收", "review": "消费者评价",
        "complain": "消费者投诉", "return": "退货", "inspect": "检验", "recall": "召回",
        "recall_lifted": "解除召回", "hide_review": "评价已隐藏", "epcis": "EPCIS 事件",
    },
    "en": {
        ("register", "product"): "Product registered", ("register", "batch"): "Batch registered",
        ("register", "item"): "Item serialised", "assign": "Seller assigned", "list": "Listed for sale",
        "sell": "Sold", "pack": "Packed", "unpack": "Unpacked", "dispatch": "Dispatched",
        "transit": "In transit", "deliver": "Delivered", "review": "Consumer review",
        "complain": "Consumer complaint", "return": "Returned", "inspect": "Inspection",
        "recall": "RECALL", "recall_lifted": "Recall lifted", "hide_review": "Review hidden",
        "epcis": "EPCIS event",
    },
}

STATES = {
    "zh": {"registered": "已登记", "listed": "在售", "sold": "已售出", "dispatched": "运输中",
           "delivered": "已签收", "returned": "已退货", "open": "待发货"},
    "en": {"registered": "registered", "listed": "on sale", "sold": "sold", "dispatched": "in transit",
           "delivered": "delivered", "returned": "returned", "open": "awaiting dispatch"},
}

SIGNED_BY = {"zh": {"recipient": "本人签收", "agent": "他人代收", "locker": "快递柜"},
             "en": {"recipient": "signed by recipient", "agent": "signed by an agent", "locker": "parcel locker"}}
COMPLAINTS = {
    "zh": {"quality": "质量问题", "counterfeit": "疑似假冒", "damaged": "破损", "late": "延误",
           "wrong_item": "发错货", "safety": "安全问题", "other": "其他"},
    "en": {"quality": "quality", "counterfeit": "suspected counterfeit", "damaged": "damaged", "late": "late",
           "wrong_item": "wrong item", "safety": "safety", "other": "other"},
}


def lang_of(value: str | None) -> str:
    return value if value in LANGS else "zh"


def when(value: datetime | str | None) -> str:
    """China time, to the minute: what a shopper reads on a receipt."""
    if isinstance(value, str):
        try:
            value = parse_time(value)
        except ValueError:
            return value
    if value is None:
        return ""
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def category(code: str | None, lang: str) -> str:
    desc = CATEGORIES.get(code or "", (code or "", False))[0]
    # "aquatic products / seafood 水产品": the Chinese name is the last word.
    if lang == "zh" and " " in desc:
        return desc.rsplit(" ", 1)[1]
    return desc.rsplit(" ", 1)[0] if " " in desc else desc


def warning_line(w: Warning, lang: str) -> str:
    t = TEXT[lang]
    p = dict(w.params)
    if w.code == "recalled":
        p["reason"] = t["reason"] + p["reason"] if p.get("reason") else ""
    if w.code == "inspection_failed":
        p["time"] = when(p.get("time")) or t["unknown"]
        p["by"] = p.get("by") or t["unknown"]
    if w.code == "possible_clone":
        if p.get("count") is None:
            line = t["w_possible_clone_short"]
        else:
            region = p.get("first_region_name")
            p["first_region"] = t["in_region"].format(region=region) if region else ""
            p["first_at"] = when(p.get("first_at"))
            line = t["w_possible_clone"].format(**p)
        why = [t["w_clone_many"]] if p.get("many") else []
        why += [t["w_far_apart"]] if p.get("far_apart") else []
        return ("" if lang == "zh" else " ").join([line, *why])
    if w.code == "risk_warning":
        return t["w_risk_warning"].format(text=p["text_" + lang], ends=p["ends"])
    return t["w_" + w.code].format(**p)


def hidden_line(e: Event, lang: str) -> str:
    """What a shopper reads where an inspector hid a review (a `hide_review` event)."""
    return TEXT[lang]["hidden_review"].format(reason=e.data.get("reason") or TEXT[lang]["unknown"])


def notices(rec: PublicRecord, lang: str) -> list[str]:
    """Lines that are not warnings but that a shopper should not miss: reviews hidden, and why."""
    return [hidden_line(e, lang) for e in rec.events if e.type == "hide_review"]


def event_line(e: Event, lang: str) -> dict[str, Any]:
    """Label, who and details of one journey step."""
    labels = EVENT_LABELS[lang]
    label = labels.get((e.type, e.level)) or labels.get(e.type) or e.type
    d, zh = e.data, lang == "zh"
    details: list[str] = []
    if e.type == "inspect":
        ok = d.get("result") == "pass"
        label += ("：合格" if ok else "：不合格") if zh else (": passed" if ok else ": FAILED")
        if d.get("sampling"):
            details.append("抽检" if zh else "sampling")
        if d.get("note"):
            details.append(str(d["note"]))
    elif e.type in ("list", "sell") and d.get("price"):
        details.append(f"¥{d['price']}")
        for k in ("platform", "shop"):
            if d.get(k):
                details.append(str(d[k]))
    elif e.type == "dispatch":
        if d.get("from_region_name") and d.get("to_region_name"):
            details.append(f"{d['from_region_name']} → {d['to_region_name']}")
    elif e.type == "transit":
        action = {"arrive": "到达" if zh else "arrived at", "depart": "离开" if zh else "left"}
        details.append(f"{action.get(d.get('action', 'arrive'), '')} {d.get('hub', '')}".strip())
        if d.get("region_name"):
            details.append(d["region_name"])
    elif e.type == "deliver":
        details.append(SIGNED_BY[lang].get(d.get("signed_by"), ""))
        if d.get("region_name"):
            details.append(d["region_name"])
    elif e.type == "review":
        rating = d.get("rating") if isinstance(d.get("rating"), int) else 0
        details.append("★" * rating + "☆" * (5 - rating))
        if d.get("text"):
            details.append(str(d["text"]))
    elif e.type == "complain":
        details.append(COMPLAINTS[lang].get(d.get("category"), str(d.get("category", ""))))
    elif e.type == "hide_review":
        label = hidden_line(e, lang)
    elif e.type in ("recall", "recall_lifted") and d.get("reason"):
        details.append(str(d["reason"]))
    elif e.type == "register" and e.level == "batch" and d.get("production_date"):
        details.append(("生产日期 " if zh else "produced ") + str(d["production_date"]))
    if d.get("seller"):
        details.append(("销售商：" if zh else "seller: ") + d["seller"])
    if d.get("courier") and e.type in ("sell", "pack"):
        details.append(("承运：" if zh else "courier: ") + d["courier"])
    actor = e.actor
    if e.type in ("review", "complain"):
        actor = ("消费者 " if zh else "consumer ") + actor
    return {"time": when(e.time), "label": label, "actor": actor, "details": [x for x in details if x],
            "alert": e.type == "recall" or (e.type == "inspect" and d.get("result") == "fail"),
            "level": e.level, "type": e.type, "logged": e.log_index is not None}


def page_context(rec: PublicRecord, lang: str) -> dict[str, Any]:
    t = TEXT[lang]
    scans_line = None
    if rec.scans is not None and rec.kind == "item":
        region = rec.scans.first_region
        from suyuan.codes import regions

        scans_line = t["scans"].format(
            count=rec.scans.count, first_at=when(rec.scans.first_at),
            first_region=t["in_region"].format(region=regions.name(region)) if region else "")
    if rec.logged:
        verify_line = t["verified"].format(size=rec.checkpoint_size)
    else:
        verify_line = t["pending"].format(pending=rec.pending, size=rec.checkpoint_size)
    state = (rec.item or rec.parcel or {}).get("state")
    return {
        "rec": rec, "t": t, "lang": lang,
        "warnings": [warning_line(w, lang) for w in rec.warnings],
        "events": [event_line(e, lang) for e in rec.events],
        "category": category((rec.product or {}).get("category"), lang),
        "state": STATES[lang].get(state, state) if state else None,
        "verify_line": verify_line, "scans_line": scans_line,
        "complaints": COMPLAINTS[lang],
        "credit_parties": credit_parties(rec, lang),
    }


def credit_parties(rec: PublicRecord, lang: str) -> list[dict[str, Any]]:
    """The producer's and the seller's credit as the page shows it: name, level, pledges in the page's language."""
    t = TEXT[lang]
    out = []
    for role in ("producer", "seller"):
        pid = (rec.credit or {}).get(role)
        party = (rec.credit or {}).get("parties", {}).get(pid) if pid else None
        if party is None or any(p["id"] == pid for p in out):
            continue
        out.append({"id": pid, "role": t[role], "name": party["name"], "level": party["level"],
                    "licences": party["licences"],
                    "pledges": [p[lang] + (f"（{p['text']}）" if lang == "zh" and p["text"] else
                                           f" ({p['text']})" if p["text"] else "") for p in party["pledges"]]})
    return out
