"""Background jobs on procrastinate: exports, retention sweeps and other deferred work."""
