"""``python -m policycheck`` runs the command line."""

from policycheck.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
