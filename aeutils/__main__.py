import sys

from aeutils.cli import main

sys.exit(main())
