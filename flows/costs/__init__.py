"""The cost store: measured cost records of blocks (:mod:`.store`), their scaling between
technology nodes (:mod:`.scaling`), table (:mod:`.table`) and plot (:mod:`.plot`)."""

from tilewright.flows.costs.store import (SCHEMA_VERSION, CostDB, CostDBError, CostRecord,
                                          cost_key, open_db)

__all__ = ["CostRecord", "CostDB", "CostDBError", "SCHEMA_VERSION", "cost_key", "open_db"]
