"""The HTTP decision service and its page (``xeploai serve``): what software in other languages and people in a
browser use instead of the Python API.

In: HTTP requests (JSON bodies, uploaded populations, receipts). Out: the explanation JSON of the command line
(same schema version), printable packets, result tables and pages, and problems as the same ``Issue`` records
with a 4xx status. Sits on the façade and the stages below; FastAPI and uvicorn (the ``service`` extra) are
imported only by ``app``, ``page`` and ``server``, never by ``xeploai`` or ``xeploai.api``.
"""
