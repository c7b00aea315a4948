"""The review process: the proposal ladder, ballots, quarters and the official forms offices print.

In: a population result and the process tables (each rung's proposals, ballot tallies, quarterly results, dated
events). Out: ``ladder.ProcessResult`` (every rung beside the level the rules allow, discrepancies explained),
the evidence the period rules read (``periods``) and the official tables (``forms``) as CSV or XLSX.
Imports ``program``, ``framework``, ``evaluation``, ``explanation`` and ``tables``.
"""
