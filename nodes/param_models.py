"""Parameter-model helpers for node wrappers: an ``object_name`` field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, create_model

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"


def named_params(model: type[BaseModel], default_name: str, doc: str | None = None) -> type[Any]:
    """``model`` plus an ``object_name`` field: the name of the object the node animates."""
    return create_model(  # type: ignore[call-overload]
        f"{model.__name__}WithName",
        __base__=model,
        __doc__=doc or model.__doc__,
        object_name=(str, Field(default_name, pattern=IDENTIFIER,
                                description="name of the animated object in the scene")),
    )

