# Two entry points, both safe on a fresh machine:
#   make build   set up the controller and run the default build (playbooks/build.yml)
#   make test    install what the tests need (system packages + pinned venv) and run every layer
# Either order works; nothing is compiled for `make build` (KERBEROS=1 make setup adds
# requests-gssapi for Koji's kerberos login, and the packages it needs to build).
VENV ?= .venv
PY ?= python3

.PHONY: setup build test lab-up lab-down clean

setup:
	./collection/setup.sh

build: setup
	$(VENV)/bin/ansible-playbook playbooks/build.yml $(ARGS)

test:
	./tests/run-all.sh

lab-up:
	./tests/lab/lab.sh up

lab-down:
	./tests/lab/lab.sh down

clean:
	rm -rf .collections tests/output .pytest_cache
