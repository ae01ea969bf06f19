"""Goods: products (GTIN), batches (lot), serialised items and parcels (SSCC).
"""
