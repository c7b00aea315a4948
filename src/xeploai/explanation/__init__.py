"""The explanation stage: a ``Result`` (and its ``Program``) → what a person reads, and what proves it later.

In: results from ``evaluation``. Out: reasons and why-not (``explain``), dispute packets in Markdown and HTML
(``packet``), the smallest changes that reach a level (``counterfactual``), redacted results (``redact``),
receipts that replay a result (``receipt``) and the append-only case history of a dispute (``history``); the
fixed words of every renderer in Vietnamese and English (``messages``). Imports ``program``, ``evaluation`` and,
to replay a receipt, ``framework.files``.
"""
