"""The web app: JSON API and server-rendered pages, built by `app.create_app(settings)`."""
