"""Run registry: tables, the engine/session helper, the Lightning callback and queries."""

from wavediff.registry.queries import runs_frame
from wavediff.registry.store import Registry, RegistryError

__all__ = ["Registry", "RegistryError", "runs_frame"]
