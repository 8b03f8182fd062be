from acrbrowse.cli.main import entry

entry()
