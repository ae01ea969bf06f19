"""Every table suyuan has, gathered for Alembic and the drift check.

The ledger's models know nothing of the domain; this module is where the
layers meet, so `migrations/env.py` and the tests see one metadata.
"""

from suyuan.ledger.models import Base
from suyuan.trace import models as trace_models  # noqa: F401 - registers the domain tables
from suyuan.trace import people_models  # noqa: F401 - registers its tables
from suyuan.trace import scanlog_models  # noqa: F401 - registers its tables (and an items index)
from suyuan.trace import vault_models  # noqa: F401 - registers its tables

metadata = Base.metadata
