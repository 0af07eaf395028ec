package inbox

import "context"

// PhoneDirectory lists, across every company, the numbers and the contacts a
// simulated candidate phone can text from and to. It exists for the dev-mode
// Plivo simulator (/dev/phone) only, which never runs beside real Plivo.
func (s *Service) PhoneDirectory(ctx context.Context) ([]Number, []Contact, error) {
	numbers, err := s.store.AllNumbers(ctx)
	if err != nil {
		return nil, nil, err
	}
	contacts := []Contact{}
	seen := map[int64]bool{}
	for _, n := range numbers {
		if seen[n.CompanyID] {
			continue
		}
		seen[n.CompanyID] = true
		cs, err := s.store.Contacts(ctx, n.CompanyID, ContactFilter{Limit: 200})
		if err != nil {
			return nil, nil, err
		}
		contacts = append(contacts, cs...)
	}
	return numbers, contacts, nil
}
