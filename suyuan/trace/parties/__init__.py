"""Parties (主体): real-name registration, roles, status, API keys and statement-signing keys.
"""
