"""Partner onboarding (`/caas-lcm/api/v1/CAAS/...`): a partner's server enrols the customers it
has already KYC'd, looks them up by ID document and reads their subscription to it."""
