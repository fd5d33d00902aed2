"""Plain dataclass configuration with a JSON/YAML round trip.

Every configuration object in molkit is a dataclass that inherits :class:`Config`; it can be
written to and read from JSON or YAML, and unknown keys are an error that names them.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

C = TypeVar("C", bound="Config")


def _to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def _from_plain(kind: Any, value: Any) -> Any:
    """Rebuild ``value`` as type ``kind`` where the plain form lost it (nested configs, tuples)."""
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(kind):
            if arg is not type(None):
                return _from_plain(arg, value)
    if isinstance(kind, type) and issubclass(kind, Config) and isinstance(value, dict):
        return kind.from_dict(value)
    if origin is tuple:
        args = typing.get_args(kind)
        inner = args[0] if args else Any
        return tuple(_from_plain(inner, v) for v in value)
    if origin is list:
        (inner,) = typing.get_args(kind) or (Any,)
        return [_from_plain(inner, v) for v in value]
    if kind is Path:
        return Path(value)
    return value


@dataclasses.dataclass
class Config:
    """Base of molkit's configuration dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown keys {unknown}; known: {sorted(names)}")
        hints = typing.get_type_hints(cls)
        return cls(**{k: _from_plain(hints[k], v) for k, v in data.items()})

    def replace(self: C, **changes: Any) -> C:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls: type[C], text: str) -> C:
        return cls.from_dict(json.loads(text))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=True)

    @classmethod
    def from_yaml(cls: type[C], text: str) -> C:
        return cls.from_dict(yaml.safe_load(text) or {})

    def save(self, path: str | Path) -> Path:
        """Write as YAML (``.yaml``/``.yml``) or JSON (anything else)."""
        path = Path(path)
        text = self.to_yaml() if path.suffix in {".yaml", ".yml"} else self.to_json()
        path.write_text(text)
        return path

    @classmethod
    def load(cls: type[C], path: str | Path) -> C:
        """Read a file written by :meth:`save`; a ValueError naming the file when it is not one."""
        path = Path(path)
        text = path.read_text()
        try:
            return cls.from_yaml(text) if path.suffix in {".yaml", ".yml"} else cls.from_json(text)
        except (ValueError, TypeError, AttributeError, yaml.YAMLError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ValueError(f"{path}: not a {cls.__name__} file ({first})") from err
