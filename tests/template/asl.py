"""The fleet sweep's state machine definition, checked and run without AWS.

``definition`` substitutes DefinitionSubstitutions as CloudFormation does; ``transitions``
lists a state list's edges for reachability checks; ``Execution`` runs a definition the way
Step Functions would for the subset of the language it uses (JSONPath: Pass, Task, Choice,
Map, Succeed, Fail; paths, payload templates and the intrinsic functions it calls), with the
tasks answered by a function of the test's. Retries are not simulated.
"""

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, Final

from local.cfn_template import PROJECT_ROOT

DEFINITION_PATH: Final = PROJECT_ROOT / "statemachine" / "fleet_sweep.asl.json"
MAX_TRANSITIONS: Final = 10_000

Task = Callable[[str, Any], Any]


def definition(substitutions: dict[str, str]) -> dict[str, Any]:
    """The definition with every ${Name} replaced; a name without a value fails."""
    text = DEFINITION_PATH.read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{(\w+)\}", text))
    assert used == set(substitutions), f"substitutions differ: {sorted(used ^ set(substitutions))}"
    result: dict[str, Any] = json.loads(
        re.sub(r"\$\{(\w+)\}", lambda match: substitutions[match.group(1)], text)
    )
    return result


def transitions(state: dict[str, Any]) -> list[str]:
    """Where a state may go next."""
    targets = [state[key] for key in ("Next", "Default") if key in state]
    return targets + [rule["Next"] for rule in state.get("Choices", [])]


