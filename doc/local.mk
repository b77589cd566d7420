# doc: the man page; see Makefile.am
dist_man_MANS = doc/bp.1
# doc/bp.1 names every command, function, setting and option of bp and
# formats without warnings.
TESTS += doc/check-man.sh
EXTRA_DIST += doc/check-man.sh
