package gateway

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

type apiModel struct {
	ID       string     `json:"id"` // provider/model
	Provider string     `json:"provider"`
	Model    string     `json:"model"`
	Source   string     `json:"source"`   // config or catalog
	AddedAt  *time.Time `json:"added_at"` // catalog models only
	OwnedBy  string     `json:"owned_by,omitempty"`
}

type apiAlias struct {
	Name   string `json:"name"`
	Target string `json:"target"`
}

// apiModels serves GET /admin/api/models: the providers' configured
// models, the catalog's added ones, the aliases and the route names.
func (s *Server) apiModels(c *gin.Context) {
	models := []apiModel{}
	seen := map[string]bool{}
	add := func(m apiModel) {
		m.ID = m.Provider + "/" + m.Model
		if !seen[m.ID] {
			seen[m.ID] = true
			models = append(models, m)
		}
	}
	for _, p := range s.reg.Providers() {
		for _, m := range p.Models {
			add(apiModel{Provider: p.Name, Model: m, Source: "config"})
		}
	}
	if s.catalog != nil {
		// The stored rows carry when each model was added; a provider no
		// longer configured still shows, to be removed.
		rows, err := s.catalog.ListCachedModels(c.Request.Context(), "")
		if err != nil {
			s.storeError(c, err)
			return
		}
		for _, r := range rows {
			add(apiModel{Provider: r.Provider, Model: r.ModelID, Source: "catalog", AddedAt: s.localTime(r.CachedAt), OwnedBy: r.OwnedBy})
		}
	} else {
		for _, p := range s.reg.Providers() {
			for _, m := range s.reg.Fetched(p.Name) {
				add(apiModel{Provider: p.Name, Model: m.ID, Source: "catalog", OwnedBy: m.OwnedBy})
			}
		}
	}
	aliases := s.reg.Aliases()
	as := make([]apiAlias, 0, len(aliases))
	for _, name := range aliases.Names() {
		as = append(as, apiAlias{Name: name, Target: aliases[name]})
	}
	routes := s.reg.Routes().Names()
	if routes == nil {
		routes = []string{}
	}
	c.JSON(http.StatusOK, gin.H{"models": models, "aliases": as, "routes": routes})
}

// apiRemoveModel serves DELETE /admin/api/models/{provider}/{model}: 204.
func (s *Server) apiRemoveModel(c *gin.Context) {
	if s.removeModel(c) {
		c.Status(http.StatusNoContent)
	}
}
