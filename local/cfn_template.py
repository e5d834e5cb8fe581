"""Read template.yaml, so local stores and tests build exactly the tables the stack deploys."""

from pathlib import Path
from typing import Any, Final

import yaml

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
TEMPLATE_PATH: Final = PROJECT_ROOT / "template.yaml"
STATUS_FUNCTION: Final = "StatusFunction"
PROVISIONING_FUNCTION: Final = "ProvisioningFunction"
FLEET_SWEEP_FUNCTION: Final = "FleetSweepFunction"

_TABLE_PROPERTIES: Final = ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes")


class _CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that understands CloudFormation's short-form tags (!Ref, !If...)."""


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{tag_suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        template: dict[str, Any] = yaml.load(stream, Loader=_CloudFormationLoader)  # noqa: S506
    return template


def function_properties(template: dict[str, Any], function: str) -> dict[str, Any]:
    """A function's properties as SAM deploys them: its own over the template's Globals."""
    shared = template.get("Globals", {}).get("Function", {})
    return _merged(shared, template["Resources"][function]["Properties"])


def _merged(shared: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals rule for mappings: merged key by key, the function's own value winning."""
    merged = dict(shared)
    for key, value in own.items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict) and not _intrinsic(value):
            merged[key] = _merged(base, value)
        else:
            merged[key] = value
    return merged


def _intrinsic(value: dict[str, Any]) -> bool:
    return len(value) == 1 and any(key == "Ref" or key.startswith("Fn::") for key in value)


def parameter_default(template: dict[str, Any], name: str) -> str:
    return str(template["Parameters"][name]["Default"])


def function_environment(template: dict[str, Any], function: str) -> dict[str, Any]:
    """A function's environment variables, the Globals' included."""
    variables: dict[str, Any] = function_properties(template, function)["Environment"]["Variables"]
    return variables


def table_logical_ids(template: dict[str, Any], function: str = STATUS_FUNCTION) -> dict[str, str]:
    """Environment variable -> logical id of the stack's table it names, for a function.

    Each table variable is ``!If [CreateXTable, !Ref XTable, !Ref ExistingXTableName]``
    (or a plain ``!Ref XTable``); the first Ref to a table resource is the one wanted.
    """
    resources = template["Resources"]
    found: dict[str, str] = {}
    for variable, value in function_environment(template, function).items():
        for ref in _refs(value):
            if resources.get(ref, {}).get("Type") == "AWS::DynamoDB::Table":
                found[variable] = ref
                break
    return found


def create_table_requests(
    template: dict[str, Any], table_names: dict[str, str], function: str = STATUS_FUNCTION
) -> list[dict[str, Any]]:
    """CreateTable requests for those of a function's tables that ``table_names`` names."""
    resources = template["Resources"]
    requests = []
    for variable, logical_id in table_logical_ids(template, function).items():
        if variable not in table_names:
            continue
        properties = resources[logical_id]["Properties"]
        request = {key: properties[key] for key in _TABLE_PROPERTIES if key in properties}
        request["TableName"] = table_names[variable]
        request["BillingMode"] = properties.get("BillingMode", "PAY_PER_REQUEST")
        if "StreamSpecification" in properties:
            # CloudFormation enables a stream by naming its view type; the API asks for both.
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                **properties["StreamSpecification"],
            }
        requests.append(request)
    return requests


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return [value["Ref"]]
        return [ref for item in value.values() for ref in _refs(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _refs(item)]
    return []
