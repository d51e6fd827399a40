"""``python -m streams.kb.build [--out PATH]``: compile the entity KB (``make kb``)."""

from streams.kb.build import main

raise SystemExit(main())
