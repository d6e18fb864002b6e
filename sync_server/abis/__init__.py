"""Biometric deduplication through an ABIS with MOSIP ABIS API semantics (docs/abis.md).

``port.AbisPort`` is what processing calls: insert / identify / delete enqueue a request row in
``abis_requests`` (``tables.py``) and return at once; ``dispatcher.AbisDispatcher`` sends the rows to the
ABIS process over HTTP, stores the answers and calls ``on_answer`` so the waiting packet is requeued;
``result(request_id)`` reads the answer. ``queue.AbisRequests`` implements the port.
"""
