// Command snapshotdemo is an example program that imports the otelcol-trace
// snapshot library. It runs goroutines blocked in known places with known
// pprof labels, registers a value and keeps package-level variables, so a
// snapshot of it has known content. It serves the library's configuration
// page with -listen.
//
//	OTELCOL_TRACE_ENDPOINT=http://localhost:4320 OTELCOL_TRACE_TOKEN=... \
//	OTELCOL_TRACE_ENVIRONMENT=dev go run ./examples/snapshotdemo -listen localhost:6060
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/otelcol-trace/otelcol-trace/snapshot"
)

// serviceConfig is the demo's configuration, read through DWARF.
type serviceConfig struct {
	Name     string
	Port     int
	Debug    bool
	Limits   []int
	Owner    *owner
	Replicas uint8
}

type owner struct {
	Team  string
	Email string
}

// Package-level variables that snapshots read by name.
var (
	config = serviceConfig{
		Name: "checkout", Port: 8443, Debug: true, Limits: []int{10, 20, 30},
		Owner: &owner{Team: "payments", Email: "payments@example.com"}, Replicas: 3,
	}
	requestCount int64 = 42
	greeting           = "hello from snapshotdemo"
	backends           = []string{"db-1", "db-2"}
)

// dbMu is locked by main for the life of the program, so acquireConnection
// blocks.
var dbMu sync.Mutex

//go:noinline
func waitForJob(jobs <-chan int) int { return <-jobs }

//go:noinline
func acquireConnection() {
	dbMu.Lock()
	defer dbMu.Unlock()
}

//go:noinline
func pollUpstream(stop <-chan struct{}, updates <-chan string) {
	for {
		select {
		case <-stop:
			return
		case <-updates:
		}
	}
}

func main() {
	listen := flag.String("listen", "", "serve the snapshot configuration page on this address (e.g. localhost:6060)")
	program := flag.String("program", "snapshotdemo", "program name reported to the receiver")
	maxBackoff := flag.Duration("max-backoff", 30*time.Second, "longest delay between reconnection attempts")
	noInit := flag.Bool("no-init", false, "do not call Init: connect from the configuration page only")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger := log.New(os.Stderr, "snapshotdemo: ", log.LstdFlags)
	opts := []snapshot.Option{
		snapshot.WithErrorLogger(func(err error) { logger.Print(err) }),
		snapshot.WithBackoff(100*time.Millisecond, *maxBackoff),
		snapshot.WithVariables("main.config", "main.requestCount", "main.greeting", "main.backends"),
	}
	if *noInit {
		// The configuration page connects with these options and the
		// endpoint, token and environment typed into it.
		if err := snapshot.Default().Init(ctx, *program, append(opts, snapshot.WithEndpoint(""))...); err != nil {
			logger.Printf("not connected yet: %v", err)
		}
	} else if err := snapshot.Init(ctx, *program, opts...); err != nil {
		logger.Printf("snapshot.Init: %v", err)
	}
	defer snapshot.Stop()

	snapshot.Register("queue", func() any {
		return map[string]any{"depth": 3, "names": []string{"alpha", "beta", "gamma"}}
	})

	jobs := make(chan int)
	updates := make(chan string)
	done := make(chan struct{})
	var ready sync.WaitGroup
	for i := 1; i <= 2; i++ {
		ready.Add(1)
		go pprof.Do(ctx, pprof.Labels("role", "worker", "worker", fmt.Sprint(i)), func(context.Context) {
			ready.Done()
			waitForJob(jobs)
		})
	}
	dbMu.Lock() // held for the life of the program
	ready.Add(1)
	go pprof.Do(ctx, pprof.Labels("role", "db"), func(context.Context) {
		ready.Done()
		acquireConnection()
	})
	ready.Add(1)
	go pprof.Do(ctx, pprof.Labels("role", "poller"), func(context.Context) {
		ready.Done()
		pollUpstream(done, updates)
	})
	ready.Wait()

	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			logger.Fatalf("listen %s: %v", *listen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/debug/snapshot/", snapshot.HTTPHandler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		fmt.Printf("config page: http://%s/debug/snapshot/\n", ln.Addr())
	}
	fmt.Printf("ready pid=%d requests=%d greeting=%q backends=%v\n", os.Getpid(), requestCount, greeting, backends)
	fmt.Print(keepConfig(config))
	<-ctx.Done()
	close(done)
}

// keepConfig keeps config referenced (so the linker keeps it) without
// printing it.
func keepConfig(c serviceConfig) string {
	if c.Replicas == 0 {
		return "no replicas\n"
	}
	return ""
}
