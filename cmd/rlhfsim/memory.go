package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// defaultMemory is how much memory a command may plan to use unless
// --memory says otherwise; the machine's available memory lowers it.
const defaultMemory = "4GiB"

// available returns the memory the system could give this process now,
// or 0 when it cannot tell (on systems without /proc/meminfo).
func available() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// checkMemory refuses work estimated to need more than the --memory
// budget (or than the machine has available), before anything is
// allocated, and says which flags to lower.
func checkMemory(need int64, budget string, lower string) error {
	b, err := parseBytes(budget)
	if err != nil || b < 64<<20 {
		return usagef("invalid --memory %q: want a size of at least 64MiB, e.g. 4GiB", budget)
	}
	limit, what := b, "the --memory budget of "+byteSize(b)
	if avail := available(); avail > 0 && avail < limit {
		limit, what = avail, "the "+byteSize(avail)+" this machine has available"
	}
	if need > limit {
		return usagef("these settings need about %s of memory, more than %s: lower %s", byteSize(need), what, lower)
	}
	return nil
}

// byteSize writes n bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// samePath reports whether a and b name the same file: the same path, or
// two names of one existing file.
func samePath(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	if aa, err := filepath.Abs(a); err == nil {
		if bb, err := filepath.Abs(b); err == nil && aa == bb {
			return true
		}
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}
