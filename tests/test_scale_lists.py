"""tests/test_ledger_paging.py and tests/test_dashboard_counts.py on PostgreSQL: keyset pagination,
the materialised scope, the dashboard's counts in SQL."""
from __future__ import annotations

import pytest
from scale_services import *  # noqa: F401,F403 - fixtures and helpers
from test_dashboard_counts import (  # noqa: F401 - the dashboard's SQL counts, against PostgreSQL
    test_a_past_days_overdue_is_each_items_history,
    test_the_dashboards_short_lists_are_the_heads_of_the_full_ones,
)
from test_ledger_paging import (  # noqa: F401 - collected here against PostgreSQL
    test_a_village_cannot_move_under_a_village,
    test_keyset_pages_list_every_item_once_newest_first,
    test_ledger_page_links_walk_the_whole_list,
    test_moving_a_village_moves_everyones_scope,
    test_the_overdue_list_pages_the_same_way,
)
from test_scale_postgres import app  # noqa: F401 - the app on a migrated PostgreSQL database

pytestmark = pytest.mark.scale
