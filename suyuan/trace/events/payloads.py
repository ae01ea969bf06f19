"""Event types: who may append them, to which keys, with which payload.

Each type maps to its GS1 CBV 2.0 bizStep where one exists (CBV §7.1,
`https://ref.gs1.org/cbv/BizStep-...`); `None` means CBV has no equivalent
(reviews, complaints, recalls, which CBV expresses as a disposition).
Payloads are closed pydantic models: unknown fields, floats and oversized
text are refused, and every message names the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from suyuan.errors import InputError
from suyuan.trace.credit.pledges import PLEDGE_ROLES
from suyuan.trace.events.credit_payloads import (
    ComplaintFiled, ComplaintResolved, DishonestDelisted, DishonestListed, FindingDecided, Pledge, PledgeBreach,
    RepairDecided, RepairRequested, Warning,
)
# Field types and the payload base live in `fields` (re-exported: the names payloads always had).
from suyuan.trace.events.fields import (  # noqa: F401
    Commitment, Coordinate, EpcisKept, Grams, IsoDate, LongText, Money, PartyId, Payload, PersonCommitment,
    Region, Sha256, ShortText,
)
CATEGORIES = {
    # code: (description, priority by default: the policy's key categories)
    "aquatic": ("aquatic products / seafood 水产品", True),
    "crystal": ("crystal 水晶", True),
    "farm_produce": ("edible farm produce 食用农产品", True),
    "food": ("food 食品", True),
    "health_food": ("health food 保健食品", True),
    "drugs": ("drugs 药品", True),
    "medical_devices": ("medical devices 医疗器械", True),
    "cosmetics": ("cosmetics 化妆品", True),
    "daily_goods": ("daily consumer goods 日用消费品", False),
}
Category = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]


# --- payloads ----------------------------------------------------------------------


class RegisterProduct(Payload):
    name: ShortText
    category: Category
    priority: bool | None = None
    net_weight_g: Grams | None = None
    brand: ShortText | None = None


class Origin(Payload):
    region: Region
    place: ShortText
    lat: Coordinate | None = None
    lon: Coordinate | None = None


class Seafood(Payload):
    """What a seafood batch record must hold (GB/T 29568-2013)."""

    vessel: ShortText | None = None
    farm: ShortText | None = None
    catch_area: ShortText
    landing_date: IsoDate


class Certificate(Payload):
    name: ShortText
    sha256: Sha256


class RegisterBatch(Payload):
    production_date: IsoDate
    expiry_date: IsoDate | None = None
    shelf_life_days: Annotated[int, Field(gt=0, le=36500)] | None = None
    origin: Origin
    seafood: Seafood | None = None
    certificates: Annotated[list[Certificate], Field(max_length=50)] = []
    quantity: Annotated[int, Field(gt=0, le=10**9)] | None = None


class RegisterItem(Payload):
    seller: PartyId | None = Field(default=None, description="merchant or platform the item is assigned to")
    lot: str | None = Field(default=None, max_length=20, description="batch of an item keyed without /10/")


class Assign(Payload):
    seller: PartyId


class List(Payload):
    price: Money
    currency: Literal["CNY"] = "CNY"
    platform: ShortText | None = None
    shop: ShortText | None = None


class Sell(Payload):
    price: Money
    currency: Literal["CNY"] = "CNY"
    order: Commitment = Field(description="commitment to the order reference")
    courier: PartyId | None = Field(default=None, description="courier the goods are handed to")
    buyer: PersonCommitment | None = Field(
        default=None, description="the buyer's commitment from POST /v1/people (hmac-sha256:<64 hex>)")


class Pack(Payload):
    items: Annotated[list[str], Field(min_length=1, max_length=10000)]
    courier: PartyId | None = None


class Unpack(Payload):
    items: Annotated[list[str], Field(min_length=1, max_length=10000)] | None = None


class Dispatch(Payload):
    waybill: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9\-]+$",
                                  description="a waybill number: letters, digits and hyphens")]
    weight_g: Grams
    from_region: Region
    to_region: Region
    recipient: PersonCommitment | None = Field(
        default=None, description="the recipient's commitment from POST /v1/people (hmac-sha256:<64 hex>)")


class Transit(Payload):
    hub: ShortText
    region: Region
    action: Literal["arrive", "depart"] = "arrive"


class Deliver(Payload):
    signed_by: Literal["recipient", "agent", "locker"]
    region: Region
    recipient: PersonCommitment | None = Field(
        default=None, description="the recipient's commitment from POST /v1/people (hmac-sha256:<64 hex>)")


class Review(Payload):
    rating: Annotated[int, Field(ge=1, le=5)]
    text: Annotated[str, Field(max_length=2000)] = ""
    follow_up_to: Sha256 | None = None


class Complain(Payload):
    category: Literal["quality", "counterfeit", "damaged", "late", "wrong_item", "safety", "other"]
    text: LongText


class Return(Payload):
    reason: ShortText | None = None


class Inspect(Payload):
    result: Literal["pass", "fail"]
    sampling: bool = False
    lab_report_sha256: Sha256 | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None


class Recall(Payload):
    scope: Literal["batch"] = "batch"
    reason: LongText


class RecallLifted(Payload):
    reason: LongText


class HideReview(Payload):
    review: Sha256 = Field(description="hash of the review entry to hide")
    reason: LongText


class Epcis(EpcisKept):
    """An EPCIS 2.0 event with no typed counterpart, recorded whole on each EPC's chain (`suyuan.epcis`)."""

    event: dict[str, Any]
    sizes: dict[str, int]


# --- the vocabulary ----------------------------------------------------------------

TOKEN_HOLDER = "consumer"  # review and complain are appended with a review token, not an API key


