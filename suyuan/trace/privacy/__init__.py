"""Personal data kept out of the ledger: the vault, people and their commitments, masking.
"""
