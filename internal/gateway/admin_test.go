package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/store"
)

// memCatalog is an in-memory catalog.Store.
type memCatalog struct {
	mu   sync.Mutex
	rows []store.CachedModel
}

func (m *memCatalog) AddCachedModels(_ context.Context, prov string, models []store.CachedModel) (added, existing []string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
next:
	for _, nm := range models {
		for _, r := range m.rows {
			if r.Provider == prov && r.ModelID == nm.ModelID {
				existing = append(existing, nm.ModelID)
				continue next
			}
		}
		nm.Provider = prov
		m.rows = append(m.rows, nm)
		added = append(added, nm.ModelID)
	}
	return added, existing, nil
}

func (m *memCatalog) ListCachedModels(_ context.Context, prov string) ([]store.CachedModel, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.CachedModel
	for _, r := range m.rows {
		if prov == "" || r.Provider == prov {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memCatalog) RemoveCachedModel(_ context.Context, prov, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, r := range m.rows {
		if r.Provider == prov && r.ModelID == id {
			m.rows = append(m.rows[:i], m.rows[i+1:]...)
			return true, nil
		}
	}
	return false, nil
}

func adminServer(t *testing.T, adminKeys []string, cat *memCatalog) (*Server, *httptest.Server) {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"m/one","created":1,"owned_by":"x"},{"id":"two","created":2}]}`)
	}))
	t.Cleanup(up.Close)
	cfg := &config.Config{
		Server:    config.Server{MaxBodyMB: 1},
		Auth:      config.Auth{AdminKeys: adminKeys},
		Database:  config.Database{Timezone: "UTC"},
		Providers: []config.Provider{{Name: "up", Type: "openai", BaseURL: up.URL, APIKeys: []string{"sk-upstream-key-000000001"}}},
	}
	opts := Options{Config: cfg, Registry: provider.NewRegistry(cfg, nil)}
	if cat != nil {
		opts.Catalog = cat
	}
	s := New(opts)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv
}

func adminDo(t *testing.T, method, url, key, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(data)
}

func TestAdminDisabledWithoutAdminKeys(t *testing.T) {
	_, srv := adminServer(t, nil, &memCatalog{})
	status, body := adminDo(t, http.MethodGet, srv.URL+"/models/up", "anything", "")
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "admin endpoints are disabled")
}

func TestAdminWithoutCatalogStore(t *testing.T) {
	_, srv := adminServer(t, []string{"adm-key"}, nil)
	status, _ := adminDo(t, http.MethodGet, srv.URL+"/models/up", "adm-key", "")
	assert.Equal(t, http.StatusOK, status, "a live fetch needs no database")
	status, _ = adminDo(t, http.MethodPost, srv.URL+"/models/up", "adm-key", `{"all":true}`)
	assert.Equal(t, http.StatusServiceUnavailable, status)
}

func TestAdminAddAndRemoveUpdateRegistryAtOnce(t *testing.T) {
	cat := &memCatalog{}
	s, srv := adminServer(t, []string{"adm-key"}, cat)
	status, _ := adminDo(t, http.MethodPost, srv.URL+"/models/up", "wrong", `{"all":true}`)
	assert.Equal(t, http.StatusUnauthorized, status)

	status, _ = adminDo(t, http.MethodPost, srv.URL+"/models/up", "adm-key", `{"all":true}`)
	require.Equal(t, http.StatusOK, status)
	route, err := s.Registry().Resolve("m/one")
	require.NoError(t, err, "a fetched id with '/' routes right after the add")
	assert.Equal(t, "up", route.Provider.Name)

	status, _ = adminDo(t, http.MethodDelete, srv.URL+"/models/up/m/one", "adm-key", "")
	require.Equal(t, http.StatusOK, status, "the model id may hold slashes")
	_, err = s.Registry().Resolve("m/one")
	assert.ErrorIs(t, err, provider.ErrModelNotFound)
	cached, _ := cat.ListCachedModels(context.Background(), "up")
	require.Len(t, cached, 1)
	assert.Equal(t, "two", cached[0].ModelID)
}
