package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/secret"
)

// uiScript is a model name and a message that would run if a page put
// them into its markup.
const uiScript = "<script>alert(1)</script>"

// uiServe is a real `serve` (SQLite, admin keys, bodies stored) in front
// of a fake OpenAI upstream with a good key and a bad one, an alias and
// a route.
func uiServe(t *testing.T) *catServer {
	t.Helper()
	up := catOpenAIUpstream(t)
	providers := fmt.Sprintf(`
[server]
default_provider = "openai"

[logging]
store_bodies = true

[[providers]]
name = "openai"
type = "openai"
base_url = "%s/v1"
api_keys = ["%s", "%s"]
models = ["gpt-4o", "gpt-4o-mini"]
`, up.URL, catUpGood, catUpBad)
	redirect := "[aliases]\n\"fast\" = \"openai/gpt-4o-mini\"\n\n[routes.\"smart\"]\ntargets = [\"openai/gpt-4o\", \"openai/gpt-4o-mini\"]\n"
	return catServe(t, providers, redirect)
}

func uiOpenAI(s *catServer, key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(s.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
}

func uiChat(t *testing.T, c openai.Client, model, content string) (*openai.ChatCompletion, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(content)},
	})
}

// uiSeed makes real requests through the gateway and waits until the
// admin API lists their rows: three to gpt-4o, a stream to gpt-4o-mini,
// one whose model and message are a script tag, one malformed (400).
func uiSeed(t *testing.T, s *catServer) {
	t.Helper()
	c := uiOpenAI(s, clientKey)
	for range 3 {
		_, err := uiChat(t, c, "gpt-4o", "hello")
		require.NoError(t, err)
	}
	stream := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream please")},
	})
	for stream.Next() {
	}
	require.NoError(t, stream.Err())
	_, err := uiChat(t, c, uiScript, uiScript)
	require.NoError(t, err, "a model unknown to the lists goes to the default provider")
	status, _ := s.do(t, http.MethodPost, "/v1/chat/completions", clientKey, `{"model":`)
	require.Equal(t, http.StatusBadRequest, status)
	catEventually(t, 10*time.Second, "six log rows listed by the admin API", func() bool {
		status, body := s.do(t, http.MethodGet, "/admin/api/logs", catAdminKey, "")
		return status == http.StatusOK && len(gjson.GetBytes(body, "logs").Array()) >= 6
	})
}

