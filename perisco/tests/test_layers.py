"""The layers of docs/architecture.md hold: a domain app never imports a face, and `core`
imports no other app of ours. The contract lives in pyproject.toml ([tool.importlinter])."""

import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

ROOT = Path(__file__).resolve().parents[2]


def _layers() -> list[grimp.Layer]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = config["contracts"]
    return [
        grimp.Layer(*(name.strip() for name in layer.split("|")), independent=True)
        for layer in contract["layers"]
    ]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    graph = grimp.build_graph("perisco", exclude_type_checking_imports=True, cache_dir=None)
    for module in list(graph.modules):
        if ".tests" in module:  # tests may drive any layer (the contract ignores them too)
            graph.remove_module(module)
    return graph


def test_the_code_keeps_its_layers(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(no_cache=True, no_logo=True) == EXIT_STATUS_SUCCESS


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("perisco.core.models", "perisco.accounts.models"),
        ("perisco.core.services", "perisco.messaging.services"),
        ("perisco.families.services", "perisco.web.access"),
        ("perisco.activities.selectors", "perisco.backoffice.navigation"),
        ("perisco.messaging.services", "perisco.portal.views"),
        ("perisco.web.access", "perisco.backoffice.navigation"),
        ("perisco.portal.views", "perisco.backoffice.views"),
    ],
)
def test_an_import_against_the_layers_is_caught(graph, importer, imported):
    assert not graph.find_illegal_dependencies_for_layers(layers=_layers())
    graph.add_import(importer=importer, imported=imported)
    try:
        broken = graph.find_illegal_dependencies_for_layers(layers=_layers())
    finally:
        graph.remove_import(importer=importer, imported=imported)
    assert broken
