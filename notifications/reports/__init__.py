"""Outbound documents: the reports bevaka writes as files (CSV, XLSX, HTML, PDF).

The IVO quarter's writers are the ``ivo_*`` modules; they take the data the engine computed
(``engine.ivo``, ``engine.ivo_kf``, ``engine.ivo_worksheet``, ``engine.ivo_avgift``) and only
format it.
"""
