"""Callable of the last task of both DAGs: publish the Pipeline Health page's read-only copy.

It runs in the warehouse-writer pool although it only reads: DuckDB refuses even a
read-only handle while a writer holds the file, and the pool guarantees none does.
"""

from __future__ import annotations

from typing import Any

from pipeline_health.orchestration.preflight import fail_fast


@fail_fast
def publish_dashboard() -> dict[str, Any]:
    from pipeline_health.dashboard.publish import publish_from_settings

    result = publish_from_settings()
    return result.as_dict() if result else {"published": False}
