//go:build linux

package ebpfreceiver

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

// checkCapabilities fails with one sentence naming what is missing unless
// the process has CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN).
func checkCapabilities() error {
	eff, err := effectiveCaps()
	if err != nil {
		return fmt.Errorf("ebpf receiver: cannot check capabilities: %w", err)
	}
	return capabilityError(eff)
}

func capabilityError(eff uint64) error {
	has := func(c uint) bool { return eff&(1<<c) != 0 }
	if has(capSysAdmin) || (has(capBPF) && has(capPerfmon)) {
		return nil
	}
	var missing []string
	if !has(capBPF) {
		missing = append(missing, "CAP_BPF")
	}
	if !has(capPerfmon) {
		missing = append(missing, "CAP_PERFMON")
	}
	return fmt.Errorf("ebpf receiver: missing capability %s: run the collector as root or grant it CAP_BPF and CAP_PERFMON (e.g. setcap cap_bpf,cap_perfmon+ep otelcol-trace)",
		strings.Join(missing, " and "))
}

func effectiveCaps() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			eff, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("parse CapEff of /proc/self/status: %w", err)
			}
			return eff, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read /proc/self/status: %w", err)
	}
	return 0, errors.New("no CapEff line in /proc/self/status")
}
