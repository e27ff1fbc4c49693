"""Outbound documents: the committee pack, the internal-control report, findings exports.

Every report is built from an evaluation (a logged run) and written through the same two
helpers: :mod:`notifications.reports.export` for CSV and XLSX tables and
:mod:`notifications.reports.document` for HTML and PDF (WeasyPrint), with the rule revision and
the run id in every footer. Case references only: a personnummer in a report stops it.
"""
