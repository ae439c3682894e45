# The package version: equal to the c2s binary's (`c2s --version`, C2SVersion.string in
# Sources/Mechanics/Version.swift); python/tests/test_binary.py checks all three agree.
__version__ = "0.1.0"
