"""`python -m distillscope` runs the command line."""

from distillscope.cli import main

if __name__ == "__main__":
    main()
