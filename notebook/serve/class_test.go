package serve

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/world"
)

// TestClassLinks serves a roster: each student's link signs them in as
// themselves, their variant comes from the link and the secret whatever
// the page asks for, the instructor's token still picks any name, a token
// that is no one's is refused, and the links are the same after a
// restart.
func TestClassLinks(t *testing.T) {
	secret := []byte("a course secret of some length")
	class := &Class{Secret: secret, Students: []string{"Ada Lovelace", "Alan Turing"}}
	s, err := New(Options{FirstByte: -1, Class: class})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	links := s.Links(base)
	if len(links) != 2 || links[0].Name != "Ada Lovelace" || links[1].Name != "Alan Turing" {
		t.Fatalf("links %v", links)
	}
	ada, _ := world.Code(secret, "Ada Lovelace")
	alan, _ := world.Code(secret, "Alan Turing")
	signIn := func(link string) *http.Client {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, err := c.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", link, resp.StatusCode)
		}
		return c
	}
	c := signIn(links[0].URL)
	// Ada asks for Alan's world: she gets her own.
	q := url.Values{"student": {"Alan Turing"}, "variant": {alan}}
	code, page := get(t, c, base+"/lesson/00-notebook-tour?"+q.Encode(), nil)
	if code != 200 || !strings.Contains(page, `data-student="Ada Lovelace" data-variant="`+ada+`"`) || !strings.Contains(page, `readonly`) {
		t.Errorf("Ada asking for Alan's world: %d, %q", code, head(page))
	}
	if strings.Contains(page, alan) {
		t.Error("Ada's page holds Alan's variant code")
	}
	// The instructor picks any name and code.
	inst := client(t, base, s.Token())
	code, page = get(t, inst, base+"/lesson/00-notebook-tour?"+q.Encode(), nil)
	if code != 200 || !strings.Contains(page, `data-student="Alan Turing" data-variant="`+alan+`"`) {
		t.Errorf("the instructor asking for Alan's world: %d, %q", code, head(page))
	}
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if code, _ := get(t, plain, base+"/?token="+strings.Repeat("0", 48), nil); code != 403 {
		t.Errorf("a token that is no one's: %d", code)
	}
	again, err := New(Options{FirstByte: -1, Class: class})
	if err != nil {
		t.Fatal(err)
	}
	if l := again.Links(base); l[0] != links[0] || l[1] != links[1] {
		t.Errorf("after a restart the links are %v, were %v", l, links)
	}
	if _, err := New(Options{Class: &Class{Secret: secret, Students: []string{"Ada", " ada"}}}); err == nil {
		t.Error("a roster with one name twice was accepted")
	}
}

func head(s string) string {
	if i := strings.Index(s, "<body"); i >= 0 {
		s = s[i:]
	}
	return s[:min(len(s), 300)]
}

// TestReadRoster reads names from text and CSV.
func TestReadRoster(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Ada Lovelace\nAlan Turing\n", "Ada Lovelace|Alan Turing"},
		{"name,email\nAda,ada@example.org\n\"Turing, Alan\",alan@example.org\n", "Ada|Turing, Alan"},
		{"# my class\n\nAda\n  Alan  \n", "Ada|Alan"},
	} {
		got, err := ReadRoster(strings.NewReader(c.in))
		if err != nil || strings.Join(got, "|") != c.want {
			t.Errorf("%q: %q, %v", c.in, got, err)
		}
	}
}
