package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/internal/changes"
	"github.com/aigw/aigw/internal/clientadmin"
	"github.com/aigw/aigw/internal/clients"
)

// apiClient is a client as the admin API shows it (docs/admin-api.md,
// "Clients"): everything but the key's hash.
type apiClient struct {
	Name      string     `json:"name"`
	KeyHint   string     `json:"key_hint"`
	Models    []string   `json:"models"`
	RPM       int64      `json:"rpm"`
	TPM       int64      `json:"tpm"`
	Budget    *float64   `json:"budget"`
	Period    string     `json:"period"`
	ExpiresAt *time.Time `json:"expires_at"`
	Disabled  bool       `json:"disabled"`
	State     string     `json:"state"` // active, disabled or expired
	Note      string     `json:"note"`
	CreatedAt time.Time  `json:"created_at"`
	Usage     apiUsage   `json:"usage"`
	// Warning remarks on an accepted change (an expiry in the past).
	Warning string `json:"warning,omitempty"`
}

// apiUsage is what a client used in its budget period (all time, and
// period_start null, without a budget).
type apiUsage struct {
	PeriodStart *time.Time `json:"period_start"`
	Spend       float64    `json:"spend"`
	Requests    int64      `json:"requests"`
}

// clientAdmin edits clients through the admin store; every change is
// applied here at once and announced to the other instances.
func (s *Server) clientAdmin() clientadmin.Admin {
	return clientadmin.Admin{Store: s.api.store, Location: s.location, Changed: s.clientsChanged}
}

// clientsChanged reloads this server's client keys and tells the other
// instances over Redis (README, "多实例": within 1 s; without Redis their
// poll applies it within seconds).
func (s *Server) clientsChanged(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if book, ok := s.clients.(clientSetter); ok {
		if list, err := s.api.store.Clients(ctx); err != nil {
			s.log.Warn("admin api: reload client keys", "error", err)
		} else {
			book.Set(list)
		}
	}
	if err := changes.Publish(ctx, s.redis, s.redisPrefix, changes.Clients); err != nil {
		s.log.Warn("admin api: announce the client change; other instances apply it at their next poll", "error", err)
	}
}

