"""The public surface of ``superme_rx.operators``."""

from __future__ import annotations

import inspect

import superme_rx.operators as operators


def test_all_lists_public_names_sorted() -> None:
    """``__all__`` is sorted and names exactly the module's public attributes."""
    public = {
        name
        for name, value in vars(operators).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and name != "annotations"
        and getattr(value, "__module__", "").startswith("superme_rx.operators")
    }

    assert operators.__all__ == sorted(operators.__all__)
    assert public <= set(operators.__all__)
    assert all(hasattr(operators, name) for name in operators.__all__)


def test_all_public_names_documented() -> None:
    """Every public operator and class carries a docstring."""
    undocumented = [
        name
        for name in operators.__all__
        if (
            inspect.isfunction(getattr(operators, name))
            or inspect.isclass(getattr(operators, name))
        )
        and not inspect.getdoc(getattr(operators, name))
    ]

    assert undocumented == []


def test_operator_facades_follow_rxpy_docstring_shape() -> None:
    """Each operator facade documents an example and what it returns."""
    facades = [
        getattr(operators, name)
        for name in operators.__all__
        if inspect.isfunction(getattr(operators, name))
    ]

    for facade in facades:
        doc = inspect.getdoc(facade) or ""
        assert "Example:" in doc and "Returns:" in doc, facade.__name__