def state_lists(machine: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The machine and every Map's item processor, each a StartAt with its States."""
    yield machine
    for state in machine["States"].values():
        if "ItemProcessor" in state:
            yield from state_lists(state["ItemProcessor"])


class StateFailed(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class Execution:
    """One run: the tasks it called, in order, as (resource, parameters)."""

    def __init__(self, task: Task) -> None:
        self._task = task
        self.calls: list[tuple[str, Any]] = []
        self._transitions = 0

    def run(self, machine: dict[str, Any], data: Any, context: Any = None) -> Any:
        name = machine["StartAt"]
        while True:
            self._transitions += 1
            assert self._transitions < MAX_TRANSITIONS, "the machine does not end"
            state = machine["States"][name]
            data, name = self._step(state, data, context)
            if name is None:
                return data

    def _step(self, state: dict[str, Any], data: Any, context: Any) -> tuple[Any, str | None]:
        kind = state["Type"]
        if kind == "Fail":
            raise StateFailed(state["Error"])
        if kind == "Choice":
            return data, self._choose(state, data)
        if kind == "Succeed":
            return select(data, state.get("OutputPath", "$")), None
        effective = select(data, state.get("InputPath", "$"))
        if "Parameters" in state:
            effective = template(state["Parameters"], effective, context)
        if kind == "Pass":
            result = state.get("Result", effective)
        elif kind == "Task":
            self.calls.append((state["Resource"], effective))
            result = self._task(state["Resource"], effective)
        elif kind == "Map":
            result = self._map(state, effective)
        else:
            raise AssertionError(f"the runner does not know {kind} states")
        if "ResultSelector" in state:
            result = template(state["ResultSelector"], result, context)
        data = place(data, state.get("ResultPath", "$"), result)
        return select(data, state.get("OutputPath", "$")), state.get("Next")

    def _map(self, state: dict[str, Any], data: Any) -> list[Any]:
        if "MaxConcurrencyPath" in state:
            limit = select(data, state["MaxConcurrencyPath"])
            assert type(limit) is int, limit
            assert limit >= 0, limit
        results = []
        for index, item in enumerate(select(data, state["ItemsPath"])):
            context = {"Map": {"Item": {"Index": index, "Value": item}}}
            selector = state.get("ItemSelector")
            child = item if selector is None else template(selector, data, context)
            results.append(self.run(state["ItemProcessor"], child, context))
        return results

    def _choose(self, state: dict[str, Any], data: Any) -> str:
        for rule in state["Choices"]:
            if holds(rule, data):
                return str(rule["Next"])
        assert "Default" in state, "no choice matched and no Default: States.NoChoiceMatched"
        return str(state["Default"])


_MISSING: Final = object()


def lookup(data: Any, path: str) -> Any:
    """A simple JSONPath ($, $.a.b) or _MISSING."""
    assert path == "$" or re.fullmatch(r"\$(\.\w+)+", path), f"unsupported path {path}"
    for key in path.split(".")[1:]:
        if not isinstance(data, dict) or key not in data:
            return _MISSING
        data = data[key]
    return data


def select(data: Any, path: str | None) -> Any:
    if path is None:
        return {}
    found = lookup(data, path)
    assert found is not _MISSING, f"States.Runtime: {path} is not in the input"
    return found


def place(data: Any, path: str | None, result: Any) -> Any:
    if path is None:
        return data
    if path == "$":
        return result
    keys = path.split(".")[1:]
    placed = dict(data)
    target = placed
    for key in keys[:-1]:
        target[key] = dict(target.get(key, {}))
        target = target[key]
    target[keys[-1]] = result
    return placed


def template(payload: Any, data: Any, context: Any) -> Any:
    """A payload template: keys ending in .$ take a path or an intrinsic function's value."""
    if isinstance(payload, list):
        return [template(item, data, context) for item in payload]
    if not isinstance(payload, dict):
        return payload
    filled = {}
    for key, value in payload.items():
        if key.endswith(".$"):
            filled[key[:-2]] = evaluate(value, data, context)
        else:
            filled[key] = template(value, data, context)
    return filled


def evaluate(expression: str, data: Any, context: Any) -> Any:
    if expression.startswith("$$."):
        return select(context, expression[1:])
    if expression.startswith("$"):
        return select(data, expression)
    value, rest = _intrinsic(expression, data, context)
    assert not rest.strip(), f"trailing text in {expression}"
    return value


def _intrinsic(text: str, data: Any, context: Any) -> tuple[Any, str]:
    text = text.lstrip()
    if text.startswith("States."):
        name, rest = text.split("(", 1)
        args: list[Any] = []
        while not rest.lstrip().startswith(")"):
            value, rest = _intrinsic(rest, data, context)
            args.append(value)
            rest = rest.lstrip().removeprefix(",")
        return INTRINSICS[name](*args), rest.lstrip()[1:]
    if text.startswith("'"):
        literal, rest = text[1:].split("'", 1)
        return literal, rest
    token = re.match(r"[^,)\s]+", text)
    assert token, f"cannot read {text}"
    word = token.group(0)
    value = evaluate(word, data, context) if word.startswith("$") else json.loads(word)
    return value, text[token.end() :]


INTRINSICS: Final[dict[str, Callable[..., Any]]] = {
    "States.ArrayRange": lambda start, end, step: list(range(start, end + 1, step)),
    "States.MathAdd": lambda left, right: left + right,
    "States.StringToJson": json.loads,
    "States.ArrayLength": len,
}


def holds(rule: dict[str, Any], data: Any) -> bool:
    if "And" in rule:
        return all(holds(inner, data) for inner in rule["And"])
    if "Or" in rule:
        return any(holds(inner, data) for inner in rule["Or"])
    if "Not" in rule:
        return not holds(rule["Not"], data)
    value = lookup(data, rule["Variable"])
    if "IsPresent" in rule:
        return (value is not _MISSING) is rule["IsPresent"]
    assert value is not _MISSING, f"States.Runtime: {rule['Variable']} is not in the input"
    if "IsString" in rule:
        return isinstance(value, str) is rule["IsString"]
    if "IsNull" in rule:
        return (value is None) is rule["IsNull"]
    if "StringEquals" in rule:
        return isinstance(value, str) and value == str(rule["StringEquals"])
    if "NumericEquals" in rule:
        return type(value) in (int, float) and value == rule["NumericEquals"]
    raise AssertionError(f"the runner does not know the rule {rule}")
