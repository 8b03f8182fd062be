"""The OCI distribution API over HTTP: transport, auth, the registry client. Never imports textual."""
