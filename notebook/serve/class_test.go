package serve

import (
	"net/http"
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
	c := signIn(t, links[0].URL)
	// Ada asks for Alan's world: she gets her own.
	q := url.Values{"student": {"Alan Turing"}, "variant": {alan}}
	code, page := get(t, c, base+"/lesson/00-notebook-tour?"+q.Encode(), nil)
	if code != 200 || !strings.Contains(page, `data-student="Ada Lovelace" data-variant="`+ada+`"`) || !strings.Contains(page, `readonly`) {
		t.Errorf("Ada asking for Alan's world: %d, %q", code, head(page))
	}
	if strings.Contains(page, alan) {
		t.Error("Ada's page holds Alan's variant code")
	}
	// Nor through the stream of a run, or the check of its values: a
	// page of another student's is refused (a page left open in a
	// browser another student has signed into since), and her own
	// name with another's code runs her own world.
	code, stream := get(t, c, base+"/api/run/00-notebook-tour?"+q.Encode()+"&page=p1", nil)
	if code != 409 || strings.Contains(stream, alan) {
		t.Errorf("Ada's run asking for Alan's world: %d, Alan's code in it: %v", code, strings.Contains(stream, alan))
	}
	hers := url.Values{"student": {"Ada Lovelace"}, "variant": {alan}}
	code, stream = get(t, c, base+"/api/run/00-notebook-tour?"+hers.Encode()+"&page=p1", nil)
	if code != 200 || !strings.Contains(stream, "event: done") || !strings.Contains(stream, ada) || strings.Contains(stream, alan) {
		t.Errorf("Ada's run asking for Alan's variant: %d, Alan's code in it: %v", code, strings.Contains(stream, alan))
	}
	bad := url.Values{"student": {"Alan Turing"}, "variant": {"0123456789abcdef"}}
	if code, body := get(t, c, base+"/api/check/00-notebook-tour?"+bad.Encode(), nil); code != 200 || !strings.Contains(body, "signed in as Ada Lovelace") {
		t.Errorf("Ada's check with another's name: %d %s", code, body)
	}
	bad.Set("student", "Ada Lovelace")
	if code, body := get(t, c, base+"/api/check/00-notebook-tour?"+bad.Encode(), nil); code != 200 || strings.Contains(body, "error") {
		t.Errorf("Ada's check with a wrong code: %d %s (her own is used)", code, body)
	}
	// The instructor picks any name and code; Ada's exact page, asked for
	// by the instructor, is not Ada's read-only page from the cache.
	mine := url.Values{"student": {"Ada Lovelace"}, "variant": {ada}}
	if code, page := get(t, client(t, base, s.Token()), base+"/lesson/00-notebook-tour?"+mine.Encode(), nil); code != 200 || strings.Contains(page, "readonly") {
		t.Errorf("the instructor's view of Ada's world: %d, read-only %v", code, strings.Contains(page, "readonly"))
	}
	inst := client(t, base, s.Token())
	code, page = get(t, inst, base+"/lesson/00-notebook-tour?"+q.Encode(), nil)
	if code != 200 || !strings.Contains(page, `data-student="Alan Turing" data-variant="`+alan+`"`) {
		t.Errorf("the instructor asking for Alan's world: %d, %q", code, head(page))
	}
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if code, _ := get(t, plain, base+"/?token="+strings.Repeat("0", 48), nil); code != 403 {
		t.Errorf("a token that is no one's: %d", code)
	}
	// A link cannot send the browser to another site, and a browser
	// signed in as Ada asks before it becomes Alan.
	alanTok := strings.SplitN(links[1].URL, "token=", 2)[1]
	adaTok := strings.SplitN(links[0].URL, "token=", 2)[1]
	req, _ := http.NewRequest("GET", base+"//evil.example/x?token="+adaTok, nil)
	resp, err := plain.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
		t.Errorf("a link to //evil.example: %d to %q", resp.StatusCode, loc)
	}
	code, body := get(t, plain, base+"/?token="+alanTok, map[string]string{"Cookie": cookieName + "=" + adaTok})
	if code != 409 || !strings.Contains(body, "signed in as Ada Lovelace") || !strings.Contains(body, "switch=1") {
		t.Errorf("Alan's link in Ada's browser: %d %q", code, head(body))
	}
	if code, _ := get(t, plain, base+"/?token="+alanTok+"&switch=1", map[string]string{"Cookie": cookieName + "=" + adaTok}); code != 303 {
		t.Errorf("switching to Alan when asked: %d", code)
	}
	again, err := New(Options{FirstByte: -1, Class: class})
	if err != nil {
		t.Fatal(err)
	}
	if l := again.Links(base); l[0] != links[0] || l[1] != links[1] {
		t.Errorf("after a restart the links are %v, were %v", l, links)
	}
	// Ada's link leaked: the next epoch gives her a new one, and the old
	// one opens nothing; Alan's is as it was.
	revoked, err := New(Options{FirstByte: -1, Class: &Class{Secret: secret, Students: class.Students, Epochs: map[string]int{world.NormalName("Ada Lovelace"): 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if l := revoked.Links(base); l[0] == links[0] || l[1] != links[1] {
		t.Errorf("after revoking Ada's link: %v, were %v", l, links)
	}
	if _, ok := revoked.who(adaTok); ok {
		t.Error("Ada's revoked link still signs in")
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

// TestReadRoster reads names from text and CSV, as spreadsheets and
// editors write them.
func TestReadRoster(t *testing.T) {
	for _, c := range []struct {
		in   string
		csv  bool
		want string
	}{
		{"Ada Lovelace\nAlan Turing\n", false, "Ada Lovelace|Alan Turing"},
		{"Smith, John\r\nO\"Brien\r\n", false, "Smith, John|O\"Brien"},
		{"\ufeff# my class\n\nAda\n  Alan  \n", false, "Ada|Alan"},
		{"name,email\nAda,ada@example.org\n\"Turing, Alan\",alan@example.org\n", true, "Ada|Turing, Alan"},
		{"\ufeffname\r\nAda\r\nO\"Brien\r\n", true, "Ada|O\"Brien"},
	} {
		got, err := ReadRoster(strings.NewReader(c.in), c.csv)
		if err != nil || strings.Join(got, "|") != c.want {
			t.Errorf("%q: %q, %v", c.in, got, err)
		}
	}
	if _, err := ReadRoster(strings.NewReader(strings.Repeat("Alexandra\n", maxRoster/10+1)), false); err == nil {
		t.Error("a roster over 1 MiB was read, cut")
	}
}
