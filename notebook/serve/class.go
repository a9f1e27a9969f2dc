package serve

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Class is a roster served by one live notebook: each student gets a link
// of their own, whose token says who they are, and runs in the variant of
// the hidden world the course secret gives their name.
type Class struct {
	// Secret is the course secret (rlhfsim secret).
	Secret []byte
	// Students are the roster's names.
	Students []string
	// Epochs move on a student's link when it is revoked (a link that
	// leaked), by world.NormalName of their name: the link of epoch 0 is
	// the first, and each epoch gives a new one that the older ones no
	// longer open.
	Epochs map[string]int
}

// member is one student of a class, as the server knows them.
type member struct {
	name, code, token string
}

// members makes the class's members. A student's token is an HMAC of the
// name under the course secret: the same on every start, so links
// survive a restart with nothing stored, and unguessable without the
// secret. Two names that are one name (case, spaces, Unicode forms) are
// refused.
func (c *Class) members() (map[[32]byte]*member, error) {
	if len(c.Secret) == 0 {
		return nil, errors.New("a class needs the course secret")
	}
	out := map[[32]byte]*member{}
	seen := map[string]string{}
	for _, name := range c.Students {
		code, err := world.Code(c.Secret, name)
		if err != nil {
			return nil, fmt.Errorf("roster: %q: %w", name, err)
		}
		n := world.NormalName(name)
		if first, ok := seen[n]; ok {
			return nil, fmt.Errorf("roster: %q and %q are one name: give each student a name of their own", first, name)
		}
		seen[n] = name
		m := hmac.New(sha256.New, c.Secret)
		label := "rlhfsim/link/" + n
		if e := c.Epochs[n]; e > 0 {
			label += "#" + strconv.Itoa(e)
		}
		m.Write([]byte(label))
		tok := hex.EncodeToString(m.Sum(nil)[:24])
		out[tokenKey(tok)] = &member{name: strings.TrimSpace(name), code: code, token: tok}
	}
	if len(out) == 0 {
		return nil, errors.New("roster: no names")
	}
	return out, nil
}

// maxRoster is the largest roster read: thousands of names.
const maxRoster = 1 << 20

// ReadRoster reads a roster: a CSV file (csv true) whose first column
// holds the names, a header "name" skipped, or else one name a line,
// commas and quotes kept ("Smith, John" is one name). Blank lines, lines
// starting with #, a byte-order mark and Windows line ends are skipped;
// a roster over 1 MiB is refused rather than cut.
func ReadRoster(r io.Reader, csvFile bool) ([]string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxRoster+1))
	if err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	if len(b) > maxRoster {
		return nil, fmt.Errorf("roster: over %d bytes; is it the right file?", maxRoster)
	}
	text := strings.TrimPrefix(string(b), "\ufeff")
	var names []string
	if !csvFile {
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				names = append(names, line)
			}
		}
		return names, nil
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.LazyQuotes = true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("roster: %w", err)
		}
		if len(rec) == 0 || strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(names) == 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "name") {
			continue
		}
		names = append(names, strings.TrimSpace(rec[0]))
	}
	return names, nil
}

// Link is one student's personal link.
type Link struct {
	Name, URL string
}

// Links returns each student's link under base (one of URLs, or any
// address the server answers to, without its token), in roster order.
func (s *Server) Links(base string) []Link {
	u, err := url.Parse(base)
	if err != nil {
		return nil
	}
	u.RawQuery = ""
	u.Path = "/"
	var out []Link
	for _, name := range s.opt.Class.Students {
		for _, m := range s.members {
			if m.name == strings.TrimSpace(name) {
				v := *u
				v.RawQuery = "token=" + m.token
				out = append(out, Link{Name: m.name, URL: v.String()})
			}
		}
	}
	return out
}

type memberKey struct{}

// who returns the class member a token belongs to; ok is false for a
// token that is neither theirs nor the instructor's.
func (s *Server) who(token string) (m *member, ok bool) {
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) == 1 {
		return nil, true
	}
	m, ok = s.members[tokenKey(token)]
	return m, ok
}

// tokenKey is what members are found by: the token's SHA-256, so that
// the time a lookup takes tells nothing about how much of a guessed
// token is right.
func tokenKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// asMember puts the request's member, if any, in its context.
func asMember(r *http.Request, m *member) *http.Request {
	if m == nil {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), memberKey{}, m))
}

// fixed returns the query with a class member's own name and variant in
// place of any the request gave: a student's world comes from their
// link, never from a field they can edit.
func fixed(r *http.Request, q url.Values) url.Values {
	m, _ := r.Context().Value(memberKey{}).(*member)
	if m == nil {
		return q
	}
	q = url.Values(cloneValues(q))
	q.Set("student", m.name)
	q.Set("variant", m.code)
	return q
}

// isMember reports whether the request comes from a class member's link.
func isMember(r *http.Request) bool {
	m, _ := r.Context().Value(memberKey{}).(*member)
	return m != nil
}

func cloneValues(q url.Values) map[string][]string {
	out := make(map[string][]string, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
