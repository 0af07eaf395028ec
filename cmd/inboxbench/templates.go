package main

import (
	"context"
	"fmt"
	"time"
)

// templates keeps, per shape, a PostgreSQL database holding the company
// built to that shape (admin, numbers, users, assignments, contacts, signed-in
// sessions) with no server on it, and the world that describes it. A
// session of that shape on PostgreSQL starts on a copy of it (CREATE
// DATABASE … TEMPLATE) instead of building the company again through the
// API: scenario groups of one shape (S2 and S4), and the runs of -runs,
// share one set-up. Set-up is not what is measured; each session still has
// its own database, servers and Redis prefix.
type templates struct {
	o      *options
	byKey  map[shape]*template
	stacks []*stack // whose databases are the templates
}

type template struct {
	db string
	w  *world
}

func newTemplates(o *options) *templates {
	return &templates{o: o, byKey: map[shape]*template{}}
}

// get returns the template of sh, building it the first time.
func (t *templates) get(ctx context.Context, sh shape) (*template, error) {
	if tp := t.byKey[sh]; tp != nil {
		return tp, nil
	}
	name := fmt.Sprintf("company-%dx%dx%d", sh.numbers, sh.usersPerNumber, sh.tabsPerUser)
	st, err := startStack(ctx, t.o, name, true, 1, "")
	if err != nil {
		return nil, err
	}
	t.stacks = append(t.stacks, st)
	a := newAPI(t.o.setupConc)
	t0 := time.Now()
	w, err := buildWorld(ctx, a, st.bases()[0], sh, t.o.setupConc)
	a.http.CloseIdleConnections()
	st.stopServers()
	if err != nil {
		return nil, err
	}
	logf("%s: set-up (%d users, %d numbers, %d contacts, sign-ins) took %s; sessions of this shape start on a copy", name,
		len(w.users), len(w.numbers), sh.numbers*sh.contactsPerNumber, setupTime(t0))
	tp := &template{db: st.dbName, w: w}
	t.byKey[sh] = tp
	return tp, nil
}

// close drops the templates.
func (t *templates) close() {
	for _, st := range t.stacks {
		st.close()
	}
	t.stacks = nil
}
