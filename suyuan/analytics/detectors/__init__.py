"""The detectors, one module per finding type; importing this package registers them all.

Each detector is a function `(facts, dirty, settings) -> candidates`
registered with `@detector(type, reason)`. It looks only at what `dirty`
names (and what that relates to) and answers candidates with a stable anchor,
so running it again over the same facts answers the same candidates.
"""

from suyuan.analytics.detectors import (  # noqa: F401
    brushing, cloned_code, empty_parcel, fake_logistics, fake_review, unsafe_goods,
)
