"""Tables: population files in, result tables out.

In: a folder of CSV, XLSX or Parquet tables, one workbook, or a YAML/JSON population document, and the program
whose fields they fill. Out: ``evaluation.population.PopulationInput`` (row by row) or
``evaluation.bulk_input.BulkInput`` (typed columns), with every rejected row, column or value named; and the
writers of CSV, XLSX and Parquet tables and of blank templates. Row by row: ``cells`` < ``files`` < ``headers`` <
``entries`` < ``documents`` < ``reader`` (``read_population``); column by column: ``columns`` < ``verdicts`` <
``parquet`` (``read_bulk``); ``writers`` and ``templates`` write. ``spellings`` reads level names as offices type
them. Imports ``program``, ``framework`` (the YAML loader) and ``evaluation``.
"""
