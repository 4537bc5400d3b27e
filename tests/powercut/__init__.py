"""The power-cut test: the terminal's store written on a file system that forgets every write
that was never fsynced, cut at random moments and checked after each "reboot".

``lazyfs`` is the file system (its own process), ``writer`` the terminal's writer (another
process), ``harness`` mounts, cuts, remounts and checks; ``bench/power_cut.py`` runs it long.
"""
