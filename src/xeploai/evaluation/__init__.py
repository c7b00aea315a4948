"""The evaluation stage: a ``Program`` × evidence → results whose outcome is the root of their trace.

In: a program and raw evidence (one subject, a population of units and subjects, or typed columns).
Out: ``trace.Result`` per subject; for populations, results in the regulation's order with quotas applied.
``evidence`` types raw values, ``inputs`` reads a subject's evidence file and a period, ``runners`` evaluate
(interpreter, columnar, durable-rules), ``population`` and ``bulk`` (with its stages ``bulk_input``, ``bulk_relations``,
``bulk_quotas``, ``bulk_result``) order and classify whole populations, and ``report`` turns population results into
table rows. Imports ``program`` and, for reading files, ``framework`` (``framework.loader``); the runners and the
trace never see YAML, pydantic or the document model.
"""
