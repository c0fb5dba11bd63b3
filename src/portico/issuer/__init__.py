"""The issuer API: consumer operations and the back office over HTTP."""
