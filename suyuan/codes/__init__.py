"""GS1 codes as a pure library: keys (`keys`, `primary_keys`), element strings and HRI
(`element_strings`), GS1 Digital Link URIs (`digital_link`), scans parsed into ledger keys
(`gs1`), GB/T 2260 regions, QR/EAN-13/GS1-128 rendering, photo decoding and label-sheet
layout (`label_layout`) and writers (`labels`) from plain data.

Imports nothing of suyuan but `errors`: no database, no HTTP, no domain.
"""
