"""Blueprints, one package per area."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every area's routes."""
    from app.blueprints.admin.routes import bp as admin_bp
    from app.blueprints.auth.routes import bp as auth_bp
    from app.blueprints.checklists.routes import bp as checklists_bp
    from app.blueprints.coordination.routes import bp as coordination_bp
    from app.blueprints.documents.routes import bp as documents_bp
    from app.blueprints.main.routes import bp as main_bp
    from app.blueprints.reports.routes import bp as reports_bp
    from app.blueprints.systems.routes import bp as systems_bp
    from app.blueprints.trainings.routes import bp as trainings_bp
    from app.blueprints.unit.routes import bp as unit_bp

    for bp in (auth_bp, main_bp, unit_bp, coordination_bp, documents_bp, systems_bp,
               trainings_bp, checklists_bp, reports_bp, admin_bp):
        app.register_blueprint(bp)