// TestDashboardInBrowser drives every page of the dashboard in headless
// Chromium against a real server (README, "控制台"): sign-in, the data
// each page shows, the log filters and detail, a client created in the
// page whose key works with the OpenAI SDK until it is disabled there,
// models added from the upstream list, the language switch, sign-out.
// Markup in the data stays text, nothing reaches beyond 127.0.0.1, and
// the console stays free of errors.
func TestDashboardInBrowser(t *testing.T) {
	b := newBrowser(t) // first: without Chromium the test fails at once
	s := uiServe(t)
	uiSeed(t, s)

	// Sign-in: a wrong key is refused, the right one opens the overview.
	b.run("open the dashboard", chromedp.Navigate(s.URL+"/ui"))
	b.waitText("#view", "登录 aigw 控制台")
	b.shot("signin")
	b.run("sign in with a wrong key",
		chromedp.SendKeys(chromedp.CSS("#signin-key"), "sk-not-the-admin-key"),
		chromedp.Click(chromedp.CSS(".signin button[type=submit]")))
	b.waitText("#view", "管理密钥无效")
	b.run("sign in",
		chromedp.SendKeys(chromedp.CSS("#signin-key"), catAdminKey),
		chromedp.Click(chromedp.CSS(".signin button[type=submit]")))
	b.waitText("#view", "热门模型", "gpt-4o", uiScript)
	uiNoSecretsInPage(t, b)

	{ // overview
		status, body := s.do(t, http.MethodGet, "/admin/api/overview?range=24h", catAdminKey, "")
		require.Equal(t, http.StatusOK, status, string(body))
		requests := gjson.GetBytes(body, "totals.requests").Int()
		require.GreaterOrEqual(t, requests, int64(6))
		b.waitText(".cards", "请求数", fmt.Sprint(requests), "错误率", "Token", "费用", "延迟 p50", "首字延迟 p50")
		assert.Equal(t, 4, b.count(".chart-box svg.chart"), "four charts")
		b.waitText(".top-grid", "gpt-4o-mini", "openai", "（静态密钥）")
		assert.Equal(t, 1, b.count("script"), "the model named "+uiScript+" is text, not an element")
		b.shot("overview")
		b.run("range 1h", chromedp.Click(chromedp.CSS(`.segmented a[href$="range=1h"]`)))
		b.waitFor("the 1 h range is chosen", func() bool { return b.count(`.segmented a.active[href$="range=1h"]`) == 1 })
		b.waitText(".cards", fmt.Sprint(requests))
	}

	{ // logs
		b.run("logs page", chromedp.Navigate(s.URL+"/ui/#/logs"))
		b.waitText(".tbl.logs", "gpt-4o-mini", uiScript)
		all := b.count(".tbl.logs tbody tr")
		require.GreaterOrEqual(t, all, 6)

		b.run("filter by model",
			chromedp.SendKeys(chromedp.CSS(`.filters input[name=model]`), "gpt-4o-mini"),
			chromedp.Click(chromedp.CSS(`.filters button[type=submit]`)))
		b.waitFor("one gpt-4o-mini row", func() bool { return b.count(".tbl.logs tbody tr") == 1 })
		b.waitText(".tbl.logs tbody", "gpt-4o-mini")

		b.run("filter by status class", chromedp.Navigate(s.URL+"/ui/#/logs?status=4xx"))
		b.waitFor("only the 400 row", func() bool {
			return b.count(".tbl.logs tbody tr") == 1 && strings.Contains(b.text(".tbl.logs tbody"), "400")
		})

		// The detail of the script row shows its bodies, as text.
		b.run("all rows", chromedp.Navigate(s.URL+"/ui/#/logs"))
		b.waitFor("every row again", func() bool { return b.count(".tbl.logs tbody tr") == all })
		b.run("open the script row", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`[...document.querySelectorAll(".tbl.logs tbody tr")].find(r => r.innerText.includes(%q)).click()`, uiScript)))
		b.waitText(".drawer", "请求体", "响应体", `"content": "`+uiScript+`"`, "hello from the fake")
		assert.Equal(t, 0, b.count(".drawer script"))
		b.shot("log-detail")
		b.run("close the detail", chromedp.Click(chromedp.CSS(".drawer-head button")))
		b.waitFor("the drawer closed", func() bool { return b.count(".drawer") == 0 })

		// Live follow shows a request made after the page loaded.
		b.run("follow", chromedp.Click(chromedp.CSS(`.filters input[name=follow]`)))
		c := uiOpenAI(s, clientKey)
		var resp *http.Response
		_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model:    "fast",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("live")},
		}, option.WithResponseInto(&resp))
		require.NoError(t, err)
		b.waitText(".tbl.logs tbody", resp.Header.Get("X-Request-Id"))
		b.shot("logs")
	}

	{ // providers
		b.run("providers page", chromedp.Navigate(s.URL+"/ui/#/providers"))
		b.waitText("#view", "openai", secret.Hint(catUpGood), secret.Hint(catUpBad), "smart", "openai/gpt-4o-mini")
		assert.NotContains(t, b.text("body"), catUpGood, "keys appear as hints only")
		b.run("test keys", chromedp.Click(chromedp.CSS(`.provider[data-provider=openai] .test-keys`)))
		b.waitText(".provider[data-provider=openai] .test-results", secret.Hint(catUpGood), "正常", secret.Hint(catUpBad), "密钥无效", "401")
		b.shot("providers")
	}

	{ // models
		b.run("models page", chromedp.Navigate(s.URL+"/ui/#/models"))
		b.waitText("#view", "openai/gpt-4o", "fast", "smart")
		b.run("fetch the upstream list", chromedp.Click(chromedp.CSS(".inline-form button[type=submit]")))
		b.waitText(".pick-list", "GPT-4.1-Fast", "text-embedding-3-small")
		b.run("tick one and add it",
			chromedp.Click(chromedp.CSS(`.pick-list input[value="GPT-4.1-Fast"]`)),
			chromedp.Click(chromedp.CSS(`.picker-bar .btn.primary`)))
		b.waitText(".page-models .tbl", "openai/GPT-4.1-Fast")
		_, served := s.servedIDs(t)["openai/GPT-4.1-Fast"]
		assert.True(t, served, "the added model is served")
		b.shot("models")
	}

	{ // clients
		b.run("clients page", chromedp.Navigate(s.URL+"/ui/#/clients"))
		b.run("open the form", chromedp.Click(chromedp.CSS(".page-head .btn.primary")))
		b.run("create a client",
			chromedp.SendKeys(chromedp.CSS(`.grid-form input[name=name]`), "webtest"),
			chromedp.SendKeys(chromedp.CSS(`.grid-form input[name=models]`), "gpt-4o*"),
			chromedp.SendKeys(chromedp.CSS(`.grid-form input[name=rpm]`), "100"),
			chromedp.SendKeys(chromedp.CSS(`.grid-form input[name=budget]`), "5"),
			chromedp.Click(chromedp.CSS(".grid-form button[type=submit]")))
		b.waitFor("the key shown once", func() bool { return b.count(".key-once .key-out") == 1 })
		key := b.evalString(`document.querySelector(".key-once .key-out").textContent`)
		require.True(t, strings.HasPrefix(key, "sk-aigw-"), key)
		b.waitText(`tr[data-client="webtest"]`, "gpt-4o*", "100 RPM", "$5.00")
		uiNoSecretsInPage(t, b, key)
		b.shot("client-key")
		b.run("dismiss the key", chromedp.Click(chromedp.CSS(".key-once .actions button")))
		assert.NotContains(t, b.evalString(`document.documentElement.outerHTML`), key, "the key is gone from the page")

		// The key works with the official SDK, and its usage shows up.
		c := uiOpenAI(s, key)
		catEventually(t, 5*time.Second, "the new key is accepted", func() bool {
			_, err := uiChat(t, c, "gpt-4o", "from the new client")
			return err == nil
		})
		b.waitFor("the request counted in the client's usage", func() bool {
			b.run("reload", chromedp.Reload())
			time.Sleep(300 * time.Millisecond)
			return strings.Contains(b.text(`tr[data-client="webtest"]`), "1 请求")
		})

		// Disabled in the page, the key is refused.
		b.run("disable", chromedp.Click(chromedp.CSS(`tr[data-client="webtest"] button[data-action=disable]`)))
		b.waitText(`tr[data-client="webtest"]`, "已停用")
		catEventually(t, 5*time.Second, "the disabled key is refused", func() bool {
			_, err := uiChat(t, c, "gpt-4o", "after disable")
			var apiErr *openai.Error
			return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized
		})
		b.shot("clients")

		// Enable, rotate (confirmed in a dialog: a new key shown once), delete.
		b.run("enable", chromedp.Click(chromedp.CSS(`tr[data-client="webtest"] button[data-action=enable]`)))
		b.waitFor("the client enabled", func() bool { return b.count(`tr[data-client="webtest"] button[data-action=disable]`) == 1 })
		b.run("rotate", chromedp.Click(chromedp.CSS(`tr[data-client="webtest"] button[data-action=rotate]`)))
		b.waitText(".dialog", "轮换客户端 webtest 的密钥")
		b.run("confirm", chromedp.Click(chromedp.CSS(".dialog .btn.danger")))
		b.waitFor("the rotated key shown", func() bool { return b.count(".key-once .key-out") == 1 })
		rotated := b.evalString(`document.querySelector(".key-once .key-out").textContent`)
		require.NotEqual(t, key, rotated)
		b.run("delete", chromedp.Click(chromedp.CSS(`tr[data-client="webtest"] button[data-action=delete]`)))
		b.waitText(".dialog", "删除客户端 webtest")
		b.run("confirm", chromedp.Click(chromedp.CSS(".dialog .btn.danger")))
		b.waitFor("the client gone", func() bool { return b.count(`tr[data-client="webtest"]`) == 0 })
	}

	{ // language
		b.run("overview", chromedp.Navigate(s.URL+"/ui/#/overview"))
		b.waitText("#nav", "概览", "日志")
		b.run("switch to English", chromedp.Click(chromedp.CSS("#nav .lang-switch")))
		b.waitText("#nav", "Overview", "Logs", "Providers", "Clients", "Models", "Sign out")
		b.waitText("#view", "Top models", "Requests")
		b.run("reload", chromedp.Reload())
		b.waitText("#view", "Top models")
		var stored map[string]string
		require.NoError(t, json.Unmarshal(b.evalJSON(`Object.fromEntries(Object.entries(localStorage))`), &stored))
		assert.Equal(t, map[string]string{"aigw.lang": "en"}, stored, "only the language is remembered")
		b.shot("overview-en")
	}

	{ // sign out
		b.run("sign out", chromedp.Click(chromedp.CSS("#sign-out")))
		b.waitText("#view", "Sign in to aigw")
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("/admin/api/session").then(r => r.status)`, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		assert.Equal(t, http.StatusUnauthorized, status, "the session ended")
	}

	b.clean()
}

// uiNoSecretsInPage: the admin key (and any other secret given) is in
// neither the URL, the page, nor storage; the session cookie is HttpOnly.
func uiNoSecretsInPage(t *testing.T, b *browser, extra ...string) {
	t.Helper()
	var seen []string
	require.NoError(t, json.Unmarshal(b.evalJSON(`[location.href, document.cookie,
		JSON.stringify(Object.entries(localStorage)), JSON.stringify(Object.entries(sessionStorage)),
		document.getElementById("signin-key") ? document.getElementById("signin-key").value : ""]`), &seen))
	for _, s := range seen {
		assert.NotContains(t, s, catAdminKey)
		for _, e := range extra {
			assert.NotContains(t, s, e)
		}
	}
	assert.NotContains(t, seen[1], "aigw_session", "the session cookie is HttpOnly")
	assert.NotContains(t, b.evalString(`document.documentElement.outerHTML`), catAdminKey)
}
