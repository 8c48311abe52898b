"""`just db-shell`: an interactive SQL shell on DATABASE_URL."""

import os
import shutil
import sqlite3
import sys

from sqlalchemy.engine import make_url

from app.config import settings


def main() -> None:
    url = make_url(settings.DATABASE_URL)
    if url.get_backend_name() == "postgresql":
        os.execvp(
            "psql", ["psql", url.render_as_string(hide_password=False).replace("+psycopg", "")]
        )
    database = url.database or ":memory:"
    if shutil.which("sqlite3"):
        os.execvp("sqlite3", ["sqlite3", database])
    print(f"SQLite shell on {database}; end statements with ';', Ctrl-D to leave.")
    connection = sqlite3.connect(database)
    buffer = ""
    for line in sys.stdin:
        buffer += line
        if sqlite3.complete_statement(buffer):
            try:
                for row in connection.execute(buffer.strip()):
                    print(" | ".join(map(str, row)))
                connection.commit()
            except sqlite3.Error as error:
                print(f"error: {error}")
            buffer = ""


if __name__ == "__main__":
    main()
