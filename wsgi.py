"""The WSGI entry point: `gunicorn wsgi:app`, and what `flask` finds by itself."""

import sys

from portal import StartupError, create_app

try:
    app = create_app()
except StartupError as exc:
    # `flask keys init` must work on a machine that has no keys yet, and
    # `flask policies check` is how an operator finds what stops the start.
    if sys.argv[1:3] in (["keys", "init"], ["policies", "check"]):
        from portal.bootstrap import create_bootstrap_app

        app = create_bootstrap_app()
    else:
        sys.exit(f"portal: cannot start: {exc}")
