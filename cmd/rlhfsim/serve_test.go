package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// TestWarnsOfAddressesTheCertificateDoesNotName: a certificate for
// rlhfsim.local, served on all addresses, covers the name and not the
// machine's IP address, and the command says so.
func TestWarnsOfAddressesTheCertificateDoesNotName(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rlhfsim test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"rlhfsim.local"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	var errs bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetErr(&errs)
	warnUncovered(cmd, tls.Certificate{Certificate: [][]byte{der}}, []string{"https://192.168.1.20:8443/?token=x", "https://rlhfsim.local:8443/?token=x"})
	got := errs.String()
	if !strings.Contains(got, "does not name 192.168.1.20") || strings.Contains(got, "name 192.168.1.20, rlhfsim.local") {
		t.Errorf("the warning: %q", got)
	}
	errs.Reset()
	warnUncovered(cmd, tls.Certificate{Certificate: [][]byte{der}}, []string{"https://rlhfsim.local:8443/?token=x"})
	if errs.Len() != 0 {
		t.Errorf("a warning for a covered name: %q", errs.String())
	}
}

// TestKillTheClassServer kills a class's server (SIGKILL: no chance to
// close anything) while a student's answers are arriving, starts it
// again on the same gradebook, and finds every answer the server had
// acknowledged; the student's link works across the restart.
func TestKillTheClassServer(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("kills with SIGKILL")
	}
	dir := t.TempDir()
	roster, secret := filepath.Join(dir, "roster.txt"), filepath.Join(dir, "course.secret")
	os.WriteFile(roster, []byte("Ada Lovelace\nAlan Turing\n"), 0o644)
	os.WriteFile(secret, []byte(strings.Repeat("5e", 32)+"\n"), 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	links, db := filepath.Join(dir, "links.csv"), filepath.Join(dir, "class.db")
	serve := func() *exec.Cmd {
		os.Remove(links)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "RLHFSIM_TEST_COMMAND="+strings.Join([]string{"serve", "--class", roster, "--secret", secret, "--db", db, "--links", links, "--addr", addr, "--prewarm=false"}, "\x1f"))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if b, err := os.ReadFile(links); err == nil && strings.Contains(string(b), "(instructor)") {
				if c, err := net.Dial("tcp", addr); err == nil {
					c.Close()
					return cmd
				}
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("the server did not start in 30 s")
			}
		}
	}
	adaLink := func() string {
		b, _ := os.ReadFile(links)
		for _, line := range strings.Split(string(b), "\n") {
			if name, link, ok := strings.Cut(line, ","); ok && name == "Ada Lovelace" {
				return link
			}
		}
		t.Fatalf("no link of Ada's in\n%s", b)
		return ""
	}
	signIn := func(link string) *http.Client {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		resp, err := c.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return c
	}
	base := "http://" + addr
	server := serve()
	first := adaLink()
	ada := signIn(first)
	acked := make(chan string, 1000)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 400; i += 4 {
				key := fmt.Sprintf("k%03d", i)
				req, _ := http.NewRequest("POST", base+"/api/answer/00-notebook-tour", strings.NewReader(`{"student":"Ada Lovelace","key":"`+key+`","kind":"quiz","question":"q","choice":"c"}`))
				req.Header.Set("Origin", base)
				req.Header.Set("Content-Type", "application/json")
				resp, err := ada.Do(req)
				if err != nil {
					return // killed
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					acked <- key
				}
			}
		}()
	}
	for range 50 {
		<-acked
	}
	server.Process.Signal(syscall.SIGKILL)
	server.Wait()
	wg.Wait()
	close(acked)
	n := 50
	for range acked {
		n++
	}
	server = serve()
	defer func() { server.Process.Signal(os.Interrupt); server.Wait() }()
	if adaLink() != first {
		t.Errorf("Ada's link changed with the restart")
	}
	resp, err := signIn(first).Get(base + "/api/answers/00-notebook-tour")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var saved map[string]any
	json.NewDecoder(resp.Body).Decode(&saved)
	t.Logf("%d answers acknowledged before and while the server was killed; %d saved after the restart", n, len(saved))
	if len(saved) < n {
		t.Errorf("after the kill and a restart %d answers are saved; the server had acknowledged %d", len(saved), n)
	}
}