@dataclass(frozen=True)
class EventType:
    name: str
    roles: tuple[str, ...]
    keys: tuple[str, ...]  # product | batch | item | parcel
    bizstep: str | None
    payloads: dict[str, type[BaseModel]]

    def payload_model(self, kind: str) -> type[BaseModel]:
        return self.payloads.get(kind) or self.payloads["*"]


def _t(name, roles, keys, bizstep, payload) -> EventType:  # noqa: ANN001
    payloads = payload if isinstance(payload, dict) else {"*": payload}
    return EventType(name, tuple(roles), tuple(keys), bizstep, payloads)


EVENT_TYPES: dict[str, EventType] = {t.name: t for t in (
    _t("register", ["producer"], ["product", "batch", "item"], "commissioning",
       {"product": RegisterProduct, "batch": RegisterBatch, "item": RegisterItem}),
    _t("assign", ["producer"], ["item"], None, Assign),
    _t("list", ["merchant", "platform"], ["item"], "stocking", List),
    _t("sell", ["merchant", "platform"], ["item"], "retail_selling", Sell),
    _t("pack", ["producer", "merchant", "platform"], ["parcel"], "packing", Pack),
    _t("unpack", ["producer", "merchant", "platform"], ["parcel"], "unpacking", Unpack),
    _t("dispatch", ["courier"], ["item", "parcel"], "shipping", Dispatch),
    _t("transit", ["courier"], ["item", "parcel"], "departing", Transit),  # "arriving" for action=arrive
    _t("deliver", ["courier"], ["item", "parcel"], "receiving", Deliver),
    _t("review", [TOKEN_HOLDER], ["item"], None, Review),
    _t("complain", [TOKEN_HOLDER], ["item"], None, Complain),
    _t("return", ["merchant", "platform"], ["item"], "receiving", Return),
    _t("inspect", ["inspector", "producer"], ["product", "batch", "item"], "inspecting", Inspect),
    _t("recall", ["inspector"], ["batch"], None, Recall),
    _t("recall_lifted", ["inspector"], ["batch"], None, RecallLifted),
    _t("hide_review", ["inspector"], ["item"], None, HideReview),
    # Credit, on a party's own chain 417/<GLN> ("party"); a warning may be about a batch.
    _t("pledge", PLEDGE_ROLES, ["party"], None, Pledge),
    _t("pledge_breach", ["inspector"], ["party"], None, PledgeBreach),
    _t("complaint_filed", ["hotline"], ["party"], None, ComplaintFiled),
    _t("complaint_resolved", ["inspector"], ["party"], None, ComplaintResolved),
    _t("warning", ["inspector"], ["party", "batch"], None, Warning),
    _t("dishonest_listed", ["inspector"], ["party"], None, DishonestListed),
    _t("dishonest_delisted", ["inspector"], ["party"], None, DishonestDelisted),
    _t("repair_requested", PLEDGE_ROLES, ["party"], None, RepairRequested),
    _t("repair_decided", ["inspector"], ["party"], None, RepairDecided),
    # On the subject party's chain, or the first subject key of a finding about goods alone (a cloned code).
    _t("finding_decided", ["inspector"], ["party", "product", "batch", "item", "parcel"], None, FindingDecided),
    # Changes no state; "other" is any GS1 key but a GTIN or SSCC (a GLN, GIAI, GRAI, ...).
    _t("epcis", ["producer", "merchant", "platform", "courier", "inspector"],
       ["product", "batch", "item", "parcel", "other"], None, Epcis),
)}  # fmt: skip


def bizstep(event_type: str, data: dict[str, Any]) -> str | None:
    """The CBV bizStep of an event, e.g. for an EPCIS export."""
    if event_type == "transit":
        return "arriving" if data.get("action", "arrive") == "arrive" else "departing"
    if event_type == "inspect" and data.get("sampling"):
        return "sampling"
    spec = EVENT_TYPES.get(event_type)
    return spec.bizstep if spec else None


def event_type(name: str) -> EventType:
    spec = EVENT_TYPES.get(name)
    if spec is None:
        raise InputError(
            f"Unknown event type {name!r}: expected one of {', '.join(EVENT_TYPES)}.", field="type"
        )
    return spec


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def parse_payload(spec: EventType, kind: str, data: dict[str, Any]) -> BaseModel:
    """Validate `data` for an event of `spec` on a key of `kind`; InputError names the field."""
    if kind not in spec.keys:
        raise InputError(
            f"Invalid key for {spec.name}: expected {' or '.join(_a(k) for k in spec.keys)} key, "
            f"got {_a(kind)} key.",
            field="key",
        )
    try:
        return spec.payload_model(kind).model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        field = f"data.{where}" if where else "data"
        if err["type"] == "extra_forbidden":
            raise InputError(f"Unknown field {field!r} for {spec.name}: remove it.", field=field) from None
        if err["type"] == "missing":
            raise InputError(f"Missing field {field!r} for {spec.name}.", field=field) from None
        msg = err["msg"].rstrip(".")
        if err["type"] == "string_pattern_mismatch":
            desc = _describe(spec.payload_model(kind), err["loc"])
            msg = f"expected {desc}, got {err.get('input')!r}" if desc else msg
        raise InputError(f"Invalid {field} for {spec.name}: {msg}.", field=field) from None


def _describe(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """The description of the field at `loc`, for pattern errors that would otherwise show a regex."""
    current: Any = model
    info = None
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        info = current.model_fields.get(part)
        if info is None:
            return None
        ann = info.annotation
        args = [a for a in getattr(ann, "__args__", ()) if isinstance(a, type)]
        current = next((a for a in [ann, *args] if isinstance(a, type) and issubclass(a, BaseModel)), ann)
    if info is None:
        return None
    for meta in info.metadata:
        if getattr(meta, "description", None):
            return meta.description
    return info.description
