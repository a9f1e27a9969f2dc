package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/gradebook"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

// Options configure a Server. The zero value serves the embedded course
// with the default lesson limits and as many runs at once as there are
// cores.
type Options struct {
	// Dir, if set, serves the lessons in that directory (an exported and
	// edited course: one subdirectory per lesson, each with a main.go),
	// read again on every request, so an edit shows on the next load.
	Dir string
	// Limits bound every lesson run.
	Limits worker.Limits
	// MaxRuns is the most lesson runs at once; zero means the number of
	// cores.
	MaxRuns int
	// MaxQueue is the most runs waiting for a slot: one more is refused
	// with "the server is busy" instead of waiting for minutes. Zero
	// means 64 plus two per class member.
	MaxQueue int
	// Token is the secret every request must carry; empty means a random
	// one (Jupyter's scheme: it is in the printed URL, then in a cookie).
	Token string
	// StreamTimeout is how long one live update may take to reach a
	// client before the client counts as gone, its run is cancelled and
	// its run slot freed; zero means 10 s.
	StreamTimeout time.Duration
	// FirstByte is how long a lesson page waits for its run before it
	// sends the page without outputs, which then fills in cell by cell as
	// the run streams: a slow lesson shows its prose and controls at once
	// instead of a blank tab. A run that finishes in time is sent whole,
	// so fast lessons need no script. Zero means 150 ms; negative means
	// always wait for the whole run.
	FirstByte time.Duration
	// CacheBytes bounds the memory of the finished runs the server
	// keeps, by lesson source, parameters, seed and student, to answer
	// the same request again without running it; zero means 256 MiB,
	// negative keeps none. Identical requests that arrive while a run is
	// under way share it whatever the setting.
	CacheBytes int64
	// Hosts are further names the server answers to (a classroom's
	// "rlhfsim.local"), besides its own addresses; any other Host is
	// refused, so that a page elsewhere cannot reach it through a name
	// it controls (DNS rebinding).
	Hosts []string
	// TLS says the server is reached over HTTPS (the caller serves the
	// listener with its certificate): origins are https, the cookie is
	// Secure, and the URLs say https.
	TLS bool
	// Class, if set, gives each student of a roster a link of their own
	// (Links): its token says who they are and fixes their variant of
	// the world; Token remains the instructor's.
	Class *Class
	// Book, if set with Class, keeps the class's work: each student's
	// answers are saved there as they give them, shown again in any
	// browser with their link, and summed up on the instructor's
	// dashboard (/class). The caller opens and closes it.
	Book *gradebook.Book
	// Site, if set with Class, is the folder of a site built with
	// rlhfsim site --release: the class's lessons then run in the
	// students' browsers, from its pages and runtime, and the server
	// only serves files and keeps the answers.
	Site string
}

// maxWaitingEach is the most runs one class member may have waiting for
// a slot: a student who opens lesson after lesson, or a script, cannot
// fill the queue the others share.
const maxWaitingEach = 3

// patience is how long a run may wait for a slot before it goes ahead of
// newer ones (see slots).
const patience = 10 * time.Second

// firstByte is the default Options.FirstByte: about the time after which
// a page load stops feeling instant. It was 300 ms; the class session
// (BenchmarkClassSession) then put the p95 of page loads at 308 ms, as
// most students' first run of a lesson takes longer: at 150 ms their
// pages come at once and fill in as the run streams.
const firstByte = 150 * time.Millisecond

// Limits on what a request may ask, checked before anything runs.
const (
	maxParams     = 64
	maxValueBytes = 256
	maxPages      = 256
	cookieName    = "rlhfsim_token"
)

// Server serves the live notebook. Its zero value is not usable: call New.
type Server struct {
	opt   Options
	token string
	runs  *slots // a slot per concurrent run
	addr  string // host:port of the listener, once it listens
	// hosts are the Host values the server answers to, once it listens;
	// urls the addresses to open, loopback first.
	hosts map[string]bool
	urls  []string
	// members are a class's students by their token's key (tokenKey).
	members map[[32]byte]*member
	// recorded is the run whose questions were last recorded in the
	// gradebook, by student and lesson (see recordAsked).
	recorded map[string]string
	// grading is the dashboard's grader run, if any.
	grading *gradeJob
	// siteLessons are the lessons of Options.Site's pages.
	siteLessons map[string]bool
	// visited is when each member's opening of each lesson was last
	// written (see visit).
	visited map[string]time.Time

	mu    sync.Mutex
	pages map[string]*pageRun // the run of each open page
	// active counts the runs in progress and peak the most at once, for
	// the tests and the log.
	active, peak int
	// users counts the students' runs under way or waiting for a slot
	// (not prewarming), and prewarming stops the prewarming run, if one
	// is under way; quiet is how long no student's run must be under way
	// before prewarming starts one (defaultQuiet; the tests shorten it).
	users      int
	prewarming context.CancelFunc
	quiet      time.Duration
	// started and prewarmed count the worker runs for students and for
	// prewarming.
	started, prewarmed int
	// linger is how long a run outlives a page sent without it
	// (defaultLinger; the tests shorten it).
	linger time.Duration

	// parsed keeps each lesson file's parse with the file's identity, so
	// that the index and pages polling every few seconds re-read only
	// what changed.
	parsedMu sync.Mutex
	parsed   map[string]parsedFile
	checks   map[[32]byte]notebook.ErrorList // by file and source: see checked

	cache *results
}

