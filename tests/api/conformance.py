"""Validation of our responses against the UiTPAS API 4.0 spec, for the operations we serve.

The spec's path comes from PASSENGINE_UITPAS_SPEC (``.ci/run`` points it at the shared copy).
Every response that the API tests receive for a path and status the spec documents is checked
against the spec's schema for that operation; when the spec is absent the checks are skipped
and ``tests/api/test_conformance.py`` says so. The spec's error model is an external reference
that is not available offline; problem bodies are checked against our problem+json shape.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_ENV = "PASSENGINE_UITPAS_SPEC"
EXTENSION_STATUSES = {409, 413, 429}
"""Statuses we add to every write (a concurrent duplicate, an oversized body, a rate limit);
documented in our own OpenAPI and in docs/, not in the UiTPAS spec."""
SPEC_URI = "urn:uitpas-spec"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "endUserMessage": {
            "type": "object",
            "required": ["nl"],
            "additionalProperties": {"type": "string"},
        },
        "schemaErrors": {"type": "array"},
    },
}


def spec_path() -> Path | None:
    value = os.environ.get(SPEC_ENV)
    if not value:
        return None
    path = Path(value)
    return path if path.is_file() else None


def _local_refs(node: Any) -> Any:
    """Replace external $refs (the error model) by our problem schema; point local ones at the
    spec resource."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref.startswith("#/"):
                return {"$ref": SPEC_URI + ref}
            return PROBLEM_SCHEMA
        return {k: _local_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_local_refs(v) for v in node]
    return node


@dataclass
class Conformance:
    spec: dict[str, Any]
    registry: Registry[Any]
    patterns: list[tuple[re.Pattern[str], str]]
    checked: dict[tuple[str, str, int], int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Conformance:
        spec = _local_refs(json.loads(path.read_text(encoding="utf-8")))
        registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT4)
        )
        patterns = []
        for template in spec["paths"]:
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            patterns.append((re.compile(regex), template))
        # Literal paths win over templated ones (/rewards/redeemed before /rewards/{rewardId}).
        # Fewer parameters first, then more literal text: ``{reportId}.zip`` before ``{reportId}``.
        patterns.sort(key=lambda p: (p[1].count("{"), -len(re.sub(r"\{[^}]+\}", "", p[1]))))
        return cls(spec, registry, patterns)

    def template_for(self, path: str) -> str | None:
        return next((t for regex, t in self.patterns if regex.match(path)), None)

    def check(self, method: str, path: str, status: int, content_type: str, body: bytes) -> None:
        template = self.template_for(path)
        if template is None:
            return  # not a spec path (native API, oauth, health)
        operation = self.spec["paths"][template].get(method.lower())
        if operation is None:
            raise AssertionError(f"{method} {template} is not in the spec")
        responses = operation.get("responses", {})
        documented = responses.get(str(status))
        if documented is None and status in EXTENSION_STATUSES:
            documented = {"content": {"application/problem+json": {}}}
        if documented is None:
            raise AssertionError(
                f"{method} {template} answered {status}, which the spec does not document "
                f"(documented: {sorted(responses)})"
            )
        content = documented.get("content") or {}
        if not content:
            return
        media = content_type.split(";")[0].strip()
        if not media.endswith("json"):  # a file (the financial report's zip): the type must match
            if media not in content:
                raise AssertionError(
                    f"{method} {template} {status}: answered {media}, the spec documents "
                    f"{sorted(content)}"
                )
            return
        if media == "application/problem+json":
            schema = PROBLEM_SCHEMA
        else:
            entry = content.get(media) or content.get("application/json")
            if entry is None or "schema" not in entry:
                return
            schema = entry["schema"]
        instance = json.loads(body) if body else None
        validator = jsonschema.Draft4Validator(schema, registry=self.registry)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path)
            raise AssertionError(
                f"{method} {template} {status}: response breaks the spec at /{where}: "
                f"{first.message}"
            )
        key = (method.upper(), template, status)
        self.checked[key] = self.checked.get(key, 0) + 1


_loaded: Conformance | None = None


def conformance() -> Conformance | None:
    global _loaded
    path = spec_path()
    if path is None:
        return None
    if _loaded is None:
        _loaded = Conformance.load(path)
    return _loaded
