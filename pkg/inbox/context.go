package inbox

import "context"

type authKey struct{}

// WithAuth returns a context carrying the authenticated caller.
func WithAuth(ctx context.Context, a Auth) context.Context {
	return context.WithValue(ctx, authKey{}, a)
}

// AuthFrom returns the authenticated caller of ctx, if any.
func AuthFrom(ctx context.Context) (Auth, bool) {
	a, ok := ctx.Value(authKey{}).(Auth)
	return a, ok
}

// WithUser returns a context carrying an authenticated user whose
// credential does not matter (tests, tools).
func WithUser(ctx context.Context, u User) context.Context {
	return WithAuth(ctx, Auth{User: u})
}

// UserFrom returns the authenticated user of ctx, if any.
func UserFrom(ctx context.Context) (User, bool) {
	a, ok := AuthFrom(ctx)
	return a.User, ok
}
