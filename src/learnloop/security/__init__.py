"""Security adapters: password hashing with Argon2id."""
