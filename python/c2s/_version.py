# The package version is the c2s binary's (`c2s --version`). Its one literal is C2SVersion.string
# in Sources/Mechanics/Version.swift; python/setup.py copies it into the package's metadata at
# build time, and this reads it back (or, imported from the repository without installing, reads
# the Swift source itself). python/tests/test_binary.py checks all three agree.
import re
from importlib import metadata
from pathlib import Path


def _version() -> str:
    here = Path(__file__).resolve().parent
    source = here.parent.parent / "Sources" / "Mechanics" / "Version.swift"
    installed = None
    try:
        installed = metadata.version("c2s")
    except metadata.PackageNotFoundError:
        pass
    # Imported from python/c2s in a checkout: the source is authoritative even if an older
    # build of the package is also installed.
    if source.is_file() and not any(p.name == "site-packages" for p in here.parents):
        match = re.search(r'static let string = "([^"]+)"', source.read_text())
        if match:
            return match.group(1)
    return installed if installed is not None else "unknown"


__version__ = _version()
