"""`python -m seamline` is the `seamline` command."""

from seamline.cli import main

main()
