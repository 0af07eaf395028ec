package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// The company every scenario creates: an admin made with `inboxd admin
// create`, then everything else through the API, as an ATS would.
const (
	benchCompany  = "Bench"
	adminEmail    = "admin@bench.test"
	benchPassword = "bench-password"
)

// shape is how a scenario spreads its sockets: numbers, each with
// usersPerNumber assignees of its own, each with tabsPerUser sockets; and
// contactsPerNumber candidates who text each number.
type shape struct {
	numbers           int
	usersPerNumber    int
	tabsPerUser       int
	contactsPerNumber int
}

func (s shape) conns() int { return s.numbers * s.usersPerNumber * s.tabsPerUser }

// placement says which instance tab k of the u-th assignee of the n-th
// number connects to.
type placement func(n, u, k int) int

// byTab puts tab k of each user on instance k mod instances: with two
// instances and two tabs, every user has a tab on each (S4).
func byTab(instances int) placement {
	return func(_, _, k int) int { return k % instances }
}

// byShare puts every tab of a number on one instance, instance i (from 0)
// getting a share of the numbers proportional to i+1: with four instances
// 10, 20, 30 and 40 % of them.
func byShare(numbers, instances int) placement {
	owner := make([]int, numbers)
	total := instances * (instances + 1) / 2
	for n := range owner {
		// The first instance whose cumulative share covers number n.
		cum := 0
		for i := range instances {
			cum += i + 1
			if n*total < numbers*cum {
				owner[n] = i
				break
			}
		}
	}
	return func(n, _, _ int) int { return owner[n] }
}

// perInstance counts the tabs place puts on each of instances.
func (s shape) perInstance(instances int, place placement) []int {
	held := make([]int, instances)
	for n := range s.numbers {
		for u := range s.usersPerNumber {
			for k := range s.tabsPerUser {
				held[place(n, u, k)]++
			}
		}
	}
	return held
}

// inboxShape is S2's: 10 sockets per number, 5 assignees × 2 tabs.
func inboxShape(conns int) shape {
	return shape{numbers: max(conns/10, 1), usersPerNumber: 5, tabsPerUser: 2, contactsPerNumber: 3}
}

// broadcastShape is S1's: every socket on one number, 10 tabs per user.
func broadcastShape(conns int) shape {
	return shape{numbers: 1, usersPerNumber: max(conns/10, 1), tabsPerUser: 10, contactsPerNumber: 10}
}

// number is a company number and who watches it.
type number struct {
	id       int64
	e164     string
	topic    string
	users    []*user
	contacts []string // E.164 phones of the candidates who text it
}

// user is a recruiter, signed in.
type user struct {
	id     int64
	email  string
	cookie string
	number *number
}

// world is a scenario's company as the bench created it.
type world struct {
	shape   shape
	admin   string // the admin's session cookie
	numbers []*number
	users   []*user
}

// buildWorld creates sh's numbers, users, assignments and contacts through
// the API of base, signed in as the admin, then signs every user in.
func buildWorld(ctx context.Context, a *api, base string, sh shape, workers int) (*world, error) {
	w := &world{shape: sh}
	var err error
	if w.admin, err = a.login(ctx, base, adminEmail, benchPassword); err != nil {
		return nil, err
	}
	w.numbers = make([]*number, sh.numbers)
	err = parallel(ctx, sh.numbers, workers, func(ctx context.Context, i int) error {
		var n struct {
			ID   int64  `json:"id"`
			E164 string `json:"e164"`
		}
		body := map[string]string{"e164": fmt.Sprintf("+1415555%04d", i), "label": fmt.Sprintf("Line %d", i)}
		if err := a.call(ctx, base, w.admin, http.MethodPost, "/api/numbers", body, http.StatusCreated, &n); err != nil {
			return err
		}
		w.numbers[i] = &number{id: n.ID, e164: n.E164, topic: fmt.Sprintf("number:%d", n.ID)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create numbers: %w", err)
	}
	users := sh.numbers * sh.usersPerNumber
	w.users = make([]*user, users)
	err = parallel(ctx, users, workers, func(ctx context.Context, i int) error {
		email := fmt.Sprintf("r%06d@bench.test", i)
		var u struct {
			ID int64 `json:"id"`
		}
		body := map[string]string{"email": email, "name": fmt.Sprintf("Recruiter %d", i), "role": "recruiter", "password": benchPassword}
		if err := a.call(ctx, base, w.admin, http.MethodPost, "/api/users", body, http.StatusCreated, &u); err != nil {
			return err
		}
		w.users[i] = &user{id: u.ID, email: email, number: w.numbers[i/sh.usersPerNumber]}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create users: %w", err)
	}
	for _, u := range w.users {
		u.number.users = append(u.number.users, u)
	}
	err = parallel(ctx, sh.numbers, workers, func(ctx context.Context, i int) error {
		n := w.numbers[i]
		ids := make([]int64, len(n.users))
		for j, u := range n.users {
			ids[j] = u.id
		}
		return a.call(ctx, base, w.admin, http.MethodPut, fmt.Sprintf("/api/numbers/%d/assignees", n.id),
			map[string]any{"user_ids": ids}, http.StatusOK, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("assign numbers: %w", err)
	}
	for i, n := range w.numbers {
		for k := range sh.contactsPerNumber {
			n.contacts = append(n.contacts, fmt.Sprintf("+1646%07d", 2000000+i*sh.contactsPerNumber+k))
		}
	}
	err = parallel(ctx, sh.numbers*sh.contactsPerNumber, workers, func(ctx context.Context, i int) error {
		phone := w.numbers[i/sh.contactsPerNumber].contacts[i%sh.contactsPerNumber]
		// Consent unknown: the contact's icon stays hidden when it texts in,
		// so an inbound SMS makes no contact.updated broadcast.
		body := map[string]any{"name": "Candidate " + phone, "phone": phone, "kind": "candidate", "sms_opt_in": false}
		return a.call(ctx, base, w.admin, http.MethodPost, "/api/contacts", body, http.StatusCreated, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("create contacts: %w", err)
	}
	err = parallel(ctx, users, workers, func(ctx context.Context, i int) error {
		u := w.users[i]
		var err error
		u.cookie, err = a.login(ctx, base, u.email, benchPassword)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sign users in: %w", err)
	}
	return w, nil
}

// setupTime formats how long a set-up step took.
func setupTime(start time.Time) string {
	return time.Since(start).Round(100 * time.Millisecond).String()
}
