"""``python -m policycheck`` runs the command line."""

from policycheck.cli import run

if __name__ == "__main__":
    run()
