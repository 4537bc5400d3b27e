"""The reference central-office service: receives readings, serves the directory.

``sync.office.app.create_app(engine)`` is the FastAPI application; ``sync.office.database``
opens and migrates its database (SQLite by default, PostgreSQL by URL). The rest are small
modules by subject: terminals and authentication, ingest, directory, reports.
"""
