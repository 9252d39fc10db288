"""Settings for Mourafaka, read from the environment (12-factor).

Development defaults are safe for `make run`: SQLite, DEBUG on, a local secret.
With DJANGO_ENV=production the process refuses to start unless SECRET_KEY is
set and DEBUG is off, and cookies, HSTS and SSL redirects are switched on.
"""

import sys
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"
TESTING = env.bool("MOURAFAKA_TESTING", default="pytest" in sys.modules)

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY", default="")

if PRODUCTION:
    if not SECRET_KEY or len(SECRET_KEY) < 40:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random string of at least 40 characters when DJANGO_ENV=production."
        )
    if DEBUG:
        raise ImproperlyConfigured(
            "DEBUG must be off when DJANGO_ENV=production (unset DEBUG or set DEBUG=false)."
        )
elif not SECRET_KEY:
    SECRET_KEY = "development-only-secret-key-not-for-production-use-0123456789"  # noqa: S105

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "auditlog",
    "csp",
    "mourafaka.core",
    "mourafaka.territory",
    "mourafaka.accounts",
    "mourafaka.cooperatives",
    "mourafaka.programmes",
    "mourafaka.calls",
    "mourafaka.diagnostics",
    "mourafaka.trainings",
    "mourafaka.coaching",
    "mourafaka.financing",
    "mourafaka.trust",
    "mourafaka.indicators",
    "mourafaka.steering",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mourafaka.core.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "mourafaka.trust.middleware.RequireTwoFactorMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "mourafaka.trust.access_logging.PersonalDataAccessLogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mourafaka.urls"
WSGI_APPLICATION = "mourafaka.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "mourafaka" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mourafaka.core.context_processors.navigation",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'var' / 'mourafaka.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    (BASE_DIR / "var").mkdir(exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never outside tests

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: login by email, no self sign-up (accounts are created by the office).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "mourafaka.accounts.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {"login_failed": False}  # django-axes does the lock-out
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Mourafaka"
MFA_TOTP_TOLERANCE = 1  # a code typed at the end of its 30 seconds is still accepted
# allauth's own limit on wrong codes is off with ACCOUNT_RATE_LIMITS above: these forms limit them.
MFA_FORMS = {
    "authenticate": "mourafaka.trust.forms.AuthenticateForm",
    "reauthenticate": "mourafaka.trust.forms.ReauthenticateForm",
}

# django-axes: lock an account + IP pair out after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "mourafaka.accounts.adapters.axes_username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("ar", _("Arabic")), ("en", _("English"))]
LANGUAGES_BIDI = ["ar"]
LOCALE_PATHS = [BASE_DIR / "mourafaka" / "locale"]
LANGUAGE_COOKIE_NAME = "mourafaka_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Africa/Casablanca"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))

# Background jobs: the Django Tasks API. The database queue needs no broker;
# production may switch BACKEND to a Redis one (see README) without code changes.
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
if TESTING:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
SMS_BACKEND = env.str("SMS_BACKEND", default="mourafaka.core.sms.ConsoleBackend")
if TESTING:
    SMS_BACKEND = "mourafaka.core.sms.MemoryBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Mourafaka <no-reply@mourafaka.local>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["mourafaka.core.permissions.PolicyPermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "mourafaka.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mourafaka API",
    "DESCRIPTION": "REST API of the platform for the ODCO's cooperative support programmes.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RankingStatusEnum": "mourafaka.calls.models.RankingVersion.Status",
        "PlanItemStatusEnum": "mourafaka.diagnostics.models.CapacityPlanItem.Status",
        "ActionStatusEnum": "mourafaka.diagnostics.models.DevelopmentAction.Status",
        "AttachmentKindEnum": "mourafaka.diagnostics.models.DiagnosticAttachment.Kind",
        "TrainingSessionStatusEnum": "mourafaka.trainings.models.Session.Status",
        "TrainingRegistrationStatusEnum": "mourafaka.trainings.models.Registration.Status",
        "TrainingRegistrationSourceEnum": "mourafaka.trainings.models.Registration.Source",
        "AttendanceSourceEnum": "mourafaka.trainings.models.Attendance.Source",
        "CoachingEngagementStatusEnum": "mourafaka.coaching.models.Engagement.Status",
        "CoachingVisitStatusEnum": "mourafaka.coaching.models.Visit.Status",
        "ContractStatusEnum": "mourafaka.coaching.models.Contract.Status",
        "DeliverableStatusEnum": "mourafaka.coaching.models.Deliverable.Status",
        "DeliverableReviewEnum": ["validated", "rejected"],
        "DeliverableKindEnum": "mourafaka.coaching.models.DeliverableKind",
        "ProviderKindEnum": "mourafaka.coaching.models.Provider.Kind",
        "ProviderStaffFunctionEnum": "mourafaka.coaching.models.ProviderStaff.Function",
        "FinancingProposalStatusEnum": "mourafaka.financing.models.Proposal.Status",
        "FinancingAgreementStatusEnum": "mourafaka.financing.models.Agreement.Status",
        "TrancheConditionKindEnum": "mourafaka.financing.models.TrancheCondition.Kind",
        "ProjectDocumentKindEnum": "mourafaka.financing.models.AgreementDocument.Kind",
        "ProposalDocumentKindEnum": "mourafaka.calls.models.ApplicationDocument.Kind",
    },
}

# Content-Security-Policy: everything is served by the platform itself (no CDN).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
    # The API docs page (Swagger UI) is the one place that needs inline code.
    "EXCLUDE_URL_PREFIXES": ["/api/docs/"],
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env.str("LOG_LEVEL", default="INFO" if PRODUCTION else "WARNING"),
    },
}

# Programme-wide settings that the office may change without code.
MOURAFAKA = {
    "DEMO_PASSWORD": env.str("DEMO_PASSWORD", default="Mourafaka-2026"),
    # Absolute address of the site, for links that leave it (the QR code of a training certificate).
    "SITE_URL": env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/"),
    # Two-factor login for head-office, delegate and provider staff: on in production, off for the
    # `make run` demo and the tests unless MFA_REQUIRED=1.
    "MFA_REQUIRED": env.bool("MFA_REQUIRED", default=PRODUCTION),
    # Members of cooperatives that left every programme are anonymised this many months after.
    "RETENTION_MONTHS_AFTER_PROGRAMMES": env.int("RETENTION_MONTHS_AFTER_PROGRAMMES", default=60),
    "BACKUP_DIR": env.str("BACKUP_DIR", default=str(BASE_DIR / "var" / "backups")),
}