// New returns a server, or an error when Dir holds no lessons.
func New(o Options) (*Server, error) {
	if o.MaxRuns <= 0 {
		o.MaxRuns = runtime.NumCPU()
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = defaultCacheBytes
	}
	s := &Server{opt: o, token: o.Token, runs: newSlots(o.MaxRuns, patience), pages: map[string]*pageRun{}, cache: newResults(o.CacheBytes), linger: defaultLinger, quiet: defaultQuiet}
	if s.token == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		s.token = hex.EncodeToString(b)
	}
	if o.Class != nil {
		ms, err := o.Class.members()
		if err != nil {
			return nil, err
		}
		s.members = ms
	}
	s.runs.limit = o.MaxQueue
	if s.runs.limit <= 0 {
		s.runs.limit = 64 + 2*len(s.members)
	}
	s.runs.perWho = maxWaitingEach
	if o.Site != "" {
		if o.Class == nil {
			return nil, fmt.Errorf("a site is served to a class (--class); to serve a site alone, use rlhfsim site --serve")
		}
		ids, err := openSite(o.Site)
		if err != nil {
			return nil, err
		}
		s.siteLessons = ids
	}
	if o.Dir != "" {
		ls, _ := s.lessons()
		if len(ls) == 0 {
			return nil, fmt.Errorf("%s holds no lessons (want one directory per lesson, each with %s; see rlhfsim export)", o.Dir, notebook.LessonFile)
		}
	}
	return s, nil
}

// Stats counts a server's runs since it started.
type Stats struct {
	// Runs is how many lesson runs started in a worker for students,
	// and Prewarmed how many for prewarming. Served is how many
	// requests were answered by a finished run or joined one under way
	// (a slow page's stream joining the run its page started counts).
	Runs, Prewarmed, Served int
	// Peak is the most runs at once.
	Peak int
	// Cached is how many results the cache holds, in about CachedBytes.
	Cached      int
	CachedBytes int64
}

// Stats returns the server's counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	st := Stats{Runs: s.started, Prewarmed: s.prewarmed, Peak: s.peak}
	s.mu.Unlock()
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	st.Served, st.Cached, st.CachedBytes = s.cache.served, s.cache.order.Len(), s.cache.bytes
	return st
}

// Token returns the secret the URL carries.
func (s *Server) Token() string { return s.token }

// Listen listens on addr (127.0.0.1:0 when empty) and returns the
// listener and the URL to open, with the token. URLs lists every address
// the server answers to.
func (s *Server) Listen(addr string) (net.Listener, string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	s.addr = ln.Addr().String()
	s.hosts, s.urls = hostsOf(s.addr, s.opt.Hosts, s.scheme())
	for i := range s.urls {
		s.urls[i] += "?token=" + s.token
	}
	return ln, s.urls[0], nil
}

// URLs returns the addresses to open, each with the token: loopback
// first, then the machine's own addresses when the server listens on all
// of them, then the names of Options.Hosts.
func (s *Server) URLs() []string { return append([]string(nil), s.urls...) }

func (s *Server) scheme() string {
	if s.opt.TLS {
		return "https"
	}
	return "http"
}

// hostsOf returns the Host values a server listening on addr answers to,
// and its URLs: its own address; loopback names on its port; on an
// unspecified address (0.0.0.0, ::) every address of the machine's
// interfaces; and the extra names, with the port (alone too on the
// scheme's default port, as browsers then send them).
func hostsOf(addr string, extra []string, scheme string) (map[string]bool, []string) {
	hosts := map[string]bool{}
	var urls []string
	h, port, err := net.SplitHostPort(addr)
	if err != nil {
		return map[string]bool{addr: true}, []string{scheme + "://" + addr + "/"}
	}
	defer func() { hosts[addr] = true }()
	add := func(name string, url bool) {
		hp := net.JoinHostPort(name, port)
		if !hosts[hp] && url {
			urls = append(urls, scheme+"://"+hp+"/")
		}
		hosts[hp] = true
		if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
			hosts[strings.TrimSuffix(hp, ":"+port)] = true // "[::1]", not "::1"
		}
	}
	ip := net.ParseIP(h)
	all := ip != nil && ip.IsUnspecified()
	if all || (ip != nil && ip.IsLoopback()) || h == "localhost" {
		add("127.0.0.1", true)
		add("localhost", false)
		add("::1", false)
	}
	if !all {
		add(h, true)
	} else if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				add(n.IP.String(), true)
			}
		}
	}
	for _, name := range extra {
		add(name, true)
	}
	return hosts, urls
}

// Loopback reports whether addr is a loopback address, so the command can
// warn when another interface is asked for.
func Loopback(addr string) bool {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Handler returns the server's routes behind its guard.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /lesson/{id}", s.lesson)
	mux.HandleFunc("GET /api/run/{id}", s.run)
	mux.HandleFunc("GET /api/version/{id}", s.version)
	mux.HandleFunc("GET /api/check/{id}", s.check)
	mux.HandleFunc("GET /api/answers/{id}", s.savedAnswers)
	mux.HandleFunc("POST /api/answer/{id}", s.saveAnswer)
	mux.HandleFunc("POST /api/hand-in", s.handIn)
	mux.HandleFunc("GET /site/{file...}", s.siteFile)
	mux.HandleFunc("GET /class", s.dashboard)
	mux.HandleFunc("GET /class/board", s.board)
	mux.HandleFunc("GET /class/{table}", s.export)
	mux.HandleFunc("POST /class/grade", s.startGrading)
	return s.guard(mux)
}
