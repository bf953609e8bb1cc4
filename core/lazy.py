"""Modules imported on first use.

The LLM SDKs take about a third of the time it takes to import the app, and most
processes never call a model: ``learngraph migrate``, ``seed-demo``, a server until
its first tutor turn. ``module("anthropic")`` gives a stand-in that imports the SDK
when one of its names is first read (the standard library's ``LazyLoader``);
``await loaded(it)`` does that in a thread, so the event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import threading
from types import ModuleType

_IMPORTING = threading.Lock()


def module(name: str) -> ModuleType:
    """``name``, imported when first used (at once if it already is)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    lazy = importlib.util.module_from_spec(spec)
    sys.modules[name] = lazy
    loader.exec_module(lazy)
    return lazy


# The stand-ins whose import has finished, by id (reading any attribute of a stand-in
# would run its import).
_LOADED: set[int] = set()


async def loaded(lazy: ModuleType) -> None:
    """Run ``lazy``'s import now, in a thread, unless it has finished; a caller that
    comes while another's import runs waits for it. (A stand-in turns into a plain
    module as soon as its import starts, not when it ends: its type cannot say that
    the module's names are all there.)"""
    if id(lazy) not in _LOADED:
        await asyncio.to_thread(_load, lazy)


def _load(lazy: ModuleType) -> None:
    with _IMPORTING:
        if id(lazy) not in _LOADED:
            lazy.__dict__  # noqa: B018 (reading an attribute runs the import)
            _LOADED.add(id(lazy))
