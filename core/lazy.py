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


async def loaded(lazy: ModuleType) -> None:
    """Run ``lazy``'s import now, in a thread, unless it has run (a loaded module is a
    plain module again)."""
    if type(lazy) is not ModuleType:
        await asyncio.to_thread(_load, lazy)


def _load(lazy: ModuleType) -> None:
    with _IMPORTING:
        lazy.__dict__  # noqa: B018 (reading an attribute runs the import)
