"""GS1 codes as a pure library: keys, scans and Digital Link URIs (`gs1`), GB/T 2260 regions,
QR/EAN-13/GS1-128 rendering, photo decoding and label-sheet layout from plain data.

Imports nothing of suyuan but `errors`: no database, no HTTP, no domain.
"""
