"""The review process: the proposal ladder, ballots, quarters and the official forms offices print.

In: a population result and the process tables (``process_tables``: each rung's proposals, ballot tallies,
quarterly results, dated events). Out: ``ladder.ProcessResult`` (every rung beside the level the rules allow,
tallies counted by ``ballots``, discrepancies explained; ``ladder_text`` puts it in words), the evidence the period
rules read (``periods``) and the official tables (``forms``), written by ``form_writer`` as CSV or as an XLSX
workbook with the Party's document header and signature blocks.
Imports ``program``, ``framework``, ``evaluation``, ``explanation`` and ``tables``.
"""
