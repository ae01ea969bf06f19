"""The synthetic world (issue 10): honest producers, shops, couriers and shoppers, and fraudsters of
every kind, written through the real capture path, with the truth the detectors are scored on.

`WorldParams` says how big (`params`); `generate` plans and writes it and
returns the truth (`truth`). The parts: the cast and goods (`cast`,
`goods`), journeys (`journeys`), the honest business and its look-alike
noise (`honest`), the frauds (`frauds_shops`, `frauds_courier`,
`frauds_goods`, `epcis_kept`), the timeline of event and recorded times
(`timeline`) and the writer (`writer`).
"""

from suyuan.demo.world.generate import generate, plan, world_settings
from suyuan.demo.world.params import KINDS, WorldParams

__all__ = ["KINDS", "WorldParams", "generate", "plan", "world_settings"]
