"""`Paired` lives in distillscope.records (the lowest layer); this name stays for old imports."""

from distillscope.records import Paired

__all__ = ["Paired"]
