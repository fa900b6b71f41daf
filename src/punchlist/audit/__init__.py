"""The tamper-evident audit trail: append-only events, each carrying the hash of the one before.

Database triggers refuse UPDATE and DELETE on the events (migration 0002); ``verify_chain`` finds any row
changed behind the application's back, because its hash (keyed with a secret the database does not hold), or
the next event's link to it, no longer matches; ``checkpoint`` publishes the heads outside the database.
"""
