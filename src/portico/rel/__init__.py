"""The customer data store (`/issuers/{issuerId}/rel/...`): contacts, organisations, addresses
and phone numbers in the shapes of Afosto's `rel` service."""
