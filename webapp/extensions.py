"""Flask extensions, created unbound and initialised in the application factory."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Limits are declared on the views (webapp/auth/ratelimit.py); none by default.
limiter = Limiter(key_func=get_remote_address)
