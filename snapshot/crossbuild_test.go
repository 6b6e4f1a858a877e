package snapshot

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestCrossBuild builds the library and the example program for the
// platforms the library supports (pure Go, no cgo).
func TestCrossBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiling takes a while; skipped with -short")
	}
	for _, p := range []struct{ goos, goarch string }{{"darwin", "arm64"}, {"linux", "arm64"}, {"linux", "amd64"}} {
		t.Run(p.goos+"/"+p.goarch, func(t *testing.T) {
			cmd := exec.Command("go", "build", "-o", os.DevNull, ".", "../examples/snapshotdemo")
			cmd.Env = append(os.Environ(), "GOOS="+p.goos, "GOARCH="+p.goarch, "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build for %s/%s: %v\n%s", p.goos, p.goarch, err, out)
			}
		})
	}
}

// TestStandardLibraryOnly checks that the library imports nothing but the
// standard library.
func TestStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	if len(got) != 1 || got[0] != "github.com/otelcol-trace/otelcol-trace/snapshot" {
		t.Fatalf("the library must depend on the standard library only; non-standard packages: %v", got)
	}
}
