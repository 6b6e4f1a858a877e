//go:build linux && amd64

// Command fpbench measures, side by side and interleaved, the cost that
// tracing adds to an openat+close pair: (a) nothing attached, (b) the file
// probe emitting every event into records, (c) the file probe with the
// workload filtered out in the kernel, (d) bpftrace counting
// sys_enter_openat per comm, (e) libbpf-tools opensnoop writing to
// /dev/null; and the sustained event rate of the file probe with zero loss.
//
//	go build -o /tmp/fpbench ./receiver/ebpfreceiver/internal/fileprobe/fpbench && sudo /tmp/fpbench -rounds 7 -pairs 200000
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/fileprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe/probeenv"
)

const workloadComm = "fpbench-wl"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "workload" {
		os.Exit(workload(os.Args[2:]))
	}
	rounds := flag.Int("rounds", 7, "interleaved rounds per configuration")
	pairs := flag.Int("pairs", 200000, "openat+close pairs per run")
	only := flag.String("only", "a,b,c,d,e", "configurations to run")
	stats := flag.Bool("bpf-stats", true, "enable kernel.bpf_stats to measure the programs' run time (adds ~20-40 ns per program run to the wall-clock numbers)")
	skipSustained := flag.Bool("skip-sustained", false, "skip the sustained-rate search")
	flag.Parse()
	if err := run(*rounds, *pairs, strings.Split(*only, ","), *stats, *skipSustained); err != nil {
		fmt.Fprintln(os.Stderr, "fpbench:", err)
		os.Exit(1)
	}
}

