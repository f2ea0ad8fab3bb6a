package gateway

import (
	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/internal/web"
)

// registerUI serves the dashboard (README, "控制台") at /ui/ when [auth]
// admin_keys is set. Without admin keys nobody could sign in, so the
// paths are left to the 404 of any unknown path.
// The embedded files cannot change after the build, so an error here is
// a broken build; it is logged and the gateway serves without the pages.
func (s *Server) registerUI(r *gin.RouterGroup) {
	if len(s.adminKeys) == 0 {
		return
	}
	h, err := web.NewHandler()
	if err != nil {
		s.log.Error("the dashboard is not served", "error", err)
		return
	}
	r.GET("/ui", gin.WrapH(h))
	r.HEAD("/ui", gin.WrapH(h))
	r.GET("/ui/*path", gin.WrapH(h))
	r.HEAD("/ui/*path", gin.WrapH(h))
}
