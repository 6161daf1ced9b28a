"""The floor: a bare Flask app answering a tiny page, served by the same gunicorn settings.

Every page figure of the bench is also shown as a share of what this app does on the same
machine in the same run, so a busy machine moves both and the ratio stays comparable.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
