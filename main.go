// Command aigw is an AI API gateway: one OpenAI- and Anthropic-compatible
// endpoint in front of many upstream providers.
package main

import (
	"os"

	"github.com/aigw/aigw/cmd"
)

func main() {
	os.Exit(cmd.Execute())
}
