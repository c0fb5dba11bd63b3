"""Partner accounts awaiting the issuer's approval."""
