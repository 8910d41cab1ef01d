"""Use cases. They reach the outside through the ports in `ports` and never commit."""
