package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromiumPath is Debian's chromium (the CI script installs it); the
// AIGW_CHROMIUM variable may point elsewhere.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AIGW_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("AIGW_CHROMIUM=%s: %v (the dashboard's browser tests need Chromium)", p, err)
		}
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("the dashboard's browser tests need Chromium and none was found: install it (apt-get install chromium, as .ci/run does) or set AIGW_CHROMIUM to its path")
	return ""
}

// browser is one headless Chromium tab. It records what the dashboard
// must never do: a console error, an uncaught exception, a JavaScript
// dialog (an alert() from injected markup), a request to a host other
// than this machine's loopback (the pages work offline).
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string

	mu       sync.Mutex
	problems []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		// The machine's network is closed: nothing may try to reach out.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
	}
	b := &browser{t: t, shots: os.Getenv("AIGW_UI_SHOTS")}
	if b.shots == "" {
		b.shots = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(b.shots, 0o755))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// The listener is added before the tab's first command, so it sees
	// every event; chromedp enables the runtime, network and page domains.
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(b.onEvent))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b.ctx = ctx
	// The first run starts the browser and binds it to ctx: no deadline
	// here, or the deadline would end the browser.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start Chromium (%s): %v", exe, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Chromium (%s) did not start within 30s", exe)
	}
	return b
}

func (b *browser) problem(format string, args ...any) {
	b.mu.Lock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
	b.mu.Unlock()
}

func (b *browser) onEvent(ev any) {
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			b.problem("console error: %s", strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		msg := e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
		b.problem("uncaught exception: %s (%s:%d)", msg, e.ExceptionDetails.URL, e.ExceptionDetails.LineNumber)
	case *page.EventJavascriptDialogOpening:
		b.problem("a JavaScript %s dialog opened: %q", e.Type, e.Message)
		// Dismissed off the event loop: a listener may not run a command.
		go func() {
			_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}()
	case *network.EventRequestWillBeSent:
		u, err := url.Parse(e.Request.URL)
		if err != nil {
			b.problem("request to an unparsable URL %q", e.Request.URL)
			return
		}
		if u.Scheme == "data" || u.Scheme == "blob" || u.Scheme == "about" {
			return
		}
		if host := u.Hostname(); host != "localhost" && !net.ParseIP(host).IsLoopback() {
			b.problem("request to a non-loopback host: %s", e.Request.URL)
		}
	}
}

// clean fails the test if anything was recorded.
func (b *browser) clean() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(b.t, b.problems, "the dashboard misbehaved in the browser")
}

// run runs actions with a deadline.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\npage text:\n%s", what, err, b.text("body"))
	}
}

// evalJSON evaluates a JavaScript expression in the page (the DevTools
// protocol is not bound by the page's CSP) and returns its value as JSON.
func (b *browser) evalJSON(expr string) []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
	require.NoError(b.t, err, expr)
	return raw
}

// evalString evaluates an expression whose value is a string.
func (b *browser) evalString(expr string) string {
	b.t.Helper()
	var s string
	require.NoError(b.t, json.Unmarshal(b.evalJSON(expr), &s), expr)
	return s
}

// text is the visible text of the first element matching sel ("" if none).
func (b *browser) text(sel string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	q, _ := json.Marshal(sel)
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%s)||{}).innerText||""`, q)))
	return s
}

// count is how many elements match sel.
func (b *browser) count(sel string) int {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	var n int
	require.NoError(b.t, json.Unmarshal(b.evalJSON(fmt.Sprintf(`document.querySelectorAll(%s).length`, q)), &n))
	return n
}

// waitText waits until the element sel shows every one of texts.
func (b *browser) waitText(sel string, texts ...string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("%s showing %q", sel, texts), func() bool {
		got := b.text(sel)
		for _, want := range texts {
			if !strings.Contains(got, want) {
				return false
			}
		}
		return true
	})
}

func (b *browser) waitFor(what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			b.t.Fatalf("not within 10s: %s\npage text:\n%s", what, b.text("body"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shot saves the page at 1280x800 and as a 390x844 phone, named name,
// then returns to the desktop size. The phone's menu is left closed.
func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	// Charts redraw on resize, after a short debounce.
	settle := chromedp.Sleep(400 * time.Millisecond)
	require.NoError(b.t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), settle))
	desk, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(b.t, err)
	// An iPhone 12's viewport (390x844, touch, mobile) at scale 1, so
	// that the whole page fits a small PNG.
	require.NoError(b.t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch), settle))
	// The whole page, unless a dialog or drawer is open: it is fixed to
	// the viewport, and a full-page capture would show it over the top
	// part only.
	capture := chromedp.FullScreenshot(100)
	if b.count(".overlay") > 0 {
		capture = chromedp.CaptureScreenshot()
	}
	phone, err := chromedp.Run(ctx, capture)
	require.NoError(b.t, err)
	require.NoError(b.t, chromedp.Do(ctx, chromedp.ResetViewport(), chromedp.EmulateViewport(1280, 800), settle))
	require.NoError(b.t, os.WriteFile(filepath.Join(b.shots, name+"-1280x800.png"), desk, 0o644))
	require.NoError(b.t, os.WriteFile(filepath.Join(b.shots, name+"-390x844.png"), phone, 0o644))
}
