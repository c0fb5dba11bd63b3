"""Helpers of the test suite (the conftest files hold only fixtures): the database and settings
(`db`), a portal's front end and the envelope assertions (`portal`), the mail outbox (`mail`),
server processes (`servers`), the command line (`cli`), S3 (`storage`), the money users
(`money`), the OAuth, issuer, `rel` and onboarding clients, and the browser tests' site."""
