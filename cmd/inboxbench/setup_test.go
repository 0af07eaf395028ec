package main

import (
	"slices"
	"testing"
)

func TestByShareSplitsNumbersInProportion(t *testing.T) {
	sh := inboxShape(2000) // 200 numbers × 10 tabs
	if got, want := sh.perInstance(4, byShare(sh.numbers, 4)), []int{200, 400, 600, 800}; !slices.Equal(got, want) {
		t.Errorf("tabs per instance = %v, want %v", got, want)
	}
	place := byShare(sh.numbers, 4)
	for n := range sh.numbers {
		for u := range sh.usersPerNumber {
			for k := range sh.tabsPerUser {
				if got := place(n, u, k); got != place(n, 0, 0) {
					t.Fatalf("number %d: tab %d of user %d on instance %d, its first tab on %d", n, k, u, got, place(n, 0, 0))
				}
			}
		}
	}
	if got, want := sh.perInstance(2, byTab(2)), []int{1000, 1000}; !slices.Equal(got, want) {
		t.Errorf("byTab(2): tabs per instance = %v, want %v", got, want)
	}
}
