"""The reference central-office service: receives readings, serves the directory.

``sync.office.app.create_app(engine)`` is the FastAPI application behind its Gate (size limit
and authentication before any body is parsed); ``sync.office.database`` opens its database
(SQLite by default, PostgreSQL by URL) and migrates it when asked (``kiosk office migrate``).
The rest are small modules by subject: settings, terminals and authentication, ingest,
directory, reports.
"""
