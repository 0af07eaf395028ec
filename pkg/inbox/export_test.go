package inbox

import "time"

// QueuedTexts is how many inbound texts wait for a group commit.
func (s *Service) QueuedTexts() int {
	s.inbound.mu.Lock()
	defer s.inbound.mu.Unlock()
	return len(s.inbound.queue)
}

// MaxInflight is how many batches of inbound texts are stored at once.
func (s *Service) MaxInflight() int { return s.inbound.limit }

// SetBatchTimeout bounds each batch of inbound texts to d instead of 5 s.
func (s *Service) SetBatchTimeout(d time.Duration) { s.inbound.timeout = d }

// SetNow makes the FaultLog read the time from now.
func (f *FaultLog) SetNow(now func() time.Time) { f.now = now }

// HoldNote is holdNote, for the quiet-hours tests.
var HoldNote = holdNote

// ForgetDatabaseDown forgets that a store was found out of reach, so that a
// test may count on the session cache.
func ForgetDatabaseDown() { databaseDownAt.Store(0) }
