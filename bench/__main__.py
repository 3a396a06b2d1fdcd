"""`python -m bench` = `python -m bench.run`."""

from bench.run import main

main()
