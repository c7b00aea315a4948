"""The framework stage: YAML framework files → a checked, compiled ``Program``.

In: framework files (text, untrusted). Out: ``program.ir.Program``, or every problem as ``Issue`` records.
``loader`` reads YAML safely with positions, ``schema`` validates the document model (pydantic), ``conditions``
parses condition strings without ``eval``, ``checker`` finds every problem at once, ``compiler`` builds the IR,
and ``files`` composes them for a file, its extension chain and a family folder (the version in force).
Imports ``program`` only.
"""
