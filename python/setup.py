"""The package's version is the c2s binary's: read from the one literal in the Swift sources
(C2SVersion.string in Sources/Mechanics/Version.swift) when the package is built, so the two can
never disagree. Everything else is declared in pyproject.toml."""

import re
from pathlib import Path

from setuptools import setup

VERSION_SOURCE = Path(__file__).resolve().parent.parent / "Sources" / "Mechanics" / "Version.swift"


def swift_version() -> str:
    try:
        text = VERSION_SOURCE.read_text()
    except OSError as error:
        raise SystemExit(
            f"c2s's Python package is built from the c2s repository (python/ beside Sources/): "
            f"cannot read {VERSION_SOURCE}: {error.strerror}"
        )
    match = re.search(r'static let string = "([^"]+)"', text)
    if match is None:
        raise SystemExit(f"{VERSION_SOURCE}: no `static let string = \"...\"` version literal")
    return match.group(1)


setup(version=swift_version())
