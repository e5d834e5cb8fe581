"""SnapStart for the status function: offered by a parameter, off by default, and when on the
API invokes the published versions it applies to."""

from typing import Final

import pytest

from local.cfn_template import load_template
from tests.template.test_template import STATUS_FUNCTION, Template, parameters, properties

pytestmark = pytest.mark.template

ALIAS: Final = f"{STATUS_FUNCTION}Aliaslive"  # the alias SAM makes for AutoPublishAlias: live


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


def test_snapstart_is_a_parameter_and_off_by_default(template: Template) -> None:
    assert template["Parameters"]["StatusFunctionSnapStart"]["AllowedValues"] == [
        "Enabled",
        "Disabled",
    ]
    assert parameters(template)["StatusFunctionSnapStart"] == "Disabled"
    assert template["Conditions"]["UseSnapStart"] == {
        "Fn::Equals": [{"Ref": "StatusFunctionSnapStart"}, "Enabled"]
    }


def test_snapstart_applies_to_the_published_versions_behind_the_alias(template: Template) -> None:
    function = properties(template, STATUS_FUNCTION)
    assert function["Runtime"] == "python3.13"  # SnapStart needs Python 3.12 or later
    assert function["AutoPublishAlias"] == "live"
    assert function["SnapStart"] == {
        "ApplyOn": {"Fn::If": ["UseSnapStart", "PublishedVersions", "None"]}
    }


def test_with_snapstart_on_the_api_invokes_the_alias(template: Template) -> None:
    """$LATEST never runs from a snapshot: the integration and its permission must name the
    alias, or SnapStart would be paid for and never used."""
    integrations = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::ApiGatewayV2::Integration"
    ]
    assert [i["IntegrationUri"]["Fn::If"][:2] for i in integrations] == [
        ["UseSnapStart", {"Ref": ALIAS}]
    ]
    permissions = [
        resource["Properties"]["FunctionName"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Permission"
        and resource["Properties"]["Principal"] == "apigateway.amazonaws.com"
        and "Fn::If" in resource["Properties"]["FunctionName"]
    ]
    assert permissions == [{"Fn::If": ["UseSnapStart", {"Ref": ALIAS}, {"Ref": STATUS_FUNCTION}]}]
