"""Command line: argv parsing, the script commands, login, launching the browser."""
