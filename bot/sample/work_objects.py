"""What the fake Slack accepts as Work Object metadata (`chat.unfurl` `metadata`, `entity.presentDetails`).

Built from Slack's published schema as slack_sdk models it (`slack_sdk.models.metadata`: the entity types,
the attributes, task fields and custom field types each object may carry) and the method docs: an
unfurl's entity names the exact URL it unfurls (`app_unfurl_url`); a panel answer has a `trigger_id` and
either `metadata` or an `error`. Anything else is `invalid_metadata`, as Slack answers.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.metadata import (
    CustomFieldType,
    EntityAttributes,
    EntityCustomField,
    EntityMetadata,
    EntityPayload,
    EntityType,
    TaskEntityFields,
)

FIELDS_BY_TYPE = {"slack#/entities/task": TaskEntityFields.attributes}


def entity_errors(entity: Any, where: str = "entity") -> list[str]:
    if not isinstance(entity, dict):
        return [f"{where}: not an object"]
    errors = [f"{where}: unknown key {k}" for k in entity if k not in EntityMetadata.attributes]
    for key in ("entity_type", "entity_payload", "external_ref", "url"):
        if key not in entity:
            errors.append(f"{where}: missing {key}")
    if entity.get("entity_type") not in EntityType:
        errors.append(f"{where}: entity_type {entity.get('entity_type')!r} is not a Slack entity type")
    ref = entity.get("external_ref")
    if not isinstance(ref, dict) or not isinstance(ref.get("id"), str) or not ref["id"]:
        errors.append(f"{where}: external_ref.id must be a non-empty string")
    elif set(ref) - {"id", "type"} or not isinstance(ref.get("type", ""), str):
        errors.append(f"{where}: external_ref has only id and type (strings)")
    if not str(entity.get("url", "")).startswith("https://"):
        errors.append(f"{where}: url must be an https URL")
    payload = entity.get("entity_payload")
    if not isinstance(payload, dict):
        return [*errors, f"{where}: entity_payload must be an object"]
    errors += [
        f"{where}: unknown entity_payload key {k}" for k in payload if k not in EntityPayload.attributes
    ]
    attributes = payload.get("attributes")
    if not isinstance(attributes, dict):
        errors.append(f"{where}: entity_payload.attributes is required")
    else:
        errors += [
            f"{where}: unknown attribute {k}" for k in attributes if k not in EntityAttributes.attributes
        ]
        title = attributes.get("title")
        if not isinstance(title, dict) or not isinstance(title.get("text"), str) or not title["text"]:
            errors.append(f"{where}: attributes.title.text is required")
    keys: set[str] = set()
    fields = payload.get("fields", {})
    allowed = FIELDS_BY_TYPE.get(str(entity.get("entity_type")), set())
    if not isinstance(fields, dict):
        errors.append(f"{where}: fields must be an object")
    else:
        for name, value in fields.items():
            if name not in allowed:
                errors.append(f"{where}: field {name} is not a field of {entity.get('entity_type')}")
            if not isinstance(value, dict) or "value" not in value:
                errors.append(f"{where}: field {name} needs a value")
            elif name.startswith("date_") and not isinstance(value["value"], int):
                errors.append(f"{where}: field {name} is a timestamp in seconds")
            keys.add(name)
    for i, custom in enumerate(payload.get("custom_fields", [])):
        if not isinstance(custom, dict):
            errors.append(f"{where}: custom_fields[{i}] is not an object")
            continue
        errors += [
            f"{where}: custom_fields[{i}] unknown key {k}"
            for k in custom
            if k not in EntityCustomField.attributes
        ]
        for key in ("label", "key", "type"):
            if not isinstance(custom.get(key), str) or not custom[key]:
                errors.append(f"{where}: custom_fields[{i}].{key} is required")
        if custom.get("type") not in CustomFieldType:
            errors.append(
                f"{where}: custom_fields[{i}].type {custom.get('type')!r} is not a custom field type"
            )
        if custom.get("key") in keys:
            errors.append(f"{where}: custom_fields[{i}].key {custom.get('key')!r} repeats")
        keys.add(str(custom.get("key")))
    order = payload.get("display_order", [])
    if not isinstance(order, list) or any(k not in keys for k in order):
        errors.append(f"{where}: display_order names only the entity's fields and custom fields")
    return errors


def unfurl_metadata_errors(body: dict[str, Any]) -> list[str]:
    """`chat.unfurl` with `metadata`: `{"entities": [...]}`, each for one of the URLs being unfurled."""
    metadata = body.get("metadata")
    if metadata is None:
        return []
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("entities"), list)
        or not metadata["entities"]
    ):
        return ["metadata.entities must be a non-empty list"]
    urls = set((body.get("unfurls") or {}).keys())
    errors = []
    for i, entity in enumerate(metadata["entities"]):
        errors += entity_errors(entity, f"entities[{i}]")
        if isinstance(entity, dict) and entity.get("app_unfurl_url") not in urls:
            errors.append(f"entities[{i}]: app_unfurl_url must be one of the URLs being unfurled")
    return errors


def present_details_errors(body: dict[str, Any]) -> list[str]:
    if not body.get("trigger_id"):
        return ["trigger_id is required"]
    if ("metadata" in body) == ("error" in body):
        return ["give either metadata or error"]
    if "error" in body:
        error = body["error"]
        if not isinstance(error, dict) or not isinstance(error.get("status"), str):
            return ["error.status is required"]
        if error["status"] == "custom" and not error.get("custom_message"):
            return ["a custom error needs custom_message"]
        return []
    return entity_errors(body["metadata"], "metadata")
