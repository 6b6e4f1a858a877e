// Command execrate measures how many short-lived processes per second the
// ebpf receiver's process probe sees: it starts the receiver (through its
// public factory, with a counting consumer) filtered on a spawner process
// tree, releases the spawner to run N /bin/true processes with P in
// parallel, and reports execs/s run vs seen and the loss counters.
//
//	go run ./bench/ebpf/execrate -n 5000 -p 4
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver"
)

func main() {
	spawn := flag.Int("spawn", 0, "internal: run as the spawner of this many /bin/true")
	n := flag.Int("n", 5000, "processes to run")
	p := flag.Int("p", 4, "processes run in parallel")
	ring := flag.Int("ring", 8<<20, "ring_buffer.size")
	wakeup := flag.Int("wakeup", 256<<10, "ring_buffer.wakeup_bytes")
	off := flag.Bool("off", false, "baseline: run the processes without the receiver")
	flag.Parse()
	if *spawn > 0 {
		runSpawner(*spawn, *p)
		return
	}
	if err := run(*n, *p, *ring, *wakeup, *off); err != nil {
		fmt.Fprintln(os.Stderr, "execrate:", err)
		os.Exit(1)
	}
}

// runSpawner waits for a line on stdin, then runs n /bin/true, p at a time.
func runSpawner(n, p int) {
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	var next atomic.Int64
	var wg sync.WaitGroup
	for range p {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				_ = exec.Command("/bin/true").Run()
			}
		})
	}
	wg.Wait()
}

type counter struct {
	execs, exits atomic.Int64
}

func (c *counter) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *counter) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				switch lr.EventName() {
				case "process.exec":
					if v, ok := lr.Attributes().Get("process.executable.path"); ok && v.Str() == "/bin/true" {
						c.execs.Add(1)
					}
				case "process.exit":
					c.exits.Add(1)
				}
			}
		}
	}
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func run(n, p, ring, wakeup int, off bool) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	sp := exec.Command(self, "-spawn", strconv.Itoa(n), "-p", strconv.Itoa(p))
	stdin, err := sp.StdinPipe()
	if err != nil {
		return fmt.Errorf("spawner stdin: %w", err)
	}
	if err := sp.Start(); err != nil {
		return fmt.Errorf("start spawner: %w", err)
	}
	defer func() { _ = sp.Process.Kill(); _ = sp.Wait() }()

	f := ebpfreceiver.NewFactory()
	cfg := f.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(map[string]any{
		"filters":     map[string]any{"pids": []int{sp.Process.Pid}, "follow_children": true},
		"ring_buffer": map[string]any{"size": ring, "wakeup_bytes": wakeup},
		"probes":      map[string]any{"process": map[string]any{"spans": false}},
	}).Unmarshal(cfg); err != nil {
		return fmt.Errorf("receiver config: %w", err)
	}
	tel := componenttest.NewTelemetry()
	set := receivertest.NewNopSettings(f.Type())
	set.ID = component.NewID(f.Type())
	set.TelemetrySettings = tel.NewTelemetrySettings()
	c := &counter{}
	r, err := f.CreateLogs(context.Background(), set, cfg, c)
	if err != nil {
		return fmt.Errorf("create receiver: %w", err)
	}
	if !off {
		if err := r.Start(context.Background(), componenttest.NewNopHost()); err != nil {
			return fmt.Errorf("start receiver: %w", err)
		}
	}
	cpu0 := cpuTime()
	start := time.Now()
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		return fmt.Errorf("release spawner: %w", err)
	}
	if err := sp.Wait(); err != nil {
		return fmt.Errorf("spawner: %w", err)
	}
	elapsed := time.Since(start)
	// Wait for the tail: until every exit (n, the spawner and its runtime's
	// pidfd probe child) arrived, or no progress for 2 s.
	last, lastChange := int64(-1), time.Now()
	for !off && c.exits.Load() < int64(n+2) && time.Since(lastChange) < 2*time.Second {
		if v := c.exits.Load() + c.execs.Load(); v != last {
			last, lastChange = v, time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	cpu := cpuTime() - cpu0
	if err := r.Shutdown(context.Background()); err != nil {
		return fmt.Errorf("shut down receiver: %w", err)
	}
	lost := map[string]int64{}
	if m, err := tel.GetMetric("otelcol_ebpf_events_lost"); err == nil {
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			reason, _ := dp.Attributes.Value("reason")
			lost[reason.AsString()] += dp.Value
		}
	}
	fmt.Printf("processes run      %d (%d in parallel) in %s\n", n, p, elapsed.Round(time.Millisecond))
	fmt.Printf("exec rate run      %.0f/s\n", float64(n)/elapsed.Seconds())
	fmt.Printf("execs seen         %d (%.2f%%)\n", c.execs.Load(), 100*float64(c.execs.Load())/float64(n))
	fmt.Printf("exits seen         %d (the %d, the spawner, and the Go runtime's pidfd probe child)\n", c.exits.Load(), n)
	fmt.Printf("exec rate seen     %.0f/s\n", float64(c.execs.Load())/elapsed.Seconds())
	fmt.Printf("lost (by reason)   %v\n", lost)
	fmt.Printf("receiver CPU       %s (%.1f µs per process: fork+exec+exit records)\n", cpu.Round(time.Millisecond),
		float64(cpu.Microseconds())/float64(n))
	return nil
}
