package store

import (
	"context"
	"fmt"

	"github.com/aigw/aigw/internal/clients"
)

// The client edits of a running server (the admin API, docs/admin-api.md)
// go through its Connection: while the database is not connected they
// fail with ErrNotConnected.

// ClientByName is DB.ClientByName once the database is connected.
func (c *Connection) ClientByName(ctx context.Context, name string) (clients.Client, error) {
	db, err := c.DB()
	if err != nil {
		return clients.Client{}, fmt.Errorf("read client %q: %w", name, err)
	}
	return db.ClientByName(ctx, name)
}

// CreateClient is DB.CreateClient once the database is connected.
func (c *Connection) CreateClient(ctx context.Context, cl clients.Client) (clients.Client, error) {
	db, err := c.DB()
	if err != nil {
		return clients.Client{}, fmt.Errorf("create client %q: %w", cl.Name, err)
	}
	return db.CreateClient(ctx, cl)
}

// UpdateClient is DB.UpdateClient once the database is connected.
func (c *Connection) UpdateClient(ctx context.Context, cl clients.Client) error {
	db, err := c.DB()
	if err != nil {
		return fmt.Errorf("update client %q: %w", cl.Name, err)
	}
	return db.UpdateClient(ctx, cl)
}

// DeleteClient is DB.DeleteClient once the database is connected.
func (c *Connection) DeleteClient(ctx context.Context, name string) error {
	db, err := c.DB()
	if err != nil {
		return fmt.Errorf("remove client %q: %w", name, err)
	}
	return db.DeleteClient(ctx, name)
}
