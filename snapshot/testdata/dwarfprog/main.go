// Command dwarfprog captures a snapshot of itself with package-level
// variables read through DWARF and prints the variables as JSON; the
// snapshot package's tests build and run it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/otelcol-trace/otelcol-trace/snapshot"
)

type config struct {
	Name    string
	Port    int
	Ratio   float64
	Enabled bool
	Tags    []string
	Next    *config
	small   int8
}

var (
	counter  int64 = -1234567
	name           = "dwarf-test"
	long           = strings.Repeat("x", 2000)
	cfg            = config{Name: "db", Port: 5432, Ratio: 0.25, Enabled: true, Tags: []string{"a", "b"}, Next: &config{Name: "child"}, small: -3}
	table          = map[string]int{"a": 1}
	ints           = make([]int64, 1000)
	nilPtr   *config
	bytesVar = []byte("raw bytes")
	arr      = [3]uint16{1, 2, 3}
)

func main() {
	// Keep the variables alive for the linker.
	fmt.Fprint(io.Discard, counter, name, long, cfg, cfg.small, table, ints, nilPtr, bytesVar, arr)
	a := snapshot.NewAgent()
	if err := a.Init(context.Background(), "dwarfprog", snapshot.WithEndpoint("127.0.0.1:1"), snapshot.WithVariables(
		"main.counter", "main.name", "main.long", "main.cfg", "main.table", "main.ints", "main.nilPtr", "main.bytesVar", "main.arr", "main.missing")); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	a.Stop()
	snap, err := a.CaptureSnapshot(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(snap.Variables)
}
