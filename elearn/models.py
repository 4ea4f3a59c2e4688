"""Imports every models module so that metadata (and Alembic autogenerate) sees all tables."""
import lti.models  # noqa: F401
import elearn.launch.models  # noqa: F401
import elearn.demo.models  # noqa: F401
import elearn.catalog.models  # noqa: F401
import elearn.learning.models  # noqa: F401
import elearn.selfassessment.models  # noqa: F401
import elearn.quizzes.models  # noqa: F401
import elearn.grades.models  # noqa: F401
import elearn.instructor.models  # noqa: F401
import elearn.accreditation.models  # noqa: F401
import elearn.certificates.models  # noqa: F401
import elearn.events.models  # noqa: F401
