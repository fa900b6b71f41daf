"""Organizations and the people in them: who belongs where, in which role.

Every other table hangs off an organization; an MSP's user may belong to several, in different roles.
"""
