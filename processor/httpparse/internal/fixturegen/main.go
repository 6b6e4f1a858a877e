// Command fixturegen records the bytes that real HTTP clients (Go net/http,
// curl, python urllib) and a real Go net/http server exchange over loopback,
// through a recording TCP proxy on 127.0.0.1 (package capture), and writes
// each connection as a JSON fixture for the httpparse tests:
//
//	go run ./processor/httpparse/internal/fixturegen -out processor/httpparse/testdata/fixtures
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/otelcol-trace/otelcol-trace/processor/httpparse/internal/capture"
)

func main() {
	out := flag.String("out", "processor/httpparse/testdata/fixtures", "output directory")
	only := flag.String("only", "", "record only this scenario")
	flag.Parse()
	if err := run(*out, *only); err != nil {
		fmt.Fprintln(os.Stderr, "fixturegen:", err)
		os.Exit(1)
	}
}

func run(out, only string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	lab, err := capture.Start()
	if err != nil {
		return err
	}
	defer lab.Close()
	for _, name := range capture.Names() {
		if only != "" && name != only {
			continue
		}
		fx, err := lab.Record(name)
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(fx, "", " ")
		if err != nil {
			return fmt.Errorf("encode %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(out, name+".json"), append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		fmt.Printf("%-14s %3d chunks\n", name, len(fx.Chunks))
	}
	return nil
}
