// Command rootcheck verifies the certificate in the PEM file named by its
// argument against the system's roots: the negative control of
// TestFallbackRootsVerifyWithoutSystemCertificates (it is built without the
// CA bundle that package service links in).
package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

func main() {
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		fmt.Println("no PEM block")
		os.Exit(2)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	if _, err := cert.Verify(x509.VerifyOptions{}); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("OK")
}
