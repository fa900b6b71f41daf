"""The register: scopes, assessments, requirement statuses and POA&M items with their milestones and evidence.

Reads go through the querysets' ``for_organization`` / ``restrict``; every write goes through ``services``.
"""
