"""`python -m regtrail.analyst ...`"""

import sys

from regtrail.analyst.cli import main

sys.exit(main())