// workload: fpbench workload N FILE [RATE] — N openat+close pairs on one
// thread (paced to RATE pairs/s when given), prints ns per pair.
func workload(args []string) int {
	runtime.LockOSThread()
	name, _ := unix.BytePtrFromString(workloadComm)
	_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(name)), 0, 0, 0)
	n, _ := strconv.Atoi(args[0])
	path := args[1]
	for i := 0; i < 1000; i++ { // warm up
		fd, _ := unix.Openat(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		unix.Close(fd)
	}
	rate := 0.0
	if len(args) > 2 {
		rate, _ = strconv.ParseFloat(args[2], 64)
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		fd, err := unix.Openat(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, "open:", err)
			return 1
		}
		unix.Close(fd)
		if rate > 0 && i%500 == 499 {
			// Pace: sleep until pair i is due.
			due := start.Add(time.Duration(float64(i+1) / rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
		}
	}
	fmt.Println(float64(time.Since(start).Nanoseconds()) / float64(n))
	return 0
}

func runWorkload(pairs int, file string, rate ...float64) (float64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	args := []string{"workload", strconv.Itoa(pairs), file}
	if len(rate) > 0 {
		args = append(args, strconv.FormatFloat(rate[0], 'f', 0, 64))
	}
	out, err := exec.Command(exe, args...).Output()
	if err != nil {
		return 0, fmt.Errorf("workload: %w", err)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

// tracer is one configuration: start attaches, stop detaches and returns
// a note (events seen, losses).
type tracer struct {
	name  string
	start func() (stop func() (string, error), err error)
}

func ourProbe(include string, sinkp **probeenv.Sink) func() (func() (string, error), error) {
	return func() (func() (string, error), error) {
		sink := probeenv.NewSink()
		sink.CountOnly = true
		*sinkp = sink
		env, shared, err := probeenv.New(bpfheaders.Filter{SelfPID: uint32(os.Getpid()), Comms: []string{include}, WakeupBytes: 256 << 10}, sink, nil)
		if err != nil {
			return nil, err
		}
		cfg := fileprobe.NewDefaultConfig()
		cfg.Enabled = true
		p := fileprobe.New(cfg)
		if err := p.Start(context.Background(), env); err != nil {
			shared.Close()
			return nil, err
		}
		return func() (string, error) {
			bpfNs, bpfRuns := programStats("file_sys_enter", "file_sys_exit")
			err := p.Close()
			losses, lerr := shared.ReadLosses()
			shared.Close()
			if err == nil {
				err = lerr
			}
			var kernelLost uint64
			for k, v := range losses {
				if k.Probe == bpfheaders.ProbeFile {
					kernelLost += v
				}
			}
			return fmt.Sprintf("events=%d kernel_lost=%d bpf_ns=%d bpf_runs=%d", sink.Count(), kernelLost, bpfNs, bpfRuns), err
		}, nil
	}
}

// statsEnabled reports whether kernel.bpf_stats_enabled is on.
func statsEnabled() bool {
	b, err := os.ReadFile("/proc/sys/kernel/bpf_stats_enabled")
	return err == nil && strings.TrimSpace(string(b)) == "1"
}

// programStats sums the run time and run count (kernel.bpf_stats_enabled)
// of the loaded programs whose name starts with one of prefixes.
func programStats(prefixes ...string) (ns, runs uint64) {
	wanted := func(name string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	}
	id := ebpf.ProgramID(0)
	for {
		next, err := ebpf.ProgramGetNextID(id)
		if err != nil {
			return ns, runs
		}
		id = next
		prog, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue
		}
		info, err := prog.Info()
		if err != nil || !wanted(info.Name) {
			prog.Close()
			continue
		}
		st, err := prog.Stats()
		prog.Close()
		if err == nil {
			ns += uint64(st.Runtime.Nanoseconds())
			runs += st.RunCount
		}
	}
}

// external starts cmdline inside a private mount namespace with tracefs
// mounted, and waits until its stdout shows ready (when ready is not
// empty) and its programs (names starting with progs) have run.
func external(cmdline, ready string, progs ...string) func() (func() (string, error), error) {
	return func() (func() (string, error), error) {
		cmd := exec.Command("unshare", "-m", "sh", "-c",
			"mount -t tracefs tracefs /sys/kernel/tracing && exec "+cmdline)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		br := bufio.NewReader(stdout)
		readyc := make(chan error, 1)
		if ready == "" {
			readyc <- nil
			go func() { _, _ = io.Copy(io.Discard, br) }()
		} else {
			go func() {
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						readyc <- fmt.Errorf("%s exited before it was ready: %w", cmdline, err)
						return
					}
					if strings.Contains(line, ready) {
						readyc <- nil
						_, _ = io.Copy(io.Discard, br)
						return
					}
				}
			}()
		}
		select {
		case err := <-readyc:
			if err != nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				return nil, err
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, fmt.Errorf("%s: not ready after 30s", cmdline)
		}
		// The ready line can come before the programs are attached
		// (bpftrace prints "Attaching" first): wait until they run.
		attached := time.Now().Add(15 * time.Second)
		for {
			if f, err := os.Open("/proc/self/stat"); err == nil {
				f.Close()
			}
			if _, runs := programStats(progs...); runs > 0 {
				break
			}
			if !statsEnabled() {
				// Without run counts, give the tracer time to attach after
				// its ready line.
				time.Sleep(2 * time.Second)
				break
			}
			if time.Now().After(attached) {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				_ = cmd.Wait()
				return nil, fmt.Errorf("%s: its programs never ran", cmdline)
			}
			time.Sleep(10 * time.Millisecond)
		}
		base, baseRuns := programStats(progs...)
		return func() (string, error) {
			bpfNs, bpfRuns := programStats(progs...)
			bpfNs, bpfRuns = bpfNs-base, bpfRuns-baseRuns
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-done
			}
			return fmt.Sprintf("bpf_ns=%d bpf_runs=%d", bpfNs, bpfRuns), nil
		}, nil
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func run(rounds, pairs int, only []string, withStats, skipSustained bool) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root (eBPF, unshare, mount)")
	}
	if withStats {
		stats, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
		if err != nil {
			return fmt.Errorf("enable BPF run time statistics: %w", err)
		}
		defer stats.Close()
	}
	dir, err := os.MkdirTemp("", "fpbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "target")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		return err
	}
	var sinkB, sinkC *probeenv.Sink
	all := []tracer{
		{"a: nothing attached", func() (func() (string, error), error) { return func() (string, error) { return "", nil }, nil }},
		{"b: file probe, every event emitted", ourProbe(workloadComm, &sinkB)},
		{"c: file probe, filtered out in kernel", ourProbe("no-such-comm", &sinkC)},
		{"d: bpftrace count sys_enter_openat", external(`bpftrace -e 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }'`, "Attaching", "sys_enter_opena")},
		{"e: opensnoop > /dev/null", external("opensnoop > /dev/null", "", "tracepoint__syscalls__sys_e")},
	}
	var chosen []tracer
	for _, t := range all {
		for _, o := range only {
			if strings.HasPrefix(t.name, o+":") {
				chosen = append(chosen, t)
			}
		}
	}
	results := map[string][]float64{}
	notes := map[string]string{}
	bpfPerPair := map[string][]float64{}
	for r := 0; r < rounds; r++ {
		for _, t := range chosen {
			stop, err := t.start()
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			ns, werr := runWorkload(pairs, file)
			note, serr := stop()
			if werr != nil {
				return fmt.Errorf("%s: %w", t.name, werr)
			}
			if serr != nil {
				return fmt.Errorf("%s: stop: %w", t.name, serr)
			}
			results[t.name] = append(results[t.name], ns)
			var bns, bruns uint64
			if i := strings.Index(note, "bpf_ns="); i >= 0 {
				if _, err := fmt.Sscanf(note[i:], "bpf_ns=%d bpf_runs=%d", &bns, &bruns); err == nil {
					bpfPerPair[t.name] = append(bpfPerPair[t.name], float64(bns)/float64(pairs+1000))
				}
			}
			if note != "" {
				notes[t.name] = note
			}
			fmt.Fprintf(os.Stderr, "round %d %-40s %7.0f ns/pair %s\n", r, t.name, ns, note)
		}
	}
	base := median(results[chosen[0].name])
	fmt.Printf("\n%-40s %12s %14s %16s  %s\n", "configuration", "ns/pair", "added ns/pair", "BPF ns/pair", "last run")
	for _, t := range chosen {
		m := median(results[t.name])
		bpf := "-"
		if v := bpfPerPair[t.name]; len(v) > 0 {
			bpf = fmt.Sprintf("%.0f", median(v))
		}
		fmt.Printf("%-40s %12.0f %14.0f %16s  %s\n", t.name, m, m-base, bpf, notes[t.name])
	}
	fmt.Println("(medians over the rounds; BPF ns/pair: kernel.bpf_stats run time of the tracer's programs during the run, over all of the host's calls, divided by the workload's pairs)")
	if skipSustained {
		return nil
	}
	return sustained(pairs, file)
}

