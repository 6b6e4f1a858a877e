package store

import (
	"os"
	"path/filepath"
)

// EnvDataDir is the environment variable that names the data directory.
const EnvDataDir = "OTELCOL_TRACE_DATA_DIR"

// SystemDataDir is the data directory of a collector running as root.
const SystemDataDir = "/var/lib/otelcol-trace"

// Env is the part of the process environment the default directory depends
// on; tests pass their own.
type Env struct {
	Getenv func(string) string
	Euid   int
}

// ProcessEnv returns the Env of the running process.
func ProcessEnv() Env { return Env{Getenv: os.Getenv, Euid: os.Geteuid()} }

// DefaultDir returns the data directory used when none is configured, and
// where the choice came from:
//
//  1. $OTELCOL_TRACE_DATA_DIR when set and not empty;
//  2. /var/lib/otelcol-trace when running as root (the eBPF receiver needs
//     root, so this is the normal case);
//  3. otherwise $XDG_STATE_HOME/otelcol-trace, or ~/.local/state/otelcol-trace.
func DefaultDir(env Env) (dir, reason string) {
	if d := env.Getenv(EnvDataDir); d != "" {
		return d, "$" + EnvDataDir
	}
	if env.Euid == 0 {
		return SystemDataDir, "default for root"
	}
	if d := env.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "otelcol-trace"), "default for a non-root user ($XDG_STATE_HOME)"
	}
	if home := env.Getenv("HOME"); home != "" {
		return filepath.Join(home, ".local", "state", "otelcol-trace"), "default for a non-root user (~/.local/state)"
	}
	return SystemDataDir, "default (no $HOME)"
}

// ReadDirs returns the directories a reader looks in, in order, when no
// directory is given: the default directory and, when it differs, the system
// directory (a user reading the store of a collector that runs as root).
func ReadDirs(env Env) []string {
	d, _ := DefaultDir(env)
	if env.Getenv(EnvDataDir) != "" || d == SystemDataDir {
		return []string{d}
	}
	return []string{d, SystemDataDir}
}
