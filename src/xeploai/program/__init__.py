"""The program: what every stage shares.

In: nothing (the bottom of the pipeline; this package imports no other package of xeploai).
Out: ``ir``, the compiled program as frozen dataclasses (value types, expressions, rules, caps, levels, quotas,
with source spans and citations), and ``issues``, problems as data (``Issue``) with the two exceptions that carry
them (``FrameworkError``, ``EvidenceError``).
"""