// clientView renders c with its usage now. Spend is the larger of the log's
// sum and the gateway's own count, which also holds requests whose rows
// the log writer has not written yet.
func (s *Server) clientView(ctx context.Context, c clients.Client) (apiClient, error) {
	now := time.Now()
	u, err := s.clientAdmin().Usage(ctx, c, now)
	if err != nil {
		return apiClient{}, err
	}
	if spent, err := s.limits.spent(ctx, c.Name, u.PeriodStart); err == nil && spent > u.Spend {
		u.Spend = spent
	}
	v := apiClient{
		Name: c.Name, KeyHint: c.KeyHint, Models: c.Models, RPM: c.RPM, TPM: c.TPM, Budget: c.Budget,
		Period: c.Period, ExpiresAt: s.localTime(derefTime(c.ExpiresAt)), Disabled: c.Disabled,
		State: "active", Note: c.Note, CreatedAt: c.CreatedAt.In(s.location),
		Usage: apiUsage{PeriodStart: s.localTime(u.PeriodStart), Spend: u.Spend, Requests: u.Requests},
	}
	if v.Models == nil {
		v.Models = []string{}
	}
	switch {
	case c.Disabled:
		v.State = "disabled"
	case c.Expired(now):
		v.State = "expired"
	}
	return v, nil
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// apiClients serves GET /admin/api/clients.
func (s *Server) apiClients(c *gin.Context) {
	if !s.needStore(c) {
		return
	}
	list, err := s.api.store.Clients(c.Request.Context())
	if err != nil {
		s.storeError(c, err)
		return
	}
	out := make([]apiClient, 0, len(list))
	for _, cl := range list {
		v, err := s.clientView(c.Request.Context(), cl)
		if err != nil {
			s.storeError(c, err)
			return
		}
		out = append(out, v)
	}
	c.JSON(http.StatusOK, gin.H{"clients": out})
}

// apiClient serves GET /admin/api/clients/{name}.
func (s *Server) apiClient(c *gin.Context) {
	if !s.needStore(c) {
		return
	}
	cl, err := s.api.store.ClientByName(c.Request.Context(), c.Param("name"))
	if err != nil {
		s.storeError(c, err)
		return
	}
	s.writeClient(c, http.StatusOK, cl, "", "")
}

// writeClient answers with the client; with a key (create, rotate) as
// {"client","key"}, the one time the key is ever shown.
func (s *Server) writeClient(c *gin.Context, status int, cl clients.Client, key, warning string) {
	v, err := s.clientView(c.Request.Context(), cl)
	if err != nil {
		s.storeError(c, err)
		return
	}
	v.Warning = warning
	if key == "" {
		c.JSON(status, v)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, gin.H{"client": v, "key": key})
}

// clientFieldsShape is what create and update take, for error messages.
const clientFieldsShape = `{"name":"alice","models":["gpt-4o*"],"rpm":60,"tpm":0,"budget":10,"period":"month","expires":"2026-12-31","note":"..."}`

// apiCreateClient serves POST /admin/api/clients: 201 with the key, once.
func (s *Server) apiCreateClient(c *gin.Context) {
	if !s.needStore(c) {
		return
	}
	fields, ok := readFields(c)
	if !ok {
		return
	}
	var name string
	if raw, ok := fields["name"]; !ok || json.Unmarshal(raw, &name) != nil {
		adminError(c, http.StatusBadRequest, codeInvalidParameter, `give the client's name as a string: `+clientFieldsShape)
		return
	}
	delete(fields, "name")
	edit, err := parseClientEdit(fields)
	if err != nil {
		adminError(c, http.StatusBadRequest, codeInvalidParameter, err.Error())
		return
	}
	res, err := s.clientAdmin().Create(c.Request.Context(), name, edit, time.Now())
	if err != nil {
		s.storeError(c, err)
		return
	}
	s.log.Info("admin api: client created", "client", name, "key", res.Client.KeyHint)
	s.writeClient(c, http.StatusCreated, res.Client, res.Key, res.Warning)
}

// apiUpdateClient serves PATCH /admin/api/clients/{name}: the fields
// given change, the others stay; null removes a budget or an expiry.
func (s *Server) apiUpdateClient(c *gin.Context) {
	if !s.needStore(c) {
		return
	}
	name := c.Param("name")
	fields, ok := readFields(c)
	if !ok {
		return
	}
	if raw, ok := fields["name"]; ok {
		var n string
		if json.Unmarshal(raw, &n) != nil || n != name {
			adminError(c, http.StatusBadRequest, codeInvalidParameter,
				"a client cannot be renamed: create one under the new name and remove the old one")
			return
		}
		delete(fields, "name")
	}
	if len(fields) == 0 {
		adminError(c, http.StatusBadRequest, codeInvalidParameter, "nothing to change: give any of "+clientFieldsShape)
		return
	}
	edit, err := parseClientEdit(fields)
	if err != nil {
		adminError(c, http.StatusBadRequest, codeInvalidParameter, err.Error())
		return
	}
	res, err := s.clientAdmin().Update(c.Request.Context(), name, edit, time.Now())
	if err != nil {
		s.storeError(c, err)
		return
	}
	s.log.Info("admin api: client updated", "client", name)
	s.writeClient(c, http.StatusOK, res.Client, "", res.Warning)
}

// apiSetDisabled serves POST /admin/api/clients/{name}/disable and /enable.
func (s *Server) apiSetDisabled(disable bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.needStore(c) {
			return
		}
		res, err := s.clientAdmin().SetDisabled(c.Request.Context(), c.Param("name"), disable)
		if err != nil {
			s.storeError(c, err)
			return
		}
		warning := ""
		if !disable && res.Client.Expired(time.Now()) {
			warning = "the key is expired: PATCH a new \"expires\" date, or null for none, to make it work"
		}
		s.log.Info("admin api: client disabled or enabled", "client", res.Client.Name, "disabled", disable)
		s.writeClient(c, http.StatusOK, res.Client, "", warning)
	}
}

