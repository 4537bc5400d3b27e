"""The office's pages: operators' sign-in, the fleet, a terminal, the public slip check."""
