# web/local.mk: bp in the browser (see web/README.md).  Plain `make` and
# `make check` never need Emscripten; these targets do.
#   make web        the static site in web/site/ (emcc, npm for xterm.js)
#   make check-web  builds it, serves it on 127.0.0.1, and checks it in
#                   headless Chromium (web/check-web.py)
WEB_FILES = web/bp_web.c web/web_hooks.h web/pre.js web/term.js web/index.html \
	web/style.css web/package.json web/package-lock.json web/build.sh \
	web/check-web.py web/README.md
EXTRA_DIST += $(WEB_FILES)

.PHONY: web check-web clean-web
web: grammar/parser.c grammar/parser.h grammar/lexer.c grammar/lexer.h
	@PACKAGE_VERSION='$(PACKAGE_VERSION)' $(SHELL) $(srcdir)/web/build.sh '$(srcdir)' \
	  -- $(src_libbp_a_SOURCES) -- $(dist_example_DATA)

check-web: web
	python3 $(srcdir)/web/check-web.py web/site

clean-web:
	rm -rf web/site
