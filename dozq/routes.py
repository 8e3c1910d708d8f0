"""The URL map: which area's pages live under which tenant.

Nested blueprints can be attached only once per process, so this happens at
import time; ``create_app`` registers the top-level ones on each app.
"""

from dozq.assessment.founder_views import bp as assessment_founder
from dozq.assessment.views import bp as assessment
from dozq.assessment.views import founder_requests_bp as assessment_requests
from dozq.audit.views import bp as audit
from dozq.auth.views import bp as auth
from dozq.catalog.admin_views import bp as catalog_admin
from dozq.catalog.founder_views import bp as catalog_founder
from dozq.catalog.views import bp as catalog
from dozq.documents.views import bp as documents
from dozq.files.views import bp as files
from dozq.privacy.views import bp as privacy
from dozq.publication.founder_views import bp as founder_dashboard
from dozq.publication.public_views import bp as public_pages
from dozq.publication.public_views import founder_bp as public_founder
from dozq.publication.views import bp as publication
from dozq.publication.views import dashboard_bp as institution_dashboard
from dozq.publication.views import notifications_bp as notifications
from dozq.quality_system.views import bp as quality_system
from dozq.regulation.public import bp as regulation_public
from dozq.regulation.views import bp as regulation
from dozq.surveys.founder_views import bp as surveys_founder
from dozq.surveys.public_views import bp as survey_public
from dozq.surveys.views import bp as surveys
from dozq.tenancy.access import founder_bp, institution_bp
from dozq.tenancy.views import admin_bp
from dozq.web.views import bp as web

institution_bp.register_blueprint(audit)
institution_bp.register_blueprint(files)
institution_bp.register_blueprint(quality_system)
founder_bp.register_blueprint(audit)
institution_bp.register_blueprint(catalog)
founder_bp.register_blueprint(catalog_founder)
admin_bp.register_blueprint(catalog_admin)
institution_bp.register_blueprint(privacy)
institution_bp.register_blueprint(assessment)
founder_bp.register_blueprint(assessment_requests)
founder_bp.register_blueprint(assessment_founder)
institution_bp.register_blueprint(surveys)
founder_bp.register_blueprint(surveys_founder)
institution_bp.register_blueprint(regulation)
institution_bp.register_blueprint(documents)
institution_bp.register_blueprint(publication)
institution_bp.register_blueprint(institution_dashboard)
institution_bp.register_blueprint(notifications)
founder_bp.register_blueprint(founder_dashboard)

TOP_LEVEL = (
    web,
    auth,
    admin_bp,
    founder_bp,
    institution_bp,
    survey_public,
    regulation_public,
    public_pages,
    public_founder,
)
