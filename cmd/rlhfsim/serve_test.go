package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
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
