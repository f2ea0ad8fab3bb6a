package gateway

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/internal/provider"
)

type openAIModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

type anthropicModel struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	DisplayName string `json:"display_name"`
	CreatedAt   string `json:"created_at"`
}

func toOpenAIModel(e provider.ModelEntry) openAIModel {
	return openAIModel{ID: e.ID, Object: "model", Created: e.Created, OwnedBy: e.OwnedBy}
}

func toAnthropicModel(e provider.ModelEntry) anthropicModel {
	return anthropicModel{ID: e.ID, Type: "model", DisplayName: e.ID,
		CreatedAt: time.Unix(e.Created, 0).UTC().Format(time.RFC3339)}
}

// handleModels serves GET /v1/models: every provider/model and alias, in
// Anthropic's shape when the client speaks Anthropic (anthropic-version).
func (s *Server) handleModels(c *gin.Context, rs *reqState) {
	entries := s.reg.Models()
	if rs.format == formatAnthropic {
		data := make([]anthropicModel, 0, len(entries))
		for _, e := range entries {
			data = append(data, toAnthropicModel(e))
		}
		var first, last *string
		if len(data) > 0 {
			first, last = &data[0].ID, &data[len(data)-1].ID
		}
		c.JSON(http.StatusOK, gin.H{"data": data, "has_more": false, "first_id": first, "last_id": last})
		return
	}
	data := make([]openAIModel, 0, len(entries))
	for _, e := range entries {
		data = append(data, toOpenAIModel(e))
	}
	c.JSON(http.StatusOK, gin.H{"object": "list", "data": data})
}

// handleModel serves GET /v1/models/{id}; ids contain slashes.
func (s *Server) handleModel(c *gin.Context, rs *reqState, id string) {
	for _, e := range s.reg.Models() {
		if e.ID == id {
			if rs.format == formatAnthropic {
				c.JSON(http.StatusOK, toAnthropicModel(e))
			} else {
				c.JSON(http.StatusOK, toOpenAIModel(e))
			}
			return
		}
	}
	rs.reject(c, &apiError{status: http.StatusNotFound, typ: "invalid_request_error", code: codeModelNotFound,
		param: "model", message: "model " + clip(id, maxLoggedModel) + " not found: GET /v1/models lists what aigw serves"})
}
