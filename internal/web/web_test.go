package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func serve(t *testing.T, method, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	h, err := NewHandler()
	require.NoError(t, err)
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestIndexHeaders(t *testing.T) {
	rec := serve(t, http.MethodGet, "/ui/")
	require.Equal(t, http.StatusOK, rec.Code)
	h := rec.Header()
	assert.Equal(t, "text/html; charset=utf-8", h.Get("Content-Type"))
	csp := h.Get("Content-Security-Policy")
	assert.Contains(t, csp, "default-src 'self'")
	assert.Contains(t, csp, "script-src 'self';", "no inline script")
	assert.Contains(t, csp, "img-src 'self' data:")
	assert.NotContains(t, csp, "unsafe")
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	assert.Equal(t, "same-origin", h.Get("Referrer-Policy"))
	assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
	assert.Equal(t, "no-cache", h.Get("Cache-Control"))
	assert.NotEmpty(t, h.Get("ETag"))
	assert.Contains(t, rec.Body.String(), `<script type="module" src="js/main.js"></script>`)
}

func TestRedirectRevalidateAndRefusals(t *testing.T) {
	rec := serve(t, http.MethodGet, "/ui")
	assert.Equal(t, http.StatusMovedPermanently, rec.Code)
	assert.Equal(t, "/ui/", rec.Header().Get("Location"))

	rec = serve(t, http.MethodGet, "/ui/app.css")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "text/css; charset=utf-8", rec.Header().Get("Content-Type"))
	etag := rec.Header().Get("ETag")
	rec = serve(t, http.MethodGet, "/ui/app.css", "If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, rec.Code)
	assert.Empty(t, rec.Body.String())

	rec = serve(t, http.MethodGet, "/ui/js/main.js")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Header().Get("Content-Type"), "javascript")

	assert.Equal(t, http.StatusNotFound, serve(t, http.MethodGet, "/ui/js/missing.js").Code)
	assert.Equal(t, http.StatusOK, serve(t, http.MethodGet, "/ui/logs").Code, "a mistyped page path gets the app")
	// A sign-in form submitted by the browser itself posts here: refused.
	assert.Equal(t, http.StatusMethodNotAllowed, serve(t, http.MethodPost, "/ui/").Code)
	assert.Equal(t, http.StatusOK, serve(t, http.MethodHead, "/ui/").Code)
}

// TestStaticFilesStayOfflineAndEscaped reads every embedded file: nothing
// is loaded from another origin (no CDN, no web font), and no script
// writes markup (data reaches the page as text nodes only).
func TestStaticFilesStayOfflineAndEscaped(t *testing.T) {
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	markup := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function`)
	n := 0
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		body, err := files.ReadFile(p)
		require.NoError(t, err)
		text := strings.ReplaceAll(string(body), "http://www.w3.org/2000/svg", "") // an XML namespace, not a fetch
		assert.Empty(t, external.FindAllString(text, -1), "%s names another origin", p)
		if strings.HasSuffix(p, ".js") {
			assert.Empty(t, markup.FindAllString(text, -1), "%s writes markup", p)
		}
		if strings.HasSuffix(p, ".html") {
			assert.NotRegexp(t, `<script>|<script [^>]*>[^<]`, text, "%s has an inline script", p)
			assert.NotContains(t, text, "style=", "%s has an inline style (the CSP refuses it)", p)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, n, 5)
}
