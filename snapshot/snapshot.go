// Package snapshot is the in-process client of the otelcol-trace `snapshot`
// receiver. A Go program that imports it can be snapshotted without any host
// agent, on Linux and on macOS: the program connects to the receiver
// (Init), the receiver orders snapshots, the library takes them in-process
// and sends them back.
//
// A snapshot holds every goroutine (id, state, wait reason and duration,
// frames, creator, pprof labels), runtime statistics, build information,
// values the program registers with Register, and package-level variables
// read by name through the binary's DWARF. Everything captured is bounded
// (Limits); the stop-the-world pause the capture causes is measured and
// reported.
//
// The package uses the standard library only and needs no cgo.
//
// The process-wide functions (Init, Stop, Register, HTTPHandler,
// CaptureSnapshot) act on one default Agent, as expvar and net/http/pprof do;
// NewAgent makes an independent one.
package snapshot

import "time"

// Snapshot is one capture of a process's state. It is what the library sends
// to the receiver (as JSON) and what CaptureSnapshot returns.
type Snapshot struct {
	// ID identifies the snapshot; the receiver sets it in its order, a local
	// capture gets a random one.
	ID string `json:"id"`
	// Time is when the capture started.
	Time time.Time `json:"time"`

	Program     string `json:"program"`
	Environment string `json:"environment,omitempty"`
	Host        string `json:"host"`
	PID         int    `json:"pid"`

	// PauseSeconds is how long the program was stopped: the duration of the
	// all-goroutine stack dump, which runs with the world stopped.
	PauseSeconds float64 `json:"pause_seconds"`
	// CaptureSeconds is the wall time of the whole capture (stacks, labels,
	// runtime stats, variables); only PauseSeconds stops the program.
	CaptureSeconds float64 `json:"capture_seconds"`

	Runtime RuntimeStats `json:"runtime"`
	Build   *BuildInfo   `json:"build,omitempty"`

	Goroutines []Goroutine `json:"goroutines"`
	// GoroutinesTruncated is true when the stack dump did not fit in the
	// largest buffer (Limits.MaxStackBytes): the list is incomplete.
	GoroutinesTruncated bool `json:"goroutines_truncated,omitempty"`
	// LabelsExact is true when the labels come from the runtime's own
	// traceback (GODEBUG=tracebacklabels=1); false when they were matched to
	// goroutines by stack from the goroutine profile, which is ambiguous
	// between goroutines with identical stacks but different labels.
	LabelsExact bool `json:"labels_exact"`

	Variables []Variable `json:"variables,omitempty"`

	// Errors lists the parts of the capture that failed (the rest is there).
	Errors []string `json:"errors,omitempty"`
}

// Goroutine is one goroutine of a snapshot.
type Goroutine struct {
	ID int64 `json:"id"`
	// State is running, runnable, syscall, waiting, idle, preempted,
	// copystack, dead or leaked.
	State string `json:"state"`
	// WaitReason is the runtime's wait reason ("chan receive", "select",
	// "sync.Mutex.Lock", …) when State is waiting.
	WaitReason string `json:"wait_reason,omitempty"`
	// WaitMinutes is how long it has been blocked, in whole minutes, as the
	// runtime reports it (0 when less than a minute or not blocked).
	WaitMinutes int `json:"wait_minutes,omitempty"`
	// LockedToThread is true for a goroutine wired to its OS thread.
	LockedToThread bool              `json:"locked_to_thread,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	Frames         []Frame           `json:"frames"`
	// FramesElided is true when the runtime cut the stack (over 100 frames).
	FramesElided bool `json:"frames_elided,omitempty"`
	// CreatedBy is the go statement that started it; CreatorID the
	// goroutine that ran it.
	CreatedBy *Frame `json:"created_by,omitempty"`
	CreatorID int64  `json:"creator_id,omitempty"`
}

// Frame is one stack frame.
type Frame struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
}

// Variable is a captured value: registered with Register, or a package-level
// variable read through DWARF.
type Variable struct {
	Name string `json:"name"`
	// Type is the Go type name (from reflect or DWARF).
	Type string `json:"type,omitempty"`
	// Source is "registered" or "dwarf".
	Source string `json:"source"`
	// Value is the bounded value: nil, bool, int64, uint64, float64, string,
	// []any or map[string]any. Cut strings and slices are marked by
	// Truncated; unsupported kinds are a string "<unsupported: …>".
	Value     any  `json:"value"`
	Truncated bool `json:"truncated,omitempty"`
	// Error says why the value is missing ("unavailable: …").
	Error string `json:"error,omitempty"`
}

// RuntimeStats are the Go runtime's numbers at capture time.
type RuntimeStats struct {
	GoVersion      string  `json:"go_version"`
	GOOS           string  `json:"goos"`
	GOARCH         string  `json:"goarch"`
	GOMAXPROCS     int     `json:"gomaxprocs"`
	NumCPU         int     `json:"num_cpu"`
	GoroutineCount int     `json:"goroutine_count"`
	HeapBytes      uint64  `json:"heap_bytes"`
	HeapGoalBytes  uint64  `json:"heap_goal_bytes"`
	TotalBytes     uint64  `json:"total_bytes"`
	StackBytes     uint64  `json:"stack_bytes"`
	AllocatedBytes uint64  `json:"allocated_bytes"`
	GCCycles       uint64  `json:"gc_cycles"`
	GCPauseSeconds float64 `json:"gc_pause_seconds,omitempty"`
	GOGC           int64   `json:"gogc"`
	MemoryLimit    int64   `json:"memory_limit"`
}

// BuildInfo is the binary's build information (runtime/debug.ReadBuildInfo).
type BuildInfo struct {
	Path        string `json:"path,omitempty"`
	MainModule  string `json:"main_module,omitempty"`
	MainVersion string `json:"main_version,omitempty"`
	VCSRevision string `json:"vcs_revision,omitempty"`
	VCSModified bool   `json:"vcs_modified,omitempty"`
}

// Limits bounds what a snapshot captures.
type Limits struct {
	// MaxStringBytes cuts each string (default 512).
	MaxStringBytes int
	// MaxSliceBytes bounds the element data read from each slice or array
	// read through DWARF (default 512).
	MaxSliceBytes int
	// MaxElements bounds the elements of a slice, array or map captured from
	// a registered value, and of a DWARF slice (default 64).
	MaxElements int
	// MaxDepth bounds nesting through structs, pointers and containers
	// (default 4).
	MaxDepth int
	// MaxStackBytes is the largest buffer for the goroutine dump (default
	// 64 MiB); beyond it the goroutine list is truncated.
	MaxStackBytes int
}

// DefaultLimits returns the limits used when none are given.
func DefaultLimits() Limits {
	return Limits{MaxStringBytes: 512, MaxSliceBytes: 512, MaxElements: 64, MaxDepth: 4, MaxStackBytes: 64 << 20}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxStringBytes <= 0 {
		l.MaxStringBytes = d.MaxStringBytes
	}
	if l.MaxSliceBytes <= 0 {
		l.MaxSliceBytes = d.MaxSliceBytes
	}
	if l.MaxElements <= 0 {
		l.MaxElements = d.MaxElements
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxStackBytes <= 0 {
		l.MaxStackBytes = d.MaxStackBytes
	}
	return l
}
