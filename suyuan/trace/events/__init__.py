"""Typed events: payloads, the lifecycle of goods, hard rules, capture, review tokens.
"""
