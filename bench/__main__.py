"""`python -m bench`: run the suite (see bench.suite)."""

from bench.suite import main

raise SystemExit(main())
