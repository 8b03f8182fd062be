"""Comparing images: what two tags or platforms share and what changed between them (layers, config,
files), and what each tag of a repository holds alone. Domain code: it never imports Textual."""
