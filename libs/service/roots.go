package service

// A CA bundle linked into both services (each main runs service.Main): their
// images are FROM scratch, with no system certificates, so TLS to a public
// endpoint (a managed Kafka) could not verify. The bundle is used only when
// the system has no roots (x509.SetFallbackRoots); a KAFKA_TLS_CA_FILE or the
// system's certificates take precedence.
import _ "golang.org/x/crypto/x509roots/fallback"