// apiRotateClient serves POST /admin/api/clients/{name}/rotate.
func (s *Server) apiRotateClient(c *gin.Context) {
	if !s.needStore(c) {
		return
	}
	res, err := s.clientAdmin().Rotate(c.Request.Context(), c.Param("name"))
	if err != nil {
		s.storeError(c, err)
		return
	}
	s.log.Info("admin api: client key rotated", "client", res.Client.Name, "key", res.Client.KeyHint)
	s.writeClient(c, http.StatusOK, res.Client, res.Key, "")
}

// apiRemoveClient serves DELETE /admin/api/clients/{name}.
func (s *Server) apiRemoveClient(c *gin.Context) {
	if !s.needStore(c) {
		return
	}
	name := c.Param("name")
	if err := s.clientAdmin().Remove(c.Request.Context(), name); err != nil {
		s.storeError(c, err)
		return
	}
	s.log.Info("admin api: client removed", "client", name)
	c.Status(http.StatusNoContent)
}

// readFields reads a JSON object keeping each member raw, so that an
// absent field (left as it is) differs from null (removed).
func readFields(c *gin.Context) (map[string]json.RawMessage, bool) {
	var fields map[string]json.RawMessage
	if !readJSON(c, &fields, clientFieldsShape) {
		return nil, false
	}
	return fields, true
}

var clientFields = []string{"name", "models", "rpm", "tpm", "budget", "period", "expires", "note"}

// parseClientEdit turns the fields of a create or update into an edit;
// Edit.Apply checks the values themselves.
func parseClientEdit(fields map[string]json.RawMessage) (clients.Edit, error) {
	var e clients.Edit
	for k := range fields {
		if !slices.Contains(clientFields, k) {
			return e, fmt.Errorf("unknown field %q: give any of %s", k, strings.Join(clientFields[1:], ", "))
		}
	}
	isNull := func(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }
	field := func(name string, dst any, want string) error {
		if err := json.Unmarshal(fields[name], dst); err != nil {
			return fmt.Errorf("%s: give %s", name, want)
		}
		return nil
	}
	if raw, ok := fields["models"]; ok {
		m := []string{}
		if !isNull(raw) {
			if err := field("models", &m, `a list of model globs, e.g. ["gpt-4o*","smart"] ([] or null: every model)`); err != nil {
				return e, err
			}
			for i := range m {
				m[i] = strings.TrimSpace(m[i])
			}
		}
		e.Models = &m
	}
	for _, lim := range []struct {
		name string
		dst  **int64
	}{{"rpm", &e.RPM}, {"tpm", &e.TPM}} {
		if raw, ok := fields[lim.name]; ok {
			var n int64
			if !isNull(raw) {
				if err := field(lim.name, &n, "a whole number, 0 for no limit"); err != nil {
					return e, err
				}
			}
			*lim.dst = &n
		}
	}
	if raw, ok := fields["budget"]; ok {
		if isNull(raw) {
			e.NoBudget = true
		} else {
			var b float64
			if err := field("budget", &b, "an amount more than 0 in the price table's currency (null: no budget)"); err != nil {
				return e, err
			}
			e.Budget = &b
		}
	}
	if raw, ok := fields["period"]; ok && !(isNull(raw) && e.NoBudget) {
		p := ""
		if !isNull(raw) {
			if err := field("period", &p, "day, week, month or total"); err != nil {
				return e, err
			}
		}
		e.Period = &p
	}
	if raw, ok := fields["expires"]; ok {
		var d string
		if !isNull(raw) {
			if err := field("expires", &d, `a date like "2026-12-31" (null: never)`); err != nil {
				return e, err
			}
		}
		e.Expires = strings.TrimSpace(d)
		e.NoExpiry = e.Expires == ""
	}
	if raw, ok := fields["note"]; ok {
		n := ""
		if !isNull(raw) {
			if err := field("note", &n, "a string"); err != nil {
				return e, err
			}
		}
		e.Note = &n
	}
	return e, e.Check()
}
