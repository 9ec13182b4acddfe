# iovlab front door: the two commands the README gives a new user.
#   make run   -- install what is missing, build, run the default lab
#   make test  -- install what is missing, build, run the whole test suite
# Everything else is plain Meson (see docs/building.md).

BUILD ?= build
MESON_SETUP_ARGS ?=

.PHONY: run test deps build clean

run: build
	./$(BUILD)/tools/iovlab run labs/default.lab

test: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_SETUP_ARGS)

deps:
	@bash scripts/deps.sh

clean:
	rm -rf $(BUILD)
