from tests.api.conftest import cast, client, ledger  # noqa: F401  # both engines, one party per role
