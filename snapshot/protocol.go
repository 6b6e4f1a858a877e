package snapshot

// Wire protocol between the library and the snapshot receiver (HTTP/1.1 or
// HTTP/2, JSON, standard library only):
//
//  1. The library POSTs a Hello to PathConnect with "Authorization: Bearer
//     <token>". The receiver answers 200 and keeps the response open as a
//     stream of newline-delimited JSON Messages: first "welcome" (with the
//     session id), then a "heartbeat" every heartbeat interval and a
//     "snapshot" order whenever a snapshot is requested. The process counts
//     as connected for as long as this response is open; the library
//     reconnects with backoff when it ends or goes silent for three
//     heartbeat intervals.
//  2. For each order (or a "take a snapshot now" from the configuration
//     page) the library captures a Snapshot and POSTs an Upload to
//     PathUpload with the same token, gzip-compressed (Content-Encoding:
//     gzip, decompressed by the receiver's confighttp server); the receiver
//     answers 202.
//
// Errors are JSON {"error": "..."} with a 4xx/5xx status.
const (
	// PathConnect is the receiver's long-lived order stream.
	PathConnect = "/v1/agent/connect"
	// PathUpload receives snapshots.
	PathUpload = "/v1/agent/snapshots"
	// PathProcesses lists the connected processes (trigger API, GET).
	PathProcesses = "/v1/processes"
	// PathTrigger takes snapshots (trigger API, POST).
	PathTrigger = "/v1/snapshots"
)

// LibraryVersion is the version of this library's protocol.
const LibraryVersion = "0.1.0"

// Hello introduces a process to the receiver.
type Hello struct {
	Program        string `json:"program"`
	Environment    string `json:"environment,omitempty"`
	Host           string `json:"host"`
	PID            int    `json:"pid"`
	GoVersion      string `json:"go_version"`
	GOOS           string `json:"goos"`
	GOARCH         string `json:"goarch"`
	LibraryVersion string `json:"library_version"`
}

// Message is one line of the receiver's order stream.
type Message struct {
	// Type is "welcome", "heartbeat" or "snapshot".
	Type string `json:"type"`
	// Session is the connection's id (welcome).
	Session string `json:"session,omitempty"`
	// HeartbeatSeconds is the heartbeat interval (welcome).
	HeartbeatSeconds float64 `json:"heartbeat_seconds,omitempty"`
	// SnapshotID is the id to give the snapshot (snapshot).
	SnapshotID string `json:"snapshot_id,omitempty"`
	// Variables are package-level variables to read through DWARF in
	// addition to those the program configured (snapshot).
	Variables []string `json:"variables,omitempty"`
}

// Upload carries a snapshot to the receiver.
type Upload struct {
	Session  string    `json:"session"`
	Snapshot *Snapshot `json:"snapshot"`
}
