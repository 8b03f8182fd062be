from acrbrowse.cli import main

raise SystemExit(main())
