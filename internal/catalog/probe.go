package catalog

import (
	"context"
	"net/http"

	"github.com/aigw/aigw/internal/provider"
)

// TestKey checks one key the way `keys test` does; the server's background
// probe uses it to bring back keys set aside after a 401/403.
func TestKey(ctx context.Context, client *http.Client, p *provider.Provider, key *provider.Key) KeyResult {
	return testKey(ctx, client, p, key)
}
