# Makefile for otelcol-trace. The two commands the README names are
# `make run` (the collector on config/default.yaml) and `make test`.
GO        ?= go
BUILDER   ?= builder
BIN       ?= bin/otelcol-trace
CONFIG    ?= config/default.yaml

.PHONY: all build run test fuzz-short bench generate generate-bpf generate-dist check-generated

all: build

build:
	$(GO) build -o $(BIN) ./cmd/otelcol-trace

run: build
	$(BIN) --config $(CONFIG)

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 45m ./...

# fuzz-short runs every fuzz target briefly; locally, run one for minutes with
# go test -run '^$$' -fuzz '^FuzzX$$' -fuzztime 5m ./path/to/pkg
fuzz-short:
	./bench/fuzz-short.sh 10s

generate: generate-bpf generate-dist

# generate-bpf recompiles the BPF C with clang through bpf2go (go tool).
generate-bpf:
	$(GO) generate ./receiver/...

# generate-dist regenerates cmd/otelcol-trace from builder-config.yaml with OCB.
generate-dist:
	$(BUILDER) --config builder-config.yaml --skip-compilation --skip-get-modules
	gofmt -w cmd/otelcol-trace

# check-generated fails when the committed generated code (bpf2go output,
# the OCB distribution) differs from what the sources generate.
check-generated: generate
	@git status --porcelain -- cmd receiver | grep . && { echo "generated code differs from its sources: run make generate and commit"; git diff --stat; exit 1; } || echo "generated code is up to date"
