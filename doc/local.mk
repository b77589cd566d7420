# doc: the man page; see Makefile.am
