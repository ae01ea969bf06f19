"""Integrity analytics: detectors that turn the ledger into findings an inspector can act on.

Findings of six types (`candidates.TYPES`): empty parcels, fake logistics,
brushing (fake orders), fake reviews, cloned codes and unsafe goods, each with
reason codes, a score, the party and keys concerned and the entries that prove
it. The detectors (`detectors/`, one module per type) read `Facts`, the
ledger's entries indexed in memory (`facts`, read by `loading`), never HTTP;
`analyzer` runs them in bulk or in a server's wake, `store` keeps what they
find in the findings tables of `suyuan.trace.findings`, idempotently.
"""

from suyuan.analytics import detectors  # noqa: F401  (registers every detector)
from suyuan.analytics.analyzer import Analyzer, Report, analyze

__all__ = ["Analyzer", "Report", "analyze"]
