"""On PostgreSQL, a trigram index makes the name search (`search_name LIKE '%…%'`) use an index.

SQLite has no such index; there the search reads the table, which is fast enough at national size.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS cooperatives_cooperative_search_trgm "
    "ON cooperatives_cooperative USING gin (search_name gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS cooperatives_cooperative_search_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("cooperatives", "0003_duplicate_sides_survive_merge")]

    operations = [migrations.RunPython(run(CREATE), run(DROP), elidable=False)]
