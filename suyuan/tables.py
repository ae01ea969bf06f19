"""Every table suyuan has, gathered for Alembic and the drift check.

The ledger's models know nothing of the domain; this module is where the
layers meet, so `migrations/env.py` and the tests see one metadata.
"""

from suyuan.epcis import models as epcis_models  # noqa: F401 - registers capture jobs and the EPCIS index
from suyuan.ledger.models import Base
from suyuan.trace.credit import models as credit_models  # noqa: F401 - registers the credit record
from suyuan.trace.events import models as events_models  # noqa: F401 - registers flags, deliveries, tokens
from suyuan.trace.findings import models as findings_models  # noqa: F401 - registers the findings
from suyuan.trace.goods import models as goods_models  # noqa: F401 - registers the goods tables
from suyuan.trace.journey import scanlog_models  # noqa: F401 - registers its tables (and an items index)
from suyuan.trace.parties import models as parties_models  # noqa: F401 - registers the party tables
from suyuan.trace.privacy import people_models  # noqa: F401 - registers its tables
from suyuan.trace.privacy import vault_models  # noqa: F401 - registers its tables

metadata = Base.metadata
