package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/internal/catalog"
	"github.com/aigw/aigw/internal/changes"
	"github.com/aigw/aigw/internal/provider"
)

// Admin error codes.
const (
	codeAdminDisabled    = "admin_disabled"
	codeInvalidAdminKey  = "invalid_admin_key"
	codeUnknownProvider  = "unknown_provider"
	codeCatalogDisabled  = "catalog_unavailable"
	codeUpstreamListFail = "upstream_list_failed"
)

// adminFetchTimeout bounds a live model-list fetch when the provider's own
// timeout is longer; the admin waits on it.
const adminFetchTimeout = 60 * time.Second

// registerAdmin adds the admin model-catalog endpoints (README.md, 接口). They sit
// outside /v1: they are not proxied requests and have no log row.
func (s *Server) registerAdmin(r *gin.RouterGroup) {
	g := r.Group("/models", s.authAdmin)
	g.GET("/:provider", s.handleAdminFetch)
	g.POST("/:provider", s.handleAdminAdd)
	g.DELETE("/:provider/*model", s.handleAdminRemove)
}

// authAdmin accepts only [auth] admin_keys, as Bearer or x-api-key,
// compared in constant time. With no admin keys the endpoints are off.
func (s *Server) authAdmin(c *gin.Context) {
	if len(s.adminKeys) == 0 {
		writeError(c, formatOpenAI, newAPIError(http.StatusForbidden, codeAdminDisabled,
			"admin endpoints are disabled: set [auth] admin_keys in the aigw config to use them"))
		return
	}
	key := presentedKey(c.Request)
	if key == "" || !keyMatches(key, s.adminKeys) {
		writeError(c, formatOpenAI, newAPIError(http.StatusUnauthorized, codeInvalidAdminKey,
			"missing or invalid admin key: send Authorization: Bearer <key> or x-api-key: <key> with a key from [auth] admin_keys"))
		return
	}
	c.Next()
}

func (s *Server) adminProvider(c *gin.Context) (*provider.Provider, bool) {
	name := c.Param("provider")
	p, ok := s.reg.Get(name)
	if !ok {
		names := make([]string, 0, len(s.reg.Providers()))
		for _, p := range s.reg.Providers() {
			names = append(names, p.Name)
		}
		writeError(c, formatOpenAI, newAPIError(http.StatusNotFound, codeUnknownProvider,
			fmt.Sprintf("no provider %q in the config (providers: %s)", name, strings.Join(names, ", "))))
		return nil, false
	}
	return p, true
}

// fetchLive asks the upstream for its list now, with the provider's
// connect timeout and at most adminFetchTimeout overall.
func (s *Server) fetchLive(c *gin.Context, p *provider.Provider) ([]catalog.Model, bool) {
	timeout := adminFetchTimeout
	if p.Timeout > 0 && p.Timeout < timeout {
		timeout = p.Timeout
	}
	ctx, cancel := context.WithTimeout(withConnectTimeout(c.Request.Context(), p.ConnectTimeout), timeout)
	defer cancel()
	models, hint, err := catalog.Fetch(ctx, s.client, p)
	if err != nil {
		s.log.Warn("admin: upstream model list failed", "provider", p.Name, "key", hint, "error", err)
		writeError(c, formatOpenAI, newAPIError(http.StatusBadGateway, codeUpstreamListFail,
			fmt.Sprintf("could not list the models of %s: %v", p.Name, err)))
		return nil, false
	}
	return models, true
}

// handleAdminFetch serves GET /models/{provider}: the upstream's list right
// now, in the OpenAI list shape, not stored. ?match=GLOB filters it.
func (s *Server) handleAdminFetch(c *gin.Context) {
	p, ok := s.adminProvider(c)
	if !ok {
		return
	}
	pattern := c.Query("match")
	if err := catalog.ValidatePattern(pattern); err != nil {
		writeError(c, formatOpenAI, newAPIError(http.StatusBadRequest, codeInvalidParameter, err.Error()))
		return
	}
	models, ok := s.fetchLive(c, p)
	if !ok {
		return
	}
	models, _ = catalog.Filter(models, pattern)
	body, err := catalog.MarshalList(models)
	if err != nil {
		writeError(c, formatOpenAI, newAPIError(http.StatusInternalServerError, codeInternal, err.Error()))
		return
	}
	c.Data(http.StatusOK, "application/json", body)
}

// adminAddRequest is the body of POST /models/{provider}: exactly one of
// models, all, match.
type adminAddRequest struct {
	Models []string `json:"models"`
	All    bool     `json:"all"`
	Match  string   `json:"match"`
}

