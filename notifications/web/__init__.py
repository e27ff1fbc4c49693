"""The read-only web view: a snapshot of the database served by Datasette (see
:mod:`notifications.web.snapshot`, :mod:`notifications.web.app`)."""
