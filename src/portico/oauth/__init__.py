"""The OAuth2 token endpoint: clients, signing keys, access and refresh tokens."""
