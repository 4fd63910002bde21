"""Check an alert against the OCSF 1.8.0 attribute lists in ``ocsf_detection_finding_attrs.json``.

That file was extracted from the compiled OCSF 1.8.0 schema (detection_finding and the objects
the encoder uses), so the tests need no network and no copy of the whole schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ATTRS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "ocsf_detection_finding_attrs.json").read_text(encoding="utf-8")
)
# Free-form by definition: their keys are ours, not OCSF's.
FREE_FORM_TYPES = {"json_t", "object"}


def ocsf_problems(alert: dict[str, Any]) -> list[str]:
    """Every key that is not an OCSF 1.8.0 attribute where it sits, and every missing required."""
    problems = list(_walk(alert, ATTRS["class"]["attributes"], "$"))
    declared = set(alert.get("metadata", {}).get("profiles", []))
    for name, spec in ATTRS["class"]["attributes"].items():
        profile = spec.get("profile")
        # Profile attributes (cloud, osint...) are required only once the profile is declared.
        applies = profile is None or profile in declared
        if spec["requirement"] == "required" and applies and name not in alert:
            problems.append(f"$.{name}: required by detection_finding, missing")
        if name in alert and profile and profile not in declared:
            problems.append(f"$.{name}: belongs to profile {profile!r}, not in metadata.profiles")
    return problems


def _walk(value: dict[str, Any], attrs: dict[str, Any], path: str) -> Iterator[str]:
    for key, child in value.items():
        spec = attrs.get(key)
        if spec is None:
            yield f"{path}.{key}: not an OCSF 1.8.0 attribute here"
            continue
        if spec.get("deprecated"):
            yield f"{path}.{key}: deprecated in OCSF 1.8.0"
        yield from _walk_child(child, spec, f"{path}.{key}")


def _walk_child(child: Any, spec: dict[str, Any], path: str) -> Iterator[str]:
    type_name = spec["type"]
    if type_name in FREE_FORM_TYPES or type_name.endswith("_t"):  # scalars, arrays of them
        return
    obj = ATTRS["objects"].get(type_name)
    if obj is None:
        yield f"{path}: object {type_name!r} missing from the attribute file: extract it"
        return
    items = child if spec.get("is_array") else [child]
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]" if spec.get("is_array") else path
        yield from _walk(item, obj["attributes"], item_path)
        for name, attr in obj["attributes"].items():
            if attr["requirement"] == "required" and name not in item:
                yield f"{item_path}.{name}: required by {type_name}, missing"
