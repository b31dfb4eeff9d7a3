"""The sync daemon: drains the till's outbox to the central service and keeps the replica current.

`protocol.py` holds the rules (what an answer means, how long to wait), with no I/O;
`transport.py` is a thin `requests.Session`; `daemon.py` runs rounds of push then pull.
"""
