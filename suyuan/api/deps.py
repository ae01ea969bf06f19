"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from suyuan.config import Settings, get_settings
from suyuan.ledger.ledger import Ledger


def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger


SettingsDep = Annotated[Settings, Depends(get_settings)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
