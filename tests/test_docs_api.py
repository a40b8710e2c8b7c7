"""The API reference is generated from the registry: nothing public is missing."""

# Authors: The skreweight developers
# SPDX-License-Identifier: BSD-3-Clause

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

from skreweight.utils.discovery import all_estimators

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def api_gen():
    path = DOCS / "sphinxext" / "api_gen.py"
    if not path.exists():
        pytest.skip("docs/ is not part of this checkout")
    spec = importlib.util.spec_from_file_location("api_gen", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def documented_objects(text):
    """``{(module, name)}`` of every autosummary entry and autodata in ``text``."""
    found, module, in_summary = set(), None, False
    for line in text.splitlines():
        if m := re.match(r"\.\. currentmodule:: (\S+)", line):
            module, in_summary = m.group(1), False
        elif line.startswith(".. autosummary::"):
            in_summary = True
        elif m := re.match(r"\.\. autodata:: (\S+)", line):
            found.add((module, m.group(1)))
        elif in_summary and (m := re.match(r"   (\w+)$", line)):
            found.add((module, m.group(1)))
        elif line and not line.startswith(" "):
            in_summary = False
    return found


def missing_estimators(text):
    """Registered estimators that ``text`` does not document under a module
    they can be imported from."""
    documented = documented_objects(text)
    missing = []
    for name, cls in all_estimators():
        homes = [mod for mod, n in documented if n == name]
        if not any(
            getattr(importlib.import_module(m), name, None) is cls for m in homes
        ):
            missing.append(name)
    return missing


def test_every_estimator_is_in_the_api_page(api_gen):
    text = api_gen.render()
    assert all_estimators(), "the registry is empty"
    assert missing_estimators(text) == []


def test_every_exported_name_is_in_the_api_page(api_gen):
    # ... once: a re-export is documented where the object is defined
    documented = documented_objects(api_gen.render())
    for module_name in api_gen.public_modules():
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # optional dependency missing: documented as such
            continue
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            homes = [
                m
                for m, n in documented
                if n == name and getattr(importlib.import_module(m), n) is obj
            ]
            assert len(homes) == 1, f"{module_name}.{name}: {homes}"


def test_api_page_opens_on_user_facing_modules(api_gen):
    modules = api_gen.public_modules()
    assert modules[0] == "skreweight.weighting"
    assert modules.index("skreweight.base") > modules.index("skreweight.metrics")
    text = api_gen.render()
    # each object is listed once, under the module that defines its public home
    assert text.count("   cross_fit_nuisances\n") == 1


def test_sidebar_groups_the_objects_by_subpackage(api_gen):
    # the index's toctree (the sidebar) lists one page per module, user-facing
    # modules first; each object is listed on exactly one module page
    pages = api_gen.render_pages()
    index = pages.pop("api")
    toctree = re.findall(r"^   (\S+) <(api/\S+)>$", index, flags=re.M)
    assert [page for _, page in toctree] == list(pages)
    assert toctree[0][0] == "skreweight.weighting"
    names = [mod for mod, _ in toctree]
    assert names.index("skreweight.base") > names.index("skreweight.datasets")
    listed = [
        name
        for text in pages.values()
        for name in re.findall(r"^   (\w+)$", text, flags=re.M)
    ]
    assert len(listed) == len(set(listed)) > 50, sorted(
        n for n in listed if listed.count(n) > 1
    )
    assert "autosummary" not in index  # the index lists modules, not objects


def test_a_missing_estimator_is_detected(api_gen):
    # Drop one estimator from the generated page: the check must catch it.
    name = all_estimators()[0][0]
    text = "\n".join(
        line for line in api_gen.render().splitlines() if line != f"   {name}"
    )
    assert missing_estimators(text) == [name]


def test_unexported_estimator_is_still_listed(api_gen, monkeypatch):
    # An estimator found by the registry but absent from its subpackage's
    # __all__ is listed anyway, under a module it can be imported from.
    weighting = importlib.import_module("skreweight.weighting")
    monkeypatch.setattr(
        weighting, "__all__", [n for n in weighting.__all__ if n != "GroupBalance"]
    )
    text = api_gen.render()
    assert ("skreweight.weighting", "GroupBalance") in documented_objects(text)
    assert missing_estimators(text) == []


def test_user_guide_contract_label_exists():
    # Every estimator docstring links to :ref:`User Guide <contract>`.
    contract = DOCS / "user_guide" / "contract.rst"
    if not contract.exists():
        pytest.skip("docs/ is not part of this checkout")
    assert contract.read_text().startswith(".. _contract:")
