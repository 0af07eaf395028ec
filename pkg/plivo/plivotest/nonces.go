package plivotest

import (
	"context"
	"sync"
)

// Nonces is an in-memory nonce ledger for the V2 checks of tests, as the
// store keeps it: the first digest of each nonce stands. A server keeps its
// ledger in the store, shared by every instance.
type Nonces struct {
	mu     sync.Mutex
	digest map[string]string
	// Err, when set, is what every claim fails with.
	Err error
}

// ClaimNonce records digest for a new nonce and reports whether nonce
// stands for digest.
func (n *Nonces) ClaimNonce(_ context.Context, nonce, digest string) (bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.Err != nil {
		return false, n.Err
	}
	if n.digest == nil {
		n.digest = map[string]string{}
	}
	if d, ok := n.digest[nonce]; ok {
		return d == digest, nil
	}
	n.digest[nonce] = digest
	return true, nil
}
