package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/distsum/distsum/tools/bench/report"
)

// readPID reads the pid in pidFile.
func readPID(pidFile string) (string, error) {
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(raw)), nil
}

// rssMB reads VmRSS of the process whose pid is in pidFile.
func rssMB(pidFile string) (float64, error) {
	pid, err := readPID(pidFile)
	if err != nil {
		return 0, err
	}
	f, err := os.Open(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0, fmt.Errorf("%s: VmRSS %q: %w", pidFile, rest, err)
			}
			return float64(int(kb/1024*10)) / 10, nil
		}
	}
	return 0, fmt.Errorf("pid %s: no VmRSS in /proc/%s/status", pid, pid)
}

func fileSize(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// commit names the checked-out commit, marked -dirty when the tree has changes.
func commit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += "-dirty"
	}
	return c
}

// run runs a command in root with its output going to the log.
func run(ctx context.Context, root string, log io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// fetch saves GET url into path.
func fetch(ctx context.Context, url, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s %s (is the service started with its -pprof flag?)", url, resp.Status, bytes.TrimSpace(b))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pprofTop is the top n entries of a profile (go tool pprof -top).
func pprofTop(ctx context.Context, root, path string, n int, extra ...string) ([]string, error) {
	args := append([]string{"tool", "pprof", "-top", "-nodecount=" + strconv.Itoa(n)}, extra...)
	args = append(args, path)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go tool pprof %s: %w", path, err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") || strings.HasPrefix(l, "Type:") || strings.HasPrefix(l, "Time:") {
			continue
		}
		lines = append(lines, l)
	}
	return lines, nil
}

var benchLine = regexp.MustCompile(`^BenchmarkAppendMaxBatch/max=(\d+)-\d+\s+\d+\s+[\d.]+ ns/op.*?\s([\d.]+) appends/s`)

// groupCommit runs the outbox's group-commit benchmark with the batch cap at
// 1 (one transaction, one fsync per Add) and at the default 1024, 64 callers.
func groupCommit(ctx context.Context, root string, benchtime string, log io.Writer) (batched, single float64, err error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run=NONE", "-bench=AppendMaxBatch/max=(1|1024)$", "-benchtime="+benchtime, "-count=1", "./services/calculator/internal/outbox")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	log.Write(out)
	if err != nil {
		return 0, 0, fmt.Errorf("go test -bench AppendMaxBatch: %w", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		m := benchLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		switch m[1] {
		case "1":
			single = v
		case "1024":
			batched = v
		}
	}
	if batched == 0 || single == 0 {
		return 0, 0, fmt.Errorf("go test -bench AppendMaxBatch: no appends/s figures in its output")
	}
	return batched, single, nil
}

// cpuSplit runs Adds closed loop at 64 in flight for the closed-loop time
// and reads, before and after, the CPU time of the services, the broker,
// this harness and the whole machine.
func cpuSplit(ctx context.Context, s settings, p plan, calc *target) (*report.CPUSplit, error) {
	type proc struct{ name, pid string }
	var procs []proc
	for _, pr := range []struct{ name, pidFile string }{
		{"calculator", s.calcPID}, {"totals", s.totalsPID}, {"broker (Kafka)", s.brokerPID},
	} {
		if pr.pidFile == "" {
			continue // not measured (the broker's pid file is optional)
		}
		pid, err := readPID(pr.pidFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pr.name, err)
		}
		procs = append(procs, proc{pr.name, pid})
	}
	procs = append(procs, proc{"load (this harness)", "self"})
	read := func() ([]float64, float64, error) {
		secs := make([]float64, len(procs))
		for i, pr := range procs {
			v, err := procCPUSeconds(pr.pid)
			if err != nil {
				return nil, 0, fmt.Errorf("%s: %w", pr.name, err)
			}
			secs[i] = v
		}
		busy, err := machineBusySeconds()
		return secs, busy, err
	}
	before, busy0, err := read()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	c := calc.closedLoop(ctx, 64, 0, p.closed, 0)
	after, busy1, err := read()
	if err != nil {
		return nil, err
	}
	el := time.Since(t0).Seconds()
	out := &report.CPUSplit{InFlight: 64, Seconds: el, Adds: int64(c.N), PerS: float64(c.N) / el, BusyCores: (busy1 - busy0) / el}
	if c.N == 0 {
		return out, fmt.Errorf("no Add answered (%d errors)", c.Errors)
	}
	rest := busy1 - busy0
	for i, pr := range procs {
		d := after[i] - before[i]
		rest -= d
		out.Processes = append(out.Processes, report.ProcessCPU{Name: pr.name, Cores: d / el, USPerAdd: d * 1e6 / float64(c.N)})
	}
	out.Processes = append(out.Processes, report.ProcessCPU{Name: "rest of the machine", Cores: max(rest, 0) / el, USPerAdd: max(rest, 0) * 1e6 / float64(c.N)})
	return out, nil
}

// clockTick is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTick = 100

// procCPUSeconds is a process's user + system CPU time from /proc/PID/stat.
func procCPUSeconds(pid string) (float64, error) {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields count from after its ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%s/stat: no command name", pid)
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%s/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseFloat(f[11], 64) // field 14
	stime, err2 := strconv.ParseFloat(f[12], 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%s/stat: utime %q stime %q", pid, f[11], f[12])
	}
	return (utime + stime) / clockTick, nil
}

// machineBusySeconds is the CPU time all cores spent not idle (/proc/stat).
func machineBusySeconds() (float64, error) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: first line %q", line)
	}
	busy := 0.0
	for i, v := range f[1:8] { // user nice system idle iowait irq softirq
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %q", v)
		}
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return busy / clockTick, nil
}
