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

    # --- fake_review ---

    # --- cloned_code ---

    # --- unsafe_goods ---
