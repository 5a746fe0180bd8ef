"""pydantic's JSON Schemas (2020-12) as OpenAPI 3.0 wants them: a body model becomes components (its nested
models too), a query model becomes query parameters. Nothing here decides a rule: each one comes from the
model that also validates the request."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

REF_TEMPLATE = "#/components/schemas/{model}"


def body_schemas(models: Iterable[type[BaseModel]]) -> dict[str, dict]:
    """Components for these body models and the models they contain, by class name."""
    components: dict[str, dict] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=REF_TEMPLATE)
        for name, nested in schema.pop("$defs", {}).items():
            components[name] = openapi30(nested)
        for field in schema.get("properties", {}).values():
            field.pop("default", None)  # a field left out of a body means "unchanged" or "none", said in words
        components[model.__name__] = openapi30(schema)
    return components


def query_parameters(model: type[BaseModel]) -> list[dict]:
    """One query parameter per field of a query model."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", []))
    parameters = []
    for name, field in schema["properties"].items():
        field = openapi30(field)
        field.pop("nullable", None)  # a query parameter is left out, never null
        if field.get("default", 0) is None:
            del field["default"]
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "description": field.pop("description", ""),
                "schema": field,
            }
        )
    return parameters


def openapi30(schema: Any) -> Any:
    """JSON Schema 2020-12 to OpenAPI 3.0's dialect: `X | None` is `nullable`, `const` an enum of one, and no
    titles (pydantic's, made from the names)."""
    if isinstance(schema, list):
        return [openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: openapi30(value) for key, value in schema.items() if key != "title" or not isinstance(value, str)}
    if "const" in out:
        out["enum"] = [out.pop("const")]
    options = out.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1 and "$ref" in rest[0]:
            out["allOf"] = rest  # 3.0 ignores whatever stands next to a $ref
        elif len(rest) == 1:
            out = {**rest[0], **out}
        else:
            out["anyOf"] = rest
        out["nullable"] = True
    return out
