"""A strict reader of Prometheus' text exposition format (0.0.4), for the tests: it refuses
whatever Prometheus would refuse (and a little more: a sample before its TYPE, a family
split in two, a duplicate series), so a test that parses ``/metrics`` proves it is valid.

prometheus_client is not a dependency; this follows
https://prometheus.io/docs/instrumenting/exposition_formats/ (the text format).
"""

import re
from dataclasses import dataclass, field

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}
FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class FormatError(ValueError):
    pass


@dataclass
class MetricFamily:
    name: str
    type: str = "untyped"
    help: str | None = None
    typed: bool = False
    samples: dict = field(default_factory=dict)  # frozenset(label items) -> value

    def value(self, **labels):
        return self.samples[frozenset(labels.items())]

    def get(self, default=None, **labels):
        return self.samples.get(frozenset(labels.items()), default)


def _unescape(text, allowed, line_number):
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            if index + 1 >= len(text) or text[index + 1] not in allowed:
                raise FormatError(f"line {line_number}: bad escape in {text!r}")
            out.append({"\\": "\\", '"': '"', "n": "\n"}[text[index + 1]])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _parse_value(text, line_number):
    if text in {"NaN", "+Inf", "-Inf", "Inf", "+inf", "-inf", "inf", "nan"}:
        return float(text)
    if not FLOAT.fullmatch(text):
        raise FormatError(f"line {line_number}: {text!r} is not a number")
    return float(text)


def _parse_labels(text, start, line_number):
    """Labels from ``text[start]`` == "{" to the closing brace: (labels, index after)."""
    labels, index = {}, start + 1
    while True:
        if index < len(text) and text[index] == "}":
            return labels, index + 1
        match = LABEL_NAME.match(text, index)
        if not match:
            raise FormatError(f"line {line_number}: bad label name at {text[index:]!r}")
        name = match.group()
        if name.startswith("__"):
            raise FormatError(f"line {line_number}: reserved label name {name}")
        index = match.end()
        if text[index : index + 2] != '="':
            raise FormatError(f'line {line_number}: expected =" after {name}')
        index += 2
        value_start = index
        while index < len(text) and text[index] != '"':
            index += 2 if text[index] == "\\" else 1
        if index >= len(text):
            raise FormatError(f"line {line_number}: unterminated label value")
        if name in labels:
            raise FormatError(f"line {line_number}: label {name} twice")
        labels[name] = _unescape(text[value_start:index], '\\"n', line_number)
        index += 1
        if index < len(text) and text[index] == ",":
            index += 1
        elif index < len(text) and text[index] != "}":
            raise FormatError(f"line {line_number}: expected , or }} after a label")


def _family_of(sample_name, families):
    if sample_name in families:
        return families[sample_name]
    for family in families.values():
        for suffix in SUFFIXES.get(family.type, ()):
            if sample_name == family.name + suffix:
                return family
    return None


def parse(text):
    """The families in ``text``, by name; FormatError for anything out of the format."""
    if not text.endswith("\n"):
        raise FormatError("the exposition must end with a newline")
    families, finished, current = {}, set(), None
    for line_number, line in enumerate(text[:-1].split("\n"), start=1):
        if line.strip() == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in {"HELP", "TYPE"}:
                keyword, name = parts[1], parts[2]
                if not METRIC_NAME.fullmatch(name):
                    raise FormatError(f"line {line_number}: bad metric name {name!r}")
                if name in finished:
                    raise FormatError(f"line {line_number}: family {name} split in two")
                if current is not None and current.name != name:
                    finished.add(current.name)
                family = families.setdefault(name, MetricFamily(name))
                current = family
                rest = parts[3] if len(parts) > 3 else ""
                if keyword == "HELP":
                    if family.help is not None:
                        raise FormatError(f"line {line_number}: second HELP for {name}")
                    family.help = _unescape(rest, "\\n", line_number)
                else:
                    if rest not in TYPES:
                        raise FormatError(f"line {line_number}: bad type {rest!r}")
                    if family.samples or family.typed:
                        raise FormatError(f"line {line_number}: TYPE for {name} too late")
                    family.type = rest
                    family.typed = True
            continue
        match = METRIC_NAME.match(line)
        if not match:
            raise FormatError(f"line {line_number}: bad sample {line!r}")
        sample_name, index = match.group(), match.end()
        labels = {}
        if index < len(line) and line[index] == "{":
            labels, index = _parse_labels(line, index, line_number)
        if index >= len(line) or line[index] != " ":
            raise FormatError(f"line {line_number}: expected a space before the value")
        fields = line[index + 1 :].split(" ")
        if not 1 <= len(fields) <= 2:
            raise FormatError(f"line {line_number}: expected a value and maybe a timestamp")
        value = _parse_value(fields[0], line_number)
        if len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1]):
            raise FormatError(f"line {line_number}: bad timestamp {fields[1]!r}")
        family = _family_of(sample_name, families)
        if family is None:
            family = families.setdefault(sample_name, MetricFamily(sample_name))
        if family.name in finished:
            raise FormatError(f"line {line_number}: family {family.name} split in two")
        if current is not None and current is not family:
            finished.add(current.name)
        current = family
        key = frozenset({**labels, "__name__": sample_name}.items())
        if key in family.samples:
            raise FormatError(f"line {line_number}: duplicate series {line!r}")
        family.samples[key] = value
    for family in families.values():
        family.samples = {
            frozenset((k, v) for k, v in key if k != "__name__"): value
            for key, value in family.samples.items()
        }
    return families
