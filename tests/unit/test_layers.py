"""No import cycles in Accord: every module can be read knowing only what it imports.

The layers themselves are import-linter contracts (pyproject.toml, run by `make test`); a
cycle inside one layer is what they cannot see, so this looks for any. Imports inside functions
and under TYPE_CHECKING count: they tie the modules together just the same.
"""

from __future__ import annotations

import grimp


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Each group of modules that import one another, round and round, sorted."""
    found: set[frozenset[str]] = set()
    for module in graph.modules:
        # The modules that both reach this one and are reached by it share a cycle with it.
        partners = graph.find_upstream_modules(module) & graph.find_downstream_modules(module)
        if partners:
            found.add(frozenset({module, *partners}))
    return sorted(sorted(group) for group in found)


def test_no_module_takes_part_in_an_import_cycle() -> None:
    graph = grimp.build_graph("accord", cache_dir=None)
    assert cycles(graph) == []


def test_a_cycle_is_found() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("a.b", "a.c"), ("a.c", "a.d"), ("a.d", "a.b"), ("a.d", "a.e")]:
        graph.add_import(importer=importer, imported=imported)
    assert cycles(graph) == [["a.b", "a.c", "a.d"]]
