"""Migrations are the only way the schema changes: they match the models, keep
data through upgrades on a populated database, and go down and up again."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select, text

from dozq.db import db
from dozq.demo import load_demo
from tests.conftest import database_for, make_app


def script_directory(app) -> ScriptDirectory:
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def row_counts() -> dict[str, int]:
    names = set(inspect(db.engine).get_table_names())
    with db.engine.connect() as connection:
        return {
            table.name: connection.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name in names
        }


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_there_is_one_head(app):
    with app.app_context():
        assert len(script_directory(app).get_heads()) == 1


def test_every_revision_keeps_demo_data_down_and_up(backend, tmp_path_factory):
    with database_for(backend, tmp_path_factory) as url:
        app = make_app(url, tmp_path_factory)
        with app.app_context():
            load_demo("демо-пароль-для-тесту")
            db.session.commit()
            populated = row_counts()
            assert all(
                populated[name] > 0
                for name in ("founder", "institution", "membership", "user_account")
            )
            revisions = [r.revision for r in script_directory(app).walk_revisions()]
            for revision in revisions[1:]:
                downgrade(revision=revision)
                kept = row_counts()
                upgrade()
                after = row_counts()
                assert {name: after[name] for name in kept} == kept
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert row_counts().keys() == populated.keys()
            db.engine.dispose()


def test_the_backfill_of_direction_results_agrees_with_the_workflow(backend, tmp_path_factory):
    """Cycles discussed before ``direction_result`` existed get the same results the
    workflow stores for them (the demo's closed cycle: no level set by hand on a
    direction, where the two would differ by design)."""
    with database_for(backend, tmp_path_factory) as url:
        app = make_app(url, tmp_path_factory)
        with app.app_context():
            load_demo("демо-пароль-для-тесту")
            db.session.commit()

            def stored():
                with db.engine.connect() as connection:
                    return sorted(
                        connection.execute(
                            text(
                                "SELECT cycle_id, institution_id, code, points, level_name,"
                                " level_css FROM direction_result"
                            )
                        ).all()
                    )

            by_workflow = stored()
            assert by_workflow and all(row.points for row in by_workflow)
            downgrade(revision="cb8e6b30c93d")
            upgrade()
            assert stored() == by_workflow
            db.engine.dispose()


def test_sqlite_enforces_foreign_keys_after_migrating(app, backend):
    """Batch migrations switch foreign keys off; every pooled connection must
    have them back on, or ON DELETE CASCADE silently does nothing."""
    if backend != "sqlite":
        pytest.skip("a pragma of SQLite")
    with app.app_context():
        for _ in range(3):
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
