"""`make bench`: a booking storm over HTTP against the real server on PostgreSQL.

`python -m bench --help` lists the flags. Setup goes through the product's services; only the
HTTP storm and the two ceilings (raw PostgreSQL transaction, /healthz) are timed.
"""
