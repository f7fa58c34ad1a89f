"""Deliberately empty: raids are need-to-know by named person (REFERENCE R07).

Registering them in the Django admin would show every raid, its team and its outcome to any
superuser, outside ``Raid.objects.visible_to`` and without the audit of each read.  Raids
and prosecution cases are managed only through the hub's own pages.
"""
