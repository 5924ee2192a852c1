"""The response store (`core.py`) and the modules around it: its rows, stats, writer, leases, read-only
opening, salvage and page reader, and the `store` commands' shared body (`admin.py`).

`ResponseStore`, `default_store_path` and `StoreUnavailableError` are re-exported here, the path
callers use; the modules inside the package import each other by their own paths.
"""

from distillscope.runner.store.core import ResponseStore, default_store_path
from distillscope.runner.store.writes import StoreUnavailableError

__all__ = ["ResponseStore", "StoreUnavailableError", "default_store_path"]
