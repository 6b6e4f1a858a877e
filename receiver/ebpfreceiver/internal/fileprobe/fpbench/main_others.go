//go:build !linux || !amd64

// Command fpbench benchmarks the file probe; it needs Linux on x86_64.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "fpbench: not supported on this platform (needs Linux on x86_64 with eBPF)")
	os.Exit(1)
}
