package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServesALAN listens on every address with a room's name: the
// machine's own addresses and the name are answered, any other Host is
// refused (DNS rebinding), and a URL is printed for each.
func TestServesALAN(t *testing.T) {
	s, err := New(Options{FirstByte: -1, Hosts: []string{"rlhfsim.local"}})
	if err != nil {
		t.Fatal(err)
	}
	ln, first, err := s.Listen("0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s.Handler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	base := "http://127.0.0.1:" + port
	if first != base+"/?token="+s.Token() {
		t.Errorf("the first URL is %q", first)
	}
	urls := strings.Join(s.URLs(), " ")
	if !strings.Contains(urls, "http://rlhfsim.local:"+port+"/?token=") {
		t.Errorf("no URL for the room's name: %s", urls)
	}
	hosts := map[string]int{
		"rlhfsim.local:" + port:      303,
		"127.0.0.1:" + port:          303,
		"evil.example:" + port:       403,
		"rlhfsim.local":              403, // not the default port
		"rlhfsim.local:1":            403,
		"rlhfsim.local.evil:" + port: 403,
	}
	// The machine's own addresses, as students on the LAN type them.
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				hp := net.JoinHostPort(n.IP.String(), port)
				hosts[hp] = 303
				if !strings.Contains(urls, "http://"+hp+"/") {
					t.Errorf("no URL for the machine's address %s: %s", hp, urls)
				}
			}
		}
	}
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for host, want := range hosts {
		if code, body := get(t, plain, base+"/?token="+s.Token(), map[string]string{"Host": host}); code != want {
			t.Errorf("Host %s: %d %q, want %d", host, code, body, want)
		}
	}
	// The Origin must be the Host the browser used.
	cookie := cookieName + "=" + s.Token()
	if code, _ := get(t, plain, base+"/", map[string]string{"Host": "rlhfsim.local:" + port, "Origin": "http://rlhfsim.local:" + port, "Cookie": cookie}); code != 200 {
		t.Errorf("own origin under the room's name: %d", code)
	}
	if code, _ := get(t, plain, base+"/", map[string]string{"Host": "rlhfsim.local:" + port, "Origin": "http://127.0.0.1:" + port, "Cookie": cookie}); code != 403 {
		t.Errorf("another origin: %d", code)
	}
}

// TestServesHTTPS serves over TLS with a certificate made here: the
// cookie is Secure, and the https origin is the server's own while the
// http one is not.
func TestServesHTTPS(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rlhfsim test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{FirstByte: -1, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, first, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first, "https://127.0.0.1:") {
		t.Errorf("the URL %q is not https", first)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv := &http.Server{Handler: s.Handler()}
	go srv.Serve(tls.NewListener(ln, cfg))
	t.Cleanup(func() { srv.Close() })
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := strings.TrimSuffix(first, "/?token="+s.Token())
	resp, err := cl.Get(first)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 || len(resp.Cookies()) != 1 || !resp.Cookies()[0].Secure {
		t.Errorf("the token over HTTPS: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	cookie := cookieName + "=" + s.Token()
	if code, _ := get(t, cl, base+"/", map[string]string{"Origin": base, "Cookie": cookie}); code != 200 {
		t.Errorf("own https origin: %d", code)
	}
	if code, _ := get(t, cl, base+"/", map[string]string{"Origin": strings.Replace(base, "https", "http", 1), "Cookie": cookie}); code != 403 {
		t.Errorf("the http origin of the same host: %d", code)
	}
}
