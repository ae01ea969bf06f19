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

    # --- fake_logistics ---

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
        default=10, ge=2, description="fake_review/review_burst: reviews of one merchant within the window."
    )
    analytics_review_burst_share: float = Field(
        default=0.7, gt=0, le=1,
        description="fake_review/review_burst: ...of which at least this share are five-star with short text "
        "or from a recipient with no other delivery.",
    )
    analytics_review_short_text: int = Field(
        default=10, ge=0, description="fake_review: a review text of at most this many characters is short."
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
        default=5, ge=2,
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
