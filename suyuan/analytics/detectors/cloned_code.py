"""Detectors of `cloned_code` findings (see `suyuan.analytics.candidates.TYPES` for the reasons)."""

from __future__ import annotations