// sustained finds the highest event rate that the file probe turns into
// records with zero loss: the workload runs paced at increasing rates
// (events/s = 2 x pairs/s) for about a second each.
func sustained(_ int, file string) error {
	fmt.Println()
	best := 0.0
	for _, evps := range []float64{50e3, 100e3, 200e3, 300e3, 400e3, 500e3, 600e3, 800e3} {
		pairs := int(evps / 2) // one second
		var sink *probeenv.Sink
		stop, err := ourProbe(workloadComm, &sink)()
		if err != nil {
			return err
		}
		start := time.Now()
		nsPerPair, err := runWorkload(pairs, file, evps/2)
		if err != nil {
			stop()
			return err
		}
		want := int64(2 * (pairs + 1000))
		deadline := time.Now().Add(5 * time.Second)
		for sink.Count() < want && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		got := sink.Count()
		note, err := stop()
		if err != nil {
			return err
		}
		achieved := float64(2*pairs) / (nsPerPair * float64(pairs) / 1e9)
		fmt.Printf("sustained: target %6.0fk events/s, workload reached %6.0fk events/s, %d of %d records (%v) %s\n",
			evps/1e3, achieved/1e3, got, want, time.Since(start).Round(time.Millisecond), note)
		if got != want {
			break
		}
		best = achieved
	}
	fmt.Printf("highest rate with every event turned into a record (zero loss): %.0fk events/s\n", best/1e3)
	return nil
}
