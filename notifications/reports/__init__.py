"""Outbound documents: the reports bevaka writes as files (CSV, XLSX, HTML, PDF).

Every report is built from an evaluation (a logged run) and only formats what the engine
computed: the committee pack (:mod:`.namnd`), the internal-control report
(:mod:`.internkontroll`), findings exports (:mod:`.findings`) and the IVO quarter's ``ivo_*``
modules (from ``engine.ivo``, ``engine.ivo_kf``, ``engine.ivo_worksheet``, ``engine.ivo_avgift``).
Tables go through :mod:`notifications.reports.export` (CSV UTF-8 with BOM, XLSX with real
dates; formula-like text written as text) and documents through
:mod:`notifications.reports.document` (HTML and PDF by WeasyPrint), with the rule revision and
the run id in every footer. Case references only: a personnummer in a report stops it (the IVO
worksheets, which carry IVO's pseudo-identifier, aside).
"""
