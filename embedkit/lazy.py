"""Re-exports imported on first use (PEP 562), so importing a package loads neither gensim nor PyTorch.

A package names each public name's home module once and installs the two module hooks this returns::

    _EXPORTS = {"Pipeline": "embedkit.text.pipeline"}
    __all__ = list(_EXPORTS)
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

Part of the foundation layer: it imports nothing else from embedkit.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the module ``package``: a name in ``exports`` is read from the module
    it maps to when first asked for; ``dir()`` lists the module's own names and every export.

    The first use of a name binds every export of its home module on the package, so a name that is also a
    submodule's (``embedkit.models.generate``, the function, beside the module of that name, which the import
    system binds on the package when it loads it) stays the exported object on every later use.
    """

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        home = importlib.import_module(exports[name])
        value = getattr(home, name)
        module = sys.modules[package]
        for other, where in exports.items():
            if where == exports[name] and hasattr(home, other):
                setattr(module, other, getattr(home, other))
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__
