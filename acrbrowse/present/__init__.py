"""How acrbrowse shows things: terminal-safe text from untrusted strings."""
