package serve

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
)

// deny answers a refused request with a one-line reason.
func deny(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintf(w, format+"\n", args...)
}

// hostOK accepts the Host values the server answers to (hostsOf): its own
// addresses and names, so that a page of another site cannot reach the
// server through a name it controls (DNS rebinding).
func (s *Server) hostOK(host string) bool { return s.hosts[host] }

// guard checks Host, Origin and the token on every request, and sets the
// headers every answer carries.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostOK(r.Host) {
			deny(w, http.StatusForbidden, "forbidden: the Host %q is not this server's; open the URL rlhfsim serve printed", r.Host)
			return
		}
		if o := r.Header.Get("Origin"); o != "" && o != s.scheme()+"://"+r.Host {
			deny(w, http.StatusForbidden, "forbidden: requests from %q are not accepted", o)
			return
		}
		// Browsers send loopback cookies to every port, so a page served on
		// another local port is "same-site" and could start runs with an
		// <img>: only this server's own pages, or the user typing the URL,
		// may ask for anything.
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			deny(w, http.StatusForbidden, "forbidden: a %s request; open the URL rlhfsim serve printed", site)
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead:
		case http.MethodPost:
			// Only this server's pages post, with fetch and JSON: a form
			// on another site can send neither the Origin nor the type.
			if r.Header.Get("Origin") == "" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				deny(w, http.StatusForbidden, "forbidden: a post must come from this server's pages")
				return
			}
		default:
			deny(w, http.StatusMethodNotAllowed, "only GET and the pages' own POSTs are served")
			return
		}
		if t := r.URL.Query().Get("token"); t != "" {
			m, ok := s.who(t)
			if !ok {
				deny(w, http.StatusForbidden, "forbidden: wrong token; open the URL rlhfsim serve printed")
				return
			}
			q := r.URL.Query()
			q.Del("token")
			// A browser signed in as one student does not become another
			// by following a link someone sent: it asks first.
			if c, err := r.Cookie(cookieName); err == nil && c.Value != t && r.URL.Query().Get("switch") != "1" {
				if old, ok := s.who(c.Value); ok && (old != nil || m != nil) {
					switchPage(w, r, nameOf(old), nameOf(m))
					return
				}
			}
			q.Del("switch")
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: t, Path: "/", HttpOnly: true, Secure: s.opt.TLS, SameSite: http.SameSiteStrictMode})
			// Only a path on this server: "//evil.example/x" is another site.
			to := "/" + strings.TrimLeft(r.URL.Path, "/")
			if len(q) > 0 {
				to += "?" + q.Encode()
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		c, err := r.Cookie(cookieName)
		var m *member
		ok := err == nil
		if ok {
			m, ok = s.who(c.Value)
		}
		if !ok {
			deny(w, http.StatusForbidden, "forbidden: no token; open the URL rlhfsim serve printed (it carries one)")
			return
		}
		r = asMember(r, m)
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func nameOf(m *member) string {
	if m == nil {
		return "the instructor"
	}
	return m.name
}

// switchPage asks a browser signed in as one person whether to sign in as
// another.
func switchPage(w http.ResponseWriter, r *http.Request, was, now string) {
	q := r.URL.Query()
	q.Set("switch", "1")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusConflict)
	switchTmpl.Execute(w, map[string]string{"Was": was, "Now": now, "URL": "/" + strings.TrimLeft(r.URL.Path, "/") + "?" + q.Encode()})
}

var switchTmpl = template.Must(template.New("switch").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signed in as {{.Was}} · rlhfsim</title>
<style>body{font-family:Arial,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style></head>
<body><h1>This browser is signed in as {{.Was}}</h1>
<p>The link you opened is {{.Now}}'s. Work done from now on is saved as the person signed in.</p>
<p><a href="{{.URL}}">Sign in as {{.Now}} instead</a>, or <a href="/">go on as {{.Was}}</a>.</p>
</body></html>`))
