// Package chromium starts headless Chromium for the browser tests, which
// drive it with chromedp.
package chromium

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Context returns a headless Chromium tab that closes with the test and
// ends after timeout. Without Chromium the test is skipped, unless
// RLHFSIM_BROWSER_TESTS=1 demands the browser tests (as .ci/run does,
// which installs it): then it fails.
func Context(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("RLHFSIM_BROWSER_TESTS") == "1" {
			t.Fatal("RLHFSIM_BROWSER_TESTS=1 asks for the browser tests, which need Chromium: apt-get install chromium")
		}
		t.Skip("no Chromium: the browser tests are skipped (apt-get install chromium, and set RLHFSIM_BROWSER_TESTS=1 to require them)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless,
		chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel3)
	return ctx
}
