"""Package re-exports: every name in ``__all__`` resolves on first use, ``dir()`` lists it, unknown names raise
AttributeError, and importing the packages loads neither torch nor gensim."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

from embedkit.lazy import lazy_exports

PACKAGES = ["embedkit", "embedkit.text", "embedkit.embeddings", "embedkit.models", "embedkit.training"]


def test_lazy_exports_import_the_home_module_on_first_use(monkeypatch) -> None:
    package = types.ModuleType("lazy_demo")
    package.own = 1
    monkeypatch.setitem(sys.modules, "lazy_demo", package)
    package.__getattr__, package.__dir__ = lazy_exports("lazy_demo", {"sqrt": "math", "nothing": "math"})
    assert package.sqrt(9.0) == 3.0
    assert {"own", "sqrt", "nothing"} <= set(dir(package))
    assert dir(package) == sorted(dir(package))
    with pytest.raises(AttributeError, match="'math' has no attribute 'nothing'"):
        _ = package.nothing
    with pytest.raises(AttributeError, match="module 'lazy_demo' has no attribute 'other'"):
        _ = package.other
    assert not hasattr(package, "other")


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_name_is_listed_and_star_imported(name: str) -> None:
    package = importlib.import_module(name)
    assert package.__all__ and len(set(package.__all__)) == len(package.__all__)
    assert set(package.__all__) <= set(dir(package))
    namespace: dict[str, object] = {}
    exec(f"from {name} import *", namespace)
    assert set(package.__all__) <= set(namespace)
    with pytest.raises(AttributeError, match=f"module '{name}' has no attribute 'no_such_name'"):
        _ = package.no_such_name


def test_every_public_name_is_its_object_on_every_use() -> None:
    """In a fresh process, so the order of use is known: ``embedkit.models.generate`` was the function on first
    use and the submodule of that name afterwards."""
    code = (f"import importlib\nfor name in {PACKAGES!r}:\n"
            "    package = importlib.import_module(name)\n"
            "    for export in package.__all__:\n"
            "        first, again = getattr(package, export), getattr(package, export)\n"
            "        assert first is again, (name, export, first, again)\n"
            "        assert export.startswith('__') or first.__name__ == export, (name, export, first)\n"
            "import embedkit.models as m\n"
            "assert callable(m.generate) and m.generate.__module__ == 'embedkit.models.generate'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_importing_the_packages_loads_neither_torch_nor_gensim() -> None:
    code = (f"import sys, {', '.join(PACKAGES)}, embedkit.lazy\n"
            "print(sorted(m for m in ('torch', 'gensim', 'numpy') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_the_lazy_helper_imports_nothing_else_from_embedkit() -> None:
    code = "import sys, embedkit.lazy\nprint(sorted(m for m in sys.modules if m.startswith('embedkit')))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['embedkit', 'embedkit.lazy']"
