"""suyuan (溯源): a product-traceability ledger with a verifiable public log."""

__version__ = "0.1.0"