// handleAdminAdd serves POST /models/{provider}: it fetches the upstream
// list, picks the requested ids from it and stores them in the catalog, as
// `models fetch --add` does. Ids the upstream does not list are refused
// (nothing is stored) so a typo cannot create a model that always fails.
func (s *Server) handleAdminAdd(c *gin.Context) {
	if s.catalog == nil {
		writeError(c, formatOpenAI, newAPIError(http.StatusServiceUnavailable, codeCatalogDisabled,
			"the model catalog is unavailable: this gateway runs without a database"))
		return
	}
	p, ok := s.adminProvider(c)
	if !ok {
		return
	}
	var req adminAddRequest
	raw, err := io.ReadAll(io.LimitReader(c.Request.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(raw, &req)
	}
	if err != nil {
		writeError(c, formatOpenAI, newAPIError(http.StatusBadRequest, codeInvalidJSON,
			`body must be JSON: {"models":["id",...]}, {"all":true} or {"match":"glob"}`))
		return
	}
	chosen := 0
	for _, set := range []bool{len(req.Models) > 0, req.All, req.Match != ""} {
		if set {
			chosen++
		}
	}
	if chosen != 1 {
		writeError(c, formatOpenAI, newAPIError(http.StatusBadRequest, codeInvalidParameter,
			`give exactly one of "models" (a list of upstream ids), "all": true, or "match": "glob"`))
		return
	}
	if req.Match != "" {
		if err := catalog.ValidatePattern(req.Match); err != nil {
			writeError(c, formatOpenAI, newAPIError(http.StatusBadRequest, codeInvalidParameter, err.Error()))
			return
		}
	}

	upstream, ok := s.fetchLive(c, p)
	if !ok {
		return
	}
	var pick []catalog.Model
	switch {
	case req.All:
		pick = upstream
	case req.Match != "":
		pick, _ = catalog.Filter(upstream, req.Match)
	default:
		byID := make(map[string]catalog.Model, len(upstream))
		for _, m := range upstream {
			byID[m.ID] = m
		}
		var unknown []string
		for _, id := range req.Models {
			m, ok := byID[id]
			if !ok {
				unknown = append(unknown, id)
				continue
			}
			pick = append(pick, m)
		}
		if len(unknown) > 0 {
			writeError(c, formatOpenAI, newAPIError(http.StatusBadRequest, codeModelNotFound,
				fmt.Sprintf("provider %s does not list %s; nothing was stored (GET /models/%s shows what it lists)",
					p.Name, strings.Join(unknown, ", "), p.Name)))
			return
		}
	}

	res, err := catalog.Add(c.Request.Context(), s.catalog, p.Name, pick, time.Now().In(s.location))
	if err != nil {
		writeError(c, formatOpenAI, newAPIError(http.StatusInternalServerError, codeInternal, err.Error()))
		return
	}
	s.reloadCatalog(c.Request.Context())
	s.log.Info("admin: models added", "provider", p.Name, "added", len(res.Added), "existing", len(res.Existing))
	c.JSON(http.StatusOK, res)
}

// handleAdminRemove serves DELETE /models/{provider}/{model}; the model id
// may hold slashes. A provider no longer in the config may still be
// cleaned up.
func (s *Server) handleAdminRemove(c *gin.Context) {
	if s.removeModel(c) {
		c.JSON(http.StatusOK, gin.H{"provider": c.Param("provider"), "model": strings.TrimPrefix(c.Param("model"), "/"), "removed": true})
	}
}

// removeModel removes the catalog model the path names; false after it
// answered with an error.
func (s *Server) removeModel(c *gin.Context) bool {
	if s.catalog == nil {
		writeError(c, formatOpenAI, newAPIError(http.StatusServiceUnavailable, codeCatalogDisabled,
			"the model catalog is unavailable: this gateway runs without a database"))
		return false
	}
	prov := c.Param("provider")
	model := strings.TrimPrefix(c.Param("model"), "/")
	if model == "" {
		writeError(c, formatOpenAI, newAPIError(http.StatusBadRequest, codeMissingModel, "give the model: DELETE /models/{provider}/{model}"))
		return false
	}
	removed, err := s.catalog.RemoveCachedModel(c.Request.Context(), prov, model)
	if err != nil {
		writeError(c, formatOpenAI, newAPIError(http.StatusInternalServerError, codeInternal, fmt.Sprintf("remove %s/%s: %v", prov, model, err)))
		return false
	}
	if !removed {
		msg := fmt.Sprintf("%s/%s is not in the model catalog", prov, model)
		if p, ok := s.reg.Get(prov); ok && p.HasStatic(model) {
			msg += "; it is a static model: remove it from the provider's models in the config file"
		}
		writeError(c, formatOpenAI, newAPIError(http.StatusNotFound, codeModelNotFound, msg))
		return false
	}
	s.reloadCatalog(c.Request.Context())
	s.log.Info("admin: model removed", "provider", prov, "model", model)
	return true
}

// reloadCatalog makes this gateway route with the change at once; other
// instances hear of it over Redis within a second (README, "多实例"), or
// see it on their next catalog poll.
func (s *Server) reloadCatalog(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if err := catalog.LoadInto(ctx, s.catalog, s.reg); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Warn("admin: reload the model catalog", "error", err)
	}
	if err := changes.Publish(ctx, s.redis, s.redisPrefix, changes.Catalog); err != nil {
		s.log.Warn("admin: announce the catalog change; other instances see it at their next poll", "error", err)
	}
}
