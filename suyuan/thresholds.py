"""The integrity analytics' thresholds: part of `Settings` (`SUYUAN_ANALYTICS_*`), kept apart for length.

Every threshold a detector of `suyuan.analytics` applies is here with its
default and what it means; the README's findings section lists them. One
section per finding type.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class Thresholds(BaseSettings):
    analytics_enabled: bool = Field(
        default=True, description="`serve` runs the detectors in the capture's wake (a background thread)."
    )
    analytics_interval: float = Field(
        default=1.0, gt=0, description="Seconds between incremental analysis runs inside `serve`."
    )

    # --- empty_parcel ---
    analytics_weight_ratio: float = Field(
        default=0.3, gt=0, le=1,
        description="empty_parcel/weight_below_net: a dispatch declaring less than this share of its goods' "
        "net weight.",
    )
    analytics_weight_min_net_g: int = Field(
        default=100, ge=0, description="empty_parcel/weight_below_net: goods lighter than this are not judged."
    )
    analytics_unsold_return_minutes: int = Field(
        default=60, ge=0,
        description="empty_parcel/unsold_items: a return whose event time is this close after the sale's (or "
        "before the dispatch's) undid the sale, so what was dispatched was not sold.",
    )

    # --- fake_logistics ---
    analytics_logistics_min_legs: int = Field(
        default=3, ge=1,
        description="fake_logistics: a courier is named for a reason once at least this many of its legs "
        "(parcels or items it dispatched) show it.",
    )
    analytics_logistics_min_share: float = Field(
        default=0.01, ge=0, le=1,
        description="fake_logistics: ... and those legs are at least this share of all the courier's legs "
        "(honest couriers have a stray odd scan).",
    )
    analytics_logistics_evidence_legs: int = Field(
        default=10, ge=1, description="fake_logistics: how many of the courier's worst legs a finding names."
    )
    analytics_too_fast_same_city_minutes: int = Field(
        default=10, ge=0,
        description="fake_logistics/too_fast: fastest plausible delivery within one prefecture-level city "
        "(GB/T 2260 digits 1-4); within one province `min_delivery_minutes` applies.",
    )
    analytics_too_fast_provinces_minutes: int = Field(
        default=120, ge=0,
        description="fake_logistics/too_fast: fastest plausible delivery between two provinces whose pair "
        "`min_delivery_minutes_by_pair` does not name.",
    )
    analytics_pickup_before_sale_minutes: int = Field(
        default=10, ge=0,
        description="fake_logistics/pickup_before_sale: a dispatch more than this many minutes (event time) "
        "before the sale of what it carries (clocks differ a little).",
    )
    analytics_transit_jump_minutes: int = Field(
        default=60, ge=0,
        description="fake_logistics/transit_jump: fastest plausible hop between transit scans in two "
        "provinces, by event time (hubs either side of a border can be an hour apart).",
    )

    # --- brushing ---

    # --- fake_review ---

    # --- cloned_code ---

    # --- unsafe_goods ---
    analytics_expiry_sale_grace_hours: int = Field(
        default=2, ge=0,
        description="unsafe_goods/sold_after_expiry: a sale recorded more than this many hours after the "
        "batch's expiry day ended (its event time backdated to before it).",
    )
    analytics_expiry_dispatch_grace_hours: int = Field(
        default=24, ge=0,
        description="unsafe_goods/sold_after_expiry: a dispatch recorded this long after the expiry day "
        "ended (couriers' offline scans are recorded hours late, honestly).",
    )
    analytics_expiry_delivery_grace_hours: int = Field(
        default=120, ge=0,
        description="unsafe_goods/sold_after_expiry: a delivery (event time) this long after the expiry "
        "day ended: goods sold on their last day may arrive a few days later.",
    )
    analytics_aquatic_transit_share: float = Field(
        default=1.0, gt=0,
        description="unsafe_goods/aquatic_shelf_life: seafood whose dispatch-to-delivery time exceeds this "
        "share of its shelf life (expiry date minus production date).",
    )
    analytics_unsafe_evidence_items: int = Field(
        default=10, ge=1, description="unsafe_goods: how many of a batch's offending items a finding names."
    )
