"""Analysis of frameworks as a whole: their tests, a search for gaps and conflicts, readings and version diffs.

In: programs, their ``*.tests.yaml`` files and populations. Out: test outcomes (``framework_tests``), findings
(``search``: unreachable levels, gaps, non-monotonic rules — the search of one kind in ``explorer`` over the values
of ``domains`` and the directions of ``polarity``, read from the IR by ``walk``, reported by ``findings`` and
``coverage``), who depends on a named reading (``readings``) and what changed between two versions, rule by rule
and person by person (``diff``). Imports every package below it.
"""
