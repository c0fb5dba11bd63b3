"""Cross-domain flows: what spans several domain packages (an account with its workspace, roles
and MFA method; completing a sign-in or a sign-up; a new workspace with its sandbox balances;
the demo data).

Domain packages never import this package; routers, the CLI and the pages do."""
