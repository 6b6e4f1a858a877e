// Package procfs parses the files of Linux's procfs that the ebpf
// receiver reads. It only parses bytes, so it builds on every platform.
package procfs // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/procfs"

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// statFieldsAfterComm is how many fields must follow the comm: fields 3
// (state) to 22 (starttime).
const statFieldsAfterComm = 20

// Stat is what the receiver reads of /proc/<pid>/stat (proc_pid_stat(5)).
type Stat struct {
	// PID is field 1.
	PID uint32
	// Comm is field 2 without its parentheses; it may hold spaces and ')'.
	Comm string
	// State is field 3 ('R', 'S', 'Z', ...).
	State byte
	// PPID is field 4.
	PPID uint32
	// Session is field 6.
	Session uint32
	// Flags is field 9 (PF_* of the kernel).
	Flags uint64
	// StartTime is field 22: the start after boot in clock ticks (USER_HZ),
	// at most 1<<63 - 1.
	StartTime uint64
}

// ParseStat parses the contents of /proc/<pid>/stat: "pid (comm) state
// ppid pgrp session tty_nr tpgid flags ... starttime(22) ...". The comm is
// what lies between the first '(' and the last ')', so a comm holding
// spaces or parentheses parses whole. Without "(comm)", with a bad pid or
// with fewer than 20 fields after the comm it returns the zero Stat and an
// error; a bad number in another field is an error too, with the fields
// that parsed set.
func ParseStat(raw []byte) (Stat, error) {
	open := bytes.IndexByte(raw, '(')
	closing := bytes.LastIndexByte(raw, ')')
	if open < 1 || closing < open {
		return Stat{}, errors.New("no (comm)")
	}
	pid, err := strconv.ParseUint(string(bytes.TrimSpace(raw[:open])), 10, 32)
	if err != nil {
		return Stat{}, fmt.Errorf("pid: %w", err)
	}
	f := strings.Fields(string(raw[closing+1:]))
	// f[0] is field 3 (state): field n is f[n-3].
	if len(f) < statFieldsAfterComm || len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("%d fields after comm, want at least %d", len(f), statFieldsAfterComm)
	}
	s := Stat{PID: uint32(pid), Comm: string(raw[open+1 : closing]), State: f[0][0]}
	var errs []error
	num := func(field, bits int) uint64 {
		v, err := strconv.ParseUint(f[field-3], 10, bits)
		if err != nil {
			errs = append(errs, fmt.Errorf("field %d: %w", field, err))
		}
		return v
	}
	s.PPID = uint32(num(4, 32))
	s.Session = uint32(num(6, 32))
	s.Flags = num(9, 64)
	s.StartTime = num(22, 63)
	return s, errors.Join(errs...)
}
