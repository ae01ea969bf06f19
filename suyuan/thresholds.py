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
    analytics_brush_window_minutes: int = Field(
        default=1440, gt=0,
        description="brushing/one_recipient_many_shops: the window in which one person's orders are counted.",
    )
    analytics_brush_min_shops: int = Field(
        default=5, ge=2,
        description="brushing/one_recipient_many_shops: distinct shops ordering to one buyer or recipient "
        "within the window.",
    )
    analytics_brush_min_orders: int = Field(
        default=6, ge=2,
        description="brushing/one_recipient_many_shops: orders to that person within the window.",
    )
    analytics_fake_leg_min: int = Field(
        default=3, ge=1,
        description="brushing/fake_courier_leg: a merchant's shipments with an empty or faked courier leg.",
    )
    analytics_fake_leg_share: float = Field(
        default=0.1, gt=0, le=1,
        description="brushing/fake_courier_leg: ...and their least share of the merchant's shipments.",
    )
    analytics_fake_leg_min_km: float = Field(
        default=300, ge=0,
        description="brushing/fake_courier_leg: a delivery with no transit scan over a route at least this "
        "long (province capitals apart), or faster than the province-pair speed bound, is a faked leg.",
    )
    analytics_cycle_min_returns: int = Field(
        default=2, ge=2,
        description="brushing/sell_return_cycles: an item sold, delivered and returned this many times cycles.",
    )
    analytics_cycle_min_cycles: int = Field(
        default=3, ge=1,
        description="brushing/sell_return_cycles: a merchant's repeat returns (each cycling item's returns after "
        "its first), summed over its items.",
    )
    analytics_burst_window_minutes: int = Field(
        default=360, gt=0,
        description="brushing/burst_from_new_buyers: the window of a burst of sales.",
    )
    analytics_burst_min_sales: int = Field(
        default=8, ge=2,
        description="brushing/burst_from_new_buyers: sales to buyers with no other activity within the window.",
    )
    analytics_burst_new_share: float = Field(
        default=0.7, gt=0, le=1,
        description="brushing/burst_from_new_buyers: ...and their least share of the window's sales.",
    )

    # --- fake_review ---
    analytics_review_burst_minutes: int = Field(
        default=180, gt=0, description="fake_review/review_burst: the window of a burst of reviews."
    )
    analytics_review_burst_min: int = Field(
        default=6, ge=2, description="fake_review/review_burst: reviews of one merchant within the window."
    )
    analytics_review_burst_share: float = Field(
        default=0.9, gt=0, le=1,
        description="fake_review/review_burst: ...of which at least this share are five-star.",
    )
    analytics_review_fast_minutes: int = Field(
        default=10, gt=0,
        description="fake_review/reviews_right_after_delivery: a review this soon after its delivery is fast.",
    )
    analytics_review_fast_min: int = Field(
        default=8, ge=1, description="fake_review/reviews_right_after_delivery: fast reviews of one merchant."
    )
    analytics_review_fast_share: float = Field(
        default=0.5, gt=0, le=1,
        description="fake_review/reviews_right_after_delivery: ...and their least share of its reviews.",
    )
    analytics_review_brushed_min: int = Field(
        default=3, ge=1,
        description="fake_review/five_star_brushing: five-star reviews of a merchant's brushed orders.",
    )
    analytics_reviewer_window_minutes: int = Field(
        default=1440, gt=0,
        description="fake_review/one_reviewer_many_shops: the window in which one recipient's reviews are counted.",
    )
    analytics_reviewer_min_shops: int = Field(
        default=3, ge=2,
        description="fake_review/one_reviewer_many_shops: distinct shops one recipient reviews within the window.",
    )

    # --- cloned_code ---
    analytics_clone_speed_kmh: float = Field(
        default=800, gt=0,
        description="cloned_code/distant_regions: the fastest plausible travel between province capitals "
        "(a flight), beside analytics_clone_overhead_minutes.",
    )
    analytics_clone_overhead_minutes: int = Field(
        default=60, ge=0,
        description="cloned_code/distant_regions: time any trip between provinces takes on top of the distance.",
    )
    analytics_clone_min_km: float = Field(
        default=300, ge=0,
        description="cloned_code/distant_regions: provinces closer than this (capitals apart) are not judged.",
    )
    analytics_checks_window_minutes: int = Field(
        default=4320, gt=0,
        description="cloned_code/too_many_checks: the window in which distinct checkers are counted.",
    )
    analytics_checks_max: int = Field(
        default=8, ge=2,
        description="cloned_code/too_many_checks: distinct checkers (a pseudonym per client and day) of one "
        "serial within the window.",
    )
    analytics_unregistered_min_checks: int = Field(
        default=1, ge=1,
        description="cloned_code/unregistered_serial: consumer checks of a serial never registered under a "
        "registered GTIN.",
    )

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
