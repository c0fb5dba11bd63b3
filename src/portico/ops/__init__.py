"""Operating Portico: health and readiness probes, Prometheus metrics, structured logs,
security events and the production configuration check."""
