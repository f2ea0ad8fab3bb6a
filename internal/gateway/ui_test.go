package gateway

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestUIOnlyWithAdminKeys: the dashboard is served only when someone can
// sign in to it (README, "控制台").
func TestUIOnlyWithAdminKeys(t *testing.T) {
	_, off := adminServer(t, nil, nil)
	for _, p := range []string{"/ui", "/ui/", "/ui/js/main.js"} {
		status, _ := adminDo(t, http.MethodGet, off.URL+p, "", "")
		assert.Equal(t, http.StatusNotFound, status, p)
	}

	_, on := adminServer(t, []string{"sk-admin-000000000001"}, nil)
	status, body := adminDo(t, http.MethodGet, on.URL+"/ui/", "", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `<script type="module" src="js/main.js">`)
	status, _ = adminDo(t, http.MethodGet, on.URL+"/ui/js/main.js", "", "")
	assert.Equal(t, http.StatusOK, status)
}
