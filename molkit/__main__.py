import sys

from molkit.cli import main

sys.exit(main())
