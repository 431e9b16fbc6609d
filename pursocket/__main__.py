"""``python -m pursocket``: the same command line as the ``pursocket`` console script."""

from pursocket.cli import run

if __name__ == "__main__":
    run()
