"""tests/test_ledger_paging.py on PostgreSQL: keyset pagination and the materialised scope."""
from __future__ import annotations

import pytest
from scale_services import *  # noqa: F401,F403 - fixtures and helpers
from test_ledger_paging import (  # noqa: F401 - collected here against PostgreSQL
    test_a_village_cannot_move_under_a_village,
    test_keyset_pages_list_every_item_once_newest_first,
    test_ledger_page_links_walk_the_whole_list,
    test_moving_a_village_moves_everyones_scope,
)
from test_scale_postgres import app  # noqa: F401 - the app on a migrated PostgreSQL database

pytestmark = pytest.mark.scale
