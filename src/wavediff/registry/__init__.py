"""Run registry: tables, the engine/session helper, migrations and queries (its Lightning callback
lives in :mod:`wavediff.callbacks.registry`)."""

from wavediff.registry.queries import runs_frame
from wavediff.registry.store import Registry, RegistryError

__all__ = ["Registry", "RegistryError", "runs_frame"]
