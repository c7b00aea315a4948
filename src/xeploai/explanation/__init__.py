"""The explanation stage: a ``Result`` (and its ``Program``) → what a person reads, and what proves it later.

In: results from ``evaluation``. Out: the deciding nodes, reasons and why-not (``reasons``) rendered as text and
JSON (``explain``), dispute packets in Markdown and HTML (``packet``, with ``packet_findings``, ``packet_blocks``
and ``packet_words``), the smallest changes that reach a level (``counterfactual``, with ``counterfactual_search``,
``counterfactual_domains`` and ``counterfactual_checker``), the comparison with a self-assessed level
(``self_assessment``), redacted results (``redact``), receipts that replay a result (``receipt``, checked by
``verifier``) and the append-only case history of a dispute (``history``); the fixed words of every renderer in
Vietnamese and English (``messages``). Imports ``program``, ``evaluation`` and, to replay a receipt,
``framework.files``.
"""
