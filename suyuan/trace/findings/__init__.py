"""Findings: scored, evidenced judgements about parties and keys (fake orders, empty
parcels, fake logistics, fake reviews, cloned codes, unsafe goods).

This room holds what a finding is and where it is kept; the detectors that make them
live in `suyuan.analytics`, the credit record that weighs them in `suyuan.trace.credit`.
"""
