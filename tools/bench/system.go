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
)

// rssMB reads VmRSS of the process whose pid is in pidFile.
func rssMB(pidFile string) (float64, error) {
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, err
	}
	pid := strings.TrimSpace(string(raw))
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
