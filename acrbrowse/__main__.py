from acrbrowse.cli import entry

entry()
