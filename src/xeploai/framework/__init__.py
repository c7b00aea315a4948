"""The framework stage: YAML framework files → a checked, compiled ``Program``.

In: framework files (text, untrusted). Out: ``program.ir.Program``, or every problem as ``Issue`` records.
``loader`` reads YAML safely with positions, ``schema`` validates the document model (pydantic), ``conditions``
parses condition strings without ``eval`` (``condition_syntax`` words what it rejects), ``resolver`` builds the
view of a document that ``checker`` and ``compiler`` share, ``checker`` finds every problem at once (with
``document_checks``, ``level_checks`` and ``process_checks``), ``compiler`` builds the IR, and ``files`` composes
them for a file, its extension chain and a family folder (the version in force).
Imports ``program`` only.
"""
