"""The HTTP API under /api/v1/ and the personal tokens that open it, for programs rather than people in a browser.

Endpoints call the same services as the web screens, so permissions, validation, the audit trail and
optimistic locking are the web's own; a token never has more rights than its person.
"""
