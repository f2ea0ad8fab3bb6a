package gateway

// maxJSONDepth bounds nesting in request bodies. gjson and sjson recurse
// per level, so a body of a few million '[' would overflow the goroutine
// stack, a fatal error no recover() can catch. Real requests (tool schemas
// included) stay far below this.
const maxJSONDepth = 256

// jsonDepthOK reports whether b nests arrays and objects at most max deep.
// One pass over the bytes, skipping string contents.
func jsonDepthOK(b []byte, max int) bool {
	depth := 0
	inString := false
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if inString {
			switch ch {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch ch {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > max {
				return false
			}
		case ']', '}':
			depth--
		}
	}
	return true
}
