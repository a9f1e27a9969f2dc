package reward

import "runtime"

// runtimeMem reads the cumulative bytes allocated so far.
type runtimeMem struct{ total float64 }

func (m *runtimeMem) read() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.total = float64(ms.TotalAlloc)
}
