package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/seminarhub/seminarhub/platform/input"
)

// MaxBodyBytes is the contract's request body limit (1 MiB).
const MaxBodyBytes = 1 << 20

// ReadRaw reads the request body under the size limit. On failure it has
// already answered (413) and returns false.
func ReadRaw(c *gin.Context) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			Abort(c, http.StatusRequestEntityTooLarge, "request body is larger than 1 MiB")
			return nil, false
		}
		Abort(c, http.StatusBadRequest, "request body could not be read")
		return nil, false
	}
	return body, true
}

// ReadObject reads the body as a JSON object; absent or empty counts as {}.
// On failure it has already answered (400 or 413) and returns false.
func ReadObject(c *gin.Context) (input.Object, bool) {
	raw, ok := ReadRaw(c)
	if !ok {
		return nil, false
	}
	obj, err := input.ParseObject(raw)
	if err != nil {
		Abort(c, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return obj, true
}

// DecodeJSON decodes the body (under the size limit) into v. It is for the
// internal API's typed requests. Unlike gin's binding it takes no validator:
// validator calls methods by name through reflection, which makes the
// linker keep every exported method of every type — about 14 MB of binary.
func DecodeJSON(c *gin.Context, v any) error {
	return json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)).Decode(v)
}
