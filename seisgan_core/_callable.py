"""Modules that are also the function of the same name (a leaf module: imports nothing of ours).

The flat API exports `seisgan_core.prepare` and `seisgan_core.evaluate` as functions (house
style), but `prepare` is also a module and `evaluate` a package. Python's import system sets a
submodule as an attribute of its parent once it is imported, so a plain function exported under
the same name would be replaced by the module depending on import order. Making the module
itself callable keeps `seisgan_core.prepare(...)` and `seisgan_core.evaluate(...)` working
whatever was imported first.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


def make_module_callable(module_name: str, target: str) -> None:
    """Calling the module ``module_name`` calls ``target`` ('package.module:function')."""
    where, _, func_name = target.partition(":")

    class _CallableModule(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return getattr(importlib.import_module(where), func_name)(*args, **kwargs)

    sys.modules[module_name].__class__ = _CallableModule
