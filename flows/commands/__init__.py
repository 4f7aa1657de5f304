"""The CLI's commands: each module defines ``COMMAND``, a click command that
:mod:`tilewright.cli` adds to the top-level group; shared helpers are in :mod:`.common`."""
