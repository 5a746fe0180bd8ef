"""WSGI entry point: `flask --app wsgi run` in development, `gunicorn wsgi:app` in production."""
from civic import create_app
from civic.extensions import socketio

app = create_app()

if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=5000)
