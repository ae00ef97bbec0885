#!/usr/bin/env python3
"""Validate APM intake v2 ndjson against the schemas vendored in spec/apm-intake-v2.

Input: ndjson where each intake body starts with its {"metadata": ...} line, as
`lambda-sim --events FILE` and `SimulationReport.writeSinkEvents(toNDJSON:)` write it (several
bodies simply follow each other). Rules (spec/apm-intake-v2/README.md): the first line is metadata; every
other line is an object with exactly one key out of transaction, span, error, metricset, log,
valid per that schema under Draft 7. Exit 0 when everything validates, 1 otherwise (each problem
printed as FILE:LINE: message), 2 on usage errors.
"""
import argparse
import json
import os
import sys

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

EVENT_TYPES = ("transaction", "span", "error", "metricset", "log")
DEFAULT_SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spec", "apm-intake-v2")


def load_validators(spec_dir):
    schemas = {}
    for name in ("metadata",) + EVENT_TYPES:
        with open(os.path.join(spec_dir, name + ".json"), encoding="utf-8") as handle:
            schemas[name] = json.load(handle)
    # Register every schema so a $ref between them would resolve (none exist today).
    registry = Registry().with_resources(
        (schema.get("$id", name), Resource.from_contents(schema, default_specification=DRAFT7))
        for name, schema in schemas.items()
    )
    return {name: jsonschema.Draft7Validator(schema, registry=registry) for name, schema in schemas.items()}


def validate(path, validators):
    problems = []
    seen_metadata = False
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                document = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(f"{where}: not JSON: {error}")
                continue
            if not isinstance(document, dict) or len(document) != 1:
                problems.append(f"{where}: an event line is an object with exactly one key")
                continue
            (key, value), = document.items()
            if key == "metadata":
                seen_metadata = True
            elif key not in EVENT_TYPES:
                problems.append(f"{where}: unknown event type {key!r}")
                continue
            elif not seen_metadata:
                problems.append(f"{where}: {key} before any metadata line")
            for error in sorted(validators[key].iter_errors(value), key=lambda e: list(e.path)):
                field = ".".join(str(part) for part in error.path) or "(root)"
                problems.append(f"{where}: {key}.{field}: {error.message}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="ndjson files")
    parser.add_argument("--spec", default=os.environ.get("APM_INTAKE_SPEC", DEFAULT_SPEC), help="schema directory")
    args = parser.parse_args()
    if not os.path.isdir(args.spec):
        print(f"schema directory not found: {args.spec}", file=sys.stderr)
        return 2
    validators = load_validators(args.spec)
    problems = []
    for path in args.files:
        problems += validate(path, validators)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"ok: {', '.join(args.files)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
